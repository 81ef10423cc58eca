package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"

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
	for _, d := range r.a.linkedDevices() { // serve_devices.go: the linked device, or one per declared number
		st := d.wa.Status()
		ok := !st.State.Permanent() && st.State != bot.StateUnpaired && st.State != bot.StateWaitingForScan
		c := dashboard.Condition{Name: d.name, OK: ok}
		if !ok || st.State == bot.StateStandby {
			c.Detail = string(st.State)
			if st.Detail != "" {
				c.Detail += ": " + st.Detail
			}
		}
		out = append(out, c)
	}
	if ls := r.a.cluster.states(); len(ls) > 0 {
		out = append(out, dashboard.Condition{Name: "leases", OK: true, Detail: leaseDetail(ls)})
	}
	return out
}

// leaseDetail says which leases this server holds and which another
// server holds: "held: job:daily (token 3), …; standby: linked-device:…
// (held by host-123-ab12cd34)". (The process lease is left out: a server
// always holds its own.)
func leaseDetail(ls []bot.LeaseState) string {
	var held, standby []string
	for _, l := range ls {
		switch {
		case strings.HasPrefix(l.Name, "process:"):
		case l.Held:
			held = append(held, fmt.Sprintf("%s (token %d)", l.Name, l.Token))
		case l.Holder != "":
			standby = append(standby, fmt.Sprintf("%s (held by %s)", l.Name, l.Holder))
		default:
			standby = append(standby, l.Name)
		}
	}
	return "held: " + cmp.Or(strings.Join(held, ", "), "none") + "; standby: " + cmp.Or(strings.Join(standby, ", "), "none")
}
