package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/store"
)

func TestAdvisorSettingsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"ana": {"hours": "lun-vie 8-17", "days_off": ["2026-12-24"], "max_open": 8,
		"services": ["seo"], "places": ["Antioquia"]}, "beto": {"away": true}}`)
	got, err := (&Config{AdvisorSettings: good}).advisorSettings()
	want := map[string]store.AdvisorSettings{
		"ana":  {Hours: "lun-vie 8-17", DaysOff: []string{"2026-12-24"}, MaxOpen: 8, Services: []string{"seo"}, Places: []string{"Antioquia"}},
		"beto": {Away: true},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("advisorSettings = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{
		write("typo.json", `{"ana": {"max_opne": 8}}`),
		write("broken.json", `{"ana": `),
		filepath.Join(dir, "missing.json"),
	} {
		if _, err := (&Config{AdvisorSettings: bad}).advisorSettings(); err == nil {
			t.Errorf("%s: accepted", filepath.Base(bad))
		}
	}
	if got, err := (&Config{}).advisorSettings(); got != nil || err != nil {
		t.Errorf("no file: %v, %v; want nothing", got, err)
	}
}

func TestAssignRulesFlag(t *testing.T) {
	hours := flow.DefaultWeek().String()
	for _, tt := range []struct {
		flag string
		want map[flow.Class]assign.Mode
		ok   bool
	}{
		{"", map[flow.Class]assign.Mode{}, true},
		{"hot", map[flow.Class]assign.Mode{flow.Hot: assign.LeastLoaded}, true},
		{" Hot, warm ", map[flow.Class]assign.Mode{flow.Hot: assign.LeastLoaded, flow.Warm: assign.LeastLoaded}, true},
		{"hot,tibio", nil, false},
	} {
		r, err := (&Config{BusinessHours: hours, Calendar: true, AdvisorLeastLoaded: tt.flag}).assignRules()
		if (err == nil) != tt.ok || (tt.ok && !reflect.DeepEqual(r.Modes, tt.want)) {
			t.Errorf("--advisor-least-loaded %q: %v, %v; want %v (ok %v)", tt.flag, r.Modes, err, tt.want, tt.ok)
		}
		if tt.ok && (!r.Agency.Enabled || r.Agency.Loc != flow.Bogota()) {
			t.Errorf("--advisor-least-loaded %q: agency calendar %+v; want the business hours in Bogotá", tt.flag, r.Agency)
		}
	}
}
