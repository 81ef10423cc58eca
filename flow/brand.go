package flow

import (
	"errors"
	"fmt"
	"strings"
)

// Brand is what one of the agency's numbers says as itself (issue 16): an
// agency with several brands or countries answers each number in its own
// name. Its Agency is the data controller the greeting and the consent text
// name (Ley 1581 art. 12: who collects the data and how to reach them), and
// its Catalogue, when set, the services that number sells. The zero value of
// a field means the installation's own (Config.Agency, Config.Catalogue).
type Brand struct {
	Agency    Agency
	Catalogue Catalogue
}

// ForBrand returns a Machine that runs conversations as b: the same
// settings, phrases and places as m, with b's controller and services. m is
// unchanged (a Machine is immutable), so one Machine per number can be kept
// and used concurrently. The brand's name is required; its contact and
// policy URL default to the installation's, so that a brand never shows a
// consent text without them. Ad conversions stay the installation's: they
// are one Meta dataset, and the consent text says so for every number.
func (m *Machine) ForBrand(b Brand) (*Machine, error) {
	a := b.Agency
	if strings.TrimSpace(a.Name) == "" {
		return nil, errors.New("flow brand: a name is required (the consent text names the data controller)")
	}
	if a.Contact == "" {
		a.Contact = m.cfg.Agency.Contact
	}
	if a.PolicyURL == "" {
		a.PolicyURL = m.cfg.Agency.PolicyURL
	}
	a.AdConversions = m.cfg.Agency.AdConversions
	cfg := m.cfg
	cfg.Agency = a
	services := m.services
	if len(b.Catalogue) > 0 {
		if err := b.Catalogue.Validate(); err != nil {
			return nil, fmt.Errorf("flow brand %q: %w", a.Name, err)
		}
		cfg.Catalogue = b.Catalogue
		services = newServiceIndex(b.Catalogue)
	}
	return &Machine{cfg: cfg, msgs: m.msgs, places: m.places, services: services, scorer: m.scorer}, nil
}
