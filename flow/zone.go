package flow

import (
	"sync"
	"time"
	_ "time/tzdata" // America/Bogota resolves on machines without zone files
)

// Bogota is the time zone the product counts in: business hours, contact
// deadlines, legal terms (Ley 1581, Ley 2300), calendar days and months of
// the analytics. Every package takes it from here. The zone database is
// embedded, so loading cannot fail on a machine without zone files; should
// it fail anyway, Colombia has kept UTC-5 without daylight saving since
// 1993, so the fixed zone gives the same times.
func Bogota() *time.Location { return bogota() }

var bogota = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("America/Bogota"); err == nil {
		return loc
	}
	return time.FixedZone("COT", -5*3600)
})
