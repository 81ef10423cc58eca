package flow

import (
	"slices"
	"testing"
)

// TestRightsHonouredWhileSilent: once a person has the chat (the prospect
// asked for one, or an advisor took it over: both are Handoff) or after a
// refusal, the bot asks nothing and answers small talk with silence, but an
// opt-out or a data-rights request, as a command or inside a sentence, is
// recorded (the events the store acts on) and confirmed once. An opted-out
// person asking again to stop gets no further message.
func TestRightsHonouredWhileSilent(t *testing.T) {
	handoff := []string{"hola", "sí", "Carlos Andrés", "mejor quiero hablar con una persona"}
	refused := []string{"hola", "no"}
	tests := []struct {
		name    string
		before  []string
		msg     string
		status  Status
		events  []EventKind
		request string // of the data request, if any
		reply   string
	}{
		{"handoff small talk", handoff, "ok gracias, quedo atento", Handoff, nil, "", ""},
		{"handoff opt-out in a sentence", handoff, "ya no me escribas más por favor", OptedOut, []EventKind{EventOptedOut}, "", "opted_out"},
		{"handoff opt-out command", handoff, "stop", OptedOut, []EventKind{EventOptedOut}, "", "opted_out"},
		{"handoff deletion in a sentence", handoff, "mejor borra mis datos", OptedOut,
			[]EventKind{EventDataRequest, EventOptedOut}, RequestDelete, "request_delete"},
		{"handoff deletion command", handoff, "borrar mis datos", OptedOut,
			[]EventKind{EventDataRequest, EventOptedOut}, RequestDelete, "request_delete"},
		{"handoff access in a sentence", handoff, "¿qué datos tienen de mí?", Handoff,
			[]EventKind{EventDataRequest}, RequestAccess, "request_access"},
		{"handoff negated deletion", handoff, "no borren mis datos, espero al asesor", Handoff, nil, "", ""},
		{"refused opt-out in a sentence", refused, "y no me vuelvan a escribir", OptedOut, []EventKind{EventOptedOut}, "", "opted_out"},
		{"refused free text", refused, "Medellín, 2 millones", Refused, nil, "", ""},
		{"opted out asks again", append(slices.Clone(handoff), "stop"), "que no me escriban más!!", OptedOut, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMachine(t, Hot)
			rs := talk(m, "whatsapp", false, append(slices.Clone(tt.before), tt.msg)...)
			if prev := rs[len(rs)-2].State.Status; prev != Handoff && prev != Refused && prev != OptedOut {
				t.Fatalf("before the message the conversation is %s; want it silent", prev)
			}
			r := last(rs)
			var kinds []EventKind
			request := ""
			for _, e := range r.Events {
				kinds = append(kinds, e.Kind)
				if e.Kind == EventDataRequest {
					request = e.Request
				}
			}
			if r.State.Status != tt.status || !slices.Equal(kinds, tt.events) || request != tt.request {
				t.Errorf("status %s events %v request %q; want %s %v %q", r.State.Status, kinds, request, tt.status, tt.events, tt.request)
			}
			want := []string{}
			if tt.reply != "" {
				want = []string{tt.reply}
			}
			if got := keys(r); !slices.Equal(append([]string{}, got...), want) {
				t.Errorf("replies %v; want %v", got, want)
			}
		})
	}
}
