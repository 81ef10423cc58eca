package dashboard

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type fakeReadiness []Condition

func (f fakeReadiness) Readiness(context.Context) []Condition { return f }

func TestReadyzReportsDegradedStates(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		name     string
		pingErr  error
		conds    []Condition
		wantCode int
		wantBody []string
	}{
		{"all well", nil, []Condition{{Name: "store", OK: true, Critical: true}, {Name: "model", OK: true}}, 200, []string{"ready\n"}},
		{"model fallback", nil, []Condition{{Name: "store", OK: true, Critical: true}, {Name: "model", Detail: "fallback scorer in use: rules"}},
			200, []string{"degraded\n", "model: fallback scorer in use: rules\n"}},
		{"channel logged out", nil, []Condition{{Name: "whatsapp", Detail: "logged_out: pair again"}},
			200, []string{"degraded\n", "whatsapp: logged_out: pair again\n"}},
		{"store not writable beats degraded", nil, []Condition{{Name: "store", Critical: true, Detail: "database is locked"}, {Name: "model", Detail: "x"}},
			503, []string{"unavailable\n", "store: database is locked\n", "model: x\n"}},
		{"store does not answer", errors.New("disk gone"), []Condition{{Name: "model", OK: true}}, 503, []string{"unavailable\n", "store: disk gone\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			s, err := New(Deps{Store: st, Readiness: fakeReadiness(tt.conds), Log: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			s.ping = failingPing{st, tt.pingErr}
			for range 3 {
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
				if rec.Code != tt.wantCode {
					t.Errorf("code = %d; want %d", rec.Code, tt.wantCode)
				}
				if !strings.HasPrefix(rec.Body.String(), tt.wantBody[0]) {
					t.Errorf("body %q does not start with %q", rec.Body, tt.wantBody[0])
				}
				for _, w := range tt.wantBody[1:] {
					if !strings.Contains(rec.Body.String(), w) {
						t.Errorf("body %q lacks %q", rec.Body, w)
					}
				}
			}
			if n := strings.Count(logs.String(), "readiness changed"); n != 1 {
				t.Errorf("three identical probes logged %d times; want once", n)
			}
		})
	}
}
