package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Config is every setting of the program. Each one is a flag whose default
// comes from a CIS_* variable, then from the built-in default.
type Config struct {
	DBPath        string
	Addr          string
	LogLevel      string
	Lang          string
	AgencyName    string
	AgencyContact string
	PolicyURL     string
	PolicyVersion string
	HotWindow     time.Duration
	WarmWindow    time.Duration
	ColdWindow    time.Duration
	BusinessHours string
	Calendar      bool
	USDToCOP      float64
	IdleTimeout   time.Duration
	ServicesFile  string
	Synchronous   string
	MinLeads      int
	MinConv       int
	ModelPoll     time.Duration
	DemoLeads     int
	DemoTrees     int

	envErrs []error
}

// newFlagSet declares the common flags on a new FlagSet, with defaults read
// through getenv. Bad environment values are kept and reported by parse.
func newFlagSet(name string, getenv func(string) string) (*flag.FlagSet, *Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &Config{}
	def := flow.DefaultConfig(time.UTC)
	c.str(fs, getenv, &c.DBPath, "db", "CIS_DB", "./cis.db", "SQLite file shared by the app and the WhatsApp device store")
	c.str(fs, getenv, &c.Addr, "addr", "CIS_ADDR", "127.0.0.1:8080", "HTTP listen address")
	c.str(fs, getenv, &c.LogLevel, "log-level", "CIS_LOG_LEVEL", "info", "debug, info, warn or error")
	c.str(fs, getenv, &c.Lang, "lang", "CIS_LANG", "es", "reply language: es or en")
	c.str(fs, getenv, &c.AgencyName, "agency-name", "CIS_AGENCY_NAME", def.Agency.Name, "agency name shown in the consent text (the data controller)")
	c.str(fs, getenv, &c.AgencyContact, "agency-contact", "CIS_AGENCY_CONTACT", def.Agency.Contact, "contact for data requests, shown in the consent text")
	c.str(fs, getenv, &c.PolicyURL, "policy-url", "CIS_POLICY_URL", def.Agency.PolicyURL, "link to the data-processing policy")
	c.str(fs, getenv, &c.PolicyVersion, "policy-version", "CIS_POLICY_VERSION", def.PolicyVersion, "version of the policy and consent text; raise it on every change")
	c.dur(fs, getenv, &c.HotWindow, "window-hot", "CIS_WINDOW_HOT", def.Windows.Hot, "contact window for hot leads")
	c.dur(fs, getenv, &c.WarmWindow, "window-warm", "CIS_WINDOW_WARM", def.Windows.Warm, "contact window for warm leads")
	c.dur(fs, getenv, &c.ColdWindow, "window-cold", "CIS_WINDOW_COLD", def.Windows.Cold, "contact window for cold leads")
	c.str(fs, getenv, &c.BusinessHours, "business-hours", "CIS_BUSINESS_HOURS", flow.DefaultWeek().String(), "weekly opening hours, America/Bogota")
	c.boolean(fs, getenv, &c.Calendar, "business-calendar", "CIS_BUSINESS_CALENDAR", true, "count contact windows in business hours only (holidays closed)")
	c.float(fs, getenv, &c.USDToCOP, "usd-cop", "CIS_USD_COP", def.USDToCOP, "pesos per US dollar, for budgets given in dollars")
	c.dur(fs, getenv, &c.IdleTimeout, "idle-timeout", "CIS_IDLE_TIMEOUT", def.IdleTimeout, "mark a silent conversation abandoned after this")
	c.str(fs, getenv, &c.ServicesFile, "services", "CIS_SERVICES", "", "JSON file with the service catalogue (default: built-in catalogue)")
	c.str(fs, getenv, &c.Synchronous, "sqlite-synchronous", "CIS_SQLITE_SYNCHRONOUS", "FULL", "SQLite synchronous mode: FULL (survives power loss) or NORMAL")
	c.integer(fs, getenv, &c.MinLeads, "min-leads", "CIS_MIN_LEADS", 200, "labelled leads a trained model needs before it replaces the rule-based scorer")
	c.integer(fs, getenv, &c.MinConv, "min-conversions", "CIS_MIN_CONVERSIONS", 30, "conversions a trained model needs before it replaces the rule-based scorer")
	c.integer(fs, getenv, &c.DemoLeads, "demo-leads", "CIS_DEMO_LEADS", 20000, "leads in the demo history (cis demo, serve --demo)")
	c.integer(fs, getenv, &c.DemoTrees, "demo-trees", "CIS_DEMO_TREES", 300, "trees per forest when training on the demo history")
	c.dur(fs, getenv, &c.ModelPoll, "model-poll", "CIS_MODEL_POLL", 30*time.Second, "how often the server checks for a newly activated model")
	return fs, c
}

