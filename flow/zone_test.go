package flow

import (
	"testing"
	"time"
)

// TestBogota: the product's zone is UTC-5 all year (no daylight saving),
// and every call gives the one loaded location.
func TestBogota(t *testing.T) {
	loc := Bogota()
	if loc != Bogota() {
		t.Error("Bogota() loaded the zone twice")
	}
	if loc.String() != "America/Bogota" {
		t.Errorf("zone %q; want America/Bogota from the embedded zone database", loc)
	}
	for _, m := range []time.Month{time.January, time.July} {
		if _, off := time.Date(2026, m, 15, 12, 0, 0, 0, loc).Zone(); off != -5*3600 {
			t.Errorf("%s offset %d s; want -18000", m, off)
		}
	}
}
