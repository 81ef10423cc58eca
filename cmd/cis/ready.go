package main

import (
	"context"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
)

// readiness is /readyz's view of the wired app: the store takes writes
// (critical), the scorer is not a fallback, the linked device is usable.
type readiness struct{ a *app }

func (r readiness) Readiness(ctx context.Context) []dashboard.Condition {
	out := []dashboard.Condition{{Name: "store", OK: true, Critical: true}}
	if err := r.a.store.CheckWritable(ctx); err != nil {
		out[0].OK, out[0].Detail = false, err.Error()
	}
	if fb, why := r.a.scorer.Fallback(); fb {
		out = append(out, dashboard.Condition{Name: "model", Detail: "fallback scorer in use: " + why})
	} else {
		out = append(out, dashboard.Condition{Name: "model", OK: true})
	}
	if r.a.whatsapp != nil { // the linked device is configured
		st := r.a.whatsapp.Status()
		ok := !st.State.Permanent() && st.State != bot.StateUnpaired && st.State != bot.StateWaitingForScan
		c := dashboard.Condition{Name: "whatsapp", OK: ok}
		if !ok {
			c.Detail = string(st.State)
			if st.Detail != "" {
				c.Detail += ": " + st.Detail
			}
		}
		out = append(out, c)
	}
	return out
}