func (c *Config) integer(fs *flag.FlagSet, getenv func(string) string, p *int, name, env string, def int, usage string) {
	if v := getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = n
		}
	}
	fs.IntVar(p, name, def, usage+" (env "+env+")")
}

// minHistory is the labelled history a model needs to serve.
func (c *Config) minHistory() scoring.MinHistory {
	return scoring.MinHistory{Leads: c.MinLeads, Conversions: c.MinConv}
}

func (c *Config) str(fs *flag.FlagSet, getenv func(string) string, p *string, name, env, def, usage string) {
	if v := getenv(env); v != "" {
		def = v
	}
	fs.StringVar(p, name, def, usage+" (env "+env+")")
}

func (c *Config) dur(fs *flag.FlagSet, getenv func(string) string, p *time.Duration, name, env string, def time.Duration, usage string) {
	if v := getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = d
		}
	}
	fs.DurationVar(p, name, def, usage+" (env "+env+")")
}

func (c *Config) float(fs *flag.FlagSet, getenv func(string) string, p *float64, name, env string, def float64, usage string) {
	if v := getenv(env); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = f
		}
	}
	fs.Float64Var(p, name, def, usage+" (env "+env+")")
}

func (c *Config) boolean(fs *flag.FlagSet, getenv func(string) string, p *bool, name, env string, def bool, usage string) {
	if v := getenv(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.envErrs = append(c.envErrs, fmt.Errorf("%s: %w", env, err))
		} else {
			def = b
		}
	}
	fs.BoolVar(p, name, def, usage+" (env "+env+")")
}

// parse reads args and checks every value.
func (c *Config) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(c.envErrs) > 0 {
		return errors.Join(c.envErrs...)
	}
	if _, err := c.flowConfig(); err != nil {
		return err
	}
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		return fmt.Errorf("--sqlite-synchronous (CIS_SQLITE_SYNCHRONOUS) %q: want FULL or NORMAL", c.Synchronous)
	}
	if _, err := c.logLevel(); err != nil {
		return err
	}
	if c.MinLeads < 1 || c.MinConv < 1 {
		return errors.New("--min-leads and --min-conversions (CIS_MIN_LEADS, CIS_MIN_CONVERSIONS) must be at least 1")
	}
	if c.ModelPoll <= 0 {
		return errors.New("--model-poll (CIS_MODEL_POLL) must be positive")
	}
	return nil
}

// flowConfig builds the conversation settings; errors name the flag.
func (c *Config) flowConfig() (flow.Config, error) {
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		return flow.Config{}, fmt.Errorf("time zone America/Bogota: %w", err)
	}
	fc := flow.DefaultConfig(loc)
	fc.Lang, fc.PolicyVersion, fc.USDToCOP, fc.IdleTimeout = c.Lang, c.PolicyVersion, c.USDToCOP, c.IdleTimeout
	fc.Agency = flow.Agency{Name: c.AgencyName, Contact: c.AgencyContact, PolicyURL: c.PolicyURL}
	fc.Windows = flow.Windows{Hot: c.HotWindow, Warm: c.WarmWindow, Cold: c.ColdWindow}
	week, err := flow.ParseWeek(c.BusinessHours)
	if err != nil {
		return fc, fmt.Errorf("--business-hours (CIS_BUSINESS_HOURS): %w", err)
	}
	fc.Calendar = flow.Calendar{Loc: loc, Week: week, Enabled: c.Calendar}
	if c.ServicesFile != "" {
		if fc.Catalogue, err = readCatalogue(c.ServicesFile); err != nil {
			return fc, fmt.Errorf("--services (CIS_SERVICES): %w", err)
		}
	}
	if c.Lang != "es" && c.Lang != "en" {
		return fc, fmt.Errorf("--lang (CIS_LANG) %q: want es or en", c.Lang)
	}
	return fc, nil
}

func readCatalogue(path string) (flow.Catalogue, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cat flow.Catalogue
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cat, cat.Validate()
}

func (c *Config) logLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("--log-level (CIS_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

func (c *Config) storeOptions(log *slog.Logger) store.Options {
	return store.Options{Synchronous: c.Synchronous, Log: log}
}
