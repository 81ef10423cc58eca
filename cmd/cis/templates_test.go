package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplatesFlag: --templates reads the documented example into the
// Cloud API's and the dashboard's catalogue; a bad file stops the start
// with the flag's name.
func TestTemplatesFlag(t *testing.T) {
	example := filepath.Join("..", "..", "testdata", "templates", "templates.json")
	c := mustConfig(t, map[string]string{"CIS_TEMPLATES": example})
	if got := c.cloudConfig().Templates.For("follow_up", "es"); len(got) == 0 || got[0].Name != "seguimiento_asesor" {
		t.Errorf("follow-up templates = %+v", got)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"templates":[{"name":"Mal Nombre"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, c2 := newFlagSet("test", envOf(map[string]string{"CIS_TEMPLATES": bad}))
	if err := c2.parse(fs, nil); err == nil || !strings.Contains(err.Error(), "--templates") {
		t.Errorf("parse = %v; want an error naming --templates", err)
	}
}

// TestMetaDatasetFlag: conversion events are off by default; --meta-dataset
// wants Meta's numeric id and a token, and turns the consent sentence on.
func TestMetaDatasetFlag(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string // "" when the settings are accepted
	}{
		{map[string]string{"CIS_META_DATASET": "pixel-1", "CIS_META_TOKEN": "t"}, "numeric"},
		{map[string]string{"CIS_META_DATASET": "880000000000001"}, "--meta-token"},
		{map[string]string{"CIS_META_DATASET": "880000000000001", "CIS_META_TOKEN": "t"}, ""},
	} {
		fs, c := newFlagSet("test", envOf(tc.env))
		err := c.parse(fs, nil)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%v: %v", tc.env, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v; want one naming %q", tc.env, err, tc.want)
		}
	}
	if c := mustConfig(t, map[string]string{}); c.MetaDataset != "" {
		t.Error("conversion events are on by default")
	}
}

// TestRatesFlag: --rates replaces the built-in rate table; a bad file stops
// the start with the flag's name.
func TestRatesFlag(t *testing.T) {
	good := filepath.Join(t.TempDir(), "rates.json")
	if err := os.WriteFile(good, []byte(`{"rates":[{"country":"CO","category":"marketing","from":"2025-07-01","cop":80}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustConfig(t, map[string]string{"CIS_RATES": good})
	if c.rates == nil || len(c.rates.Rates) != 1 || c.rates.Rates[0].COP != 80 {
		t.Errorf("rates = %+v", c.rates)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"rates":[{"country":"CO","category":"promo","from":"2025-07-01","cop":1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, c2 := newFlagSet("test", envOf(map[string]string{"CIS_RATES": bad}))
	if err := c2.parse(fs, nil); err == nil || !strings.Contains(err.Error(), "--rates") {
		t.Errorf("parse = %v; want an error naming --rates", err)
	}
}
