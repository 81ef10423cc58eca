package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// numbersUsage is --numbers' help.
const numbersUsage = "JSON file of the agency's WhatsApp numbers, each with its brand (the data controller its consent text names) " +
	"and optionally its own services and advisors: [{\"channel\": \"cloudapi\", \"number\": \"<phone_number_id>\", \"brand\": \"…\", " +
	"\"contact\": \"…\", \"policy_url\": \"…\", \"services\": \"services.json\", \"advisors\": [\"ana\"]}] (channel whatsapp: the linked " +
	"device's number); declared at every start, audited; unset: one number, the --agency-name brand"

// numberEntry is one number of the --numbers file.
type numberEntry struct {
	Channel   string   `json:"channel"`    // cloudapi or whatsapp
	Number    string   `json:"number"`     // the Cloud API phone_number_id, or the linked device's number (+57 300 123 4567)
	Brand     string   `json:"brand"`      // the data controller's name, as the consent text says it
	Contact   string   `json:"contact"`    // its contact for data requests; default --agency-contact
	PolicyURL string   `json:"policy_url"` // its policy; default --policy-url
	Services  string   `json:"services"`   // a --services file for this number, relative to the --numbers file
	Advisors  []string `json:"advisors"`   // the users who take this number's leads; default the whole rotation
}

// readNumbers reads and checks the --numbers file; errors name the entry.
func readNumbers(path string) ([]store.Number, error) {
	if strings.TrimSpace(path) == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path) // #nosec G304 G703 -- the operator's own --numbers path
	if err != nil {
		return nil, fmt.Errorf("--numbers (CIS_NUMBERS): %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var es []numberEntry
	if err := dec.Decode(&es); err != nil {
		return nil, fmt.Errorf("--numbers (CIS_NUMBERS) %s: %w", path, err)
	}
	seen := map[string]bool{}
	out := make([]store.Number, 0, len(es))
	for i, e := range es {
		n, err := e.number(filepath.Dir(path))
		if err == nil && seen[n.Key()] {
			err = errors.New("declared twice")
		}
		if err != nil {
			return nil, fmt.Errorf("--numbers (CIS_NUMBERS) %s: entry %d (%s): %w", path, i+1, e.Number, err)
		}
		seen[n.Key()] = true
		out = append(out, n)
	}
	return out, nil
}

func (e numberEntry) number(dir string) (store.Number, error) {
	n := store.Number{Channel: e.Channel, Brand: strings.TrimSpace(e.Brand), Contact: e.Contact, PolicyURL: e.PolicyURL, Advisors: e.Advisors}
	switch e.Channel {
	case bot.CloudChannel:
		n.Address = strings.TrimSpace(e.Number)
		if n.Address == "" || strings.Trim(n.Address, "0123456789") != "" {
			return n, fmt.Errorf("number %q: want the Cloud API phone_number_id (digits, from Meta's WhatsApp Manager)", e.Number)
		}
	case bot.WhatsAppChannel:
		d, err := bot.NormalizeNumber(e.Number)
		if err != nil || d == "" {
			return n, fmt.Errorf("number: %w", cmpErr(err, errors.New("the linked device's number is required")))
		}
		n.Address = d
	default:
		return n, fmt.Errorf("channel %q: want cloudapi or whatsapp", e.Channel)
	}
	if n.Brand == "" {
		return n, errors.New("a brand is required: the consent text names it as the data controller")
	}
	if e.Services != "" {
		p := e.Services
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		cat, err := readCatalogue(p)
		if err != nil {
			return n, fmt.Errorf("services: %w", err)
		}
		b, err := json.Marshal(cat)
		if err != nil {
			return n, fmt.Errorf("services: %w", err)
		}
		n.Services = string(b)
	}
	return n, nil
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// setAdvisorsAndNumbers applies --advisors, then --numbers (whose
// entries name advisors).
func setAdvisorsAndNumbers(ctx context.Context, a *app, c *Config) error {
	if err := setAdvisors(ctx, a, c); err != nil {
		return err
	}
	return declareNumbers(ctx, a, c.NumbersFile)
}

// declareNumbers declares the --numbers file's numbers in the store (the
// audit log names the start-up as their author): they answer as their
// brands within seconds, on every server of the store.
func declareNumbers(ctx context.Context, a *app, path string) error {
	ns, err := readNumbers(path)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if err := a.store.DeclareNumber(ctx, n, 0, "--numbers"); err != nil {
			return fmt.Errorf("--numbers (CIS_NUMBERS): %w", err)
		}
	}
	return nil
}
