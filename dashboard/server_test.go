package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type fakeStore struct{ err error }

func (f fakeStore) Ping(context.Context) error { return f.err }

func TestHealthEndpoints(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		storeErr   error
		wantStatus int
	}{
		{"alive", "/healthz", nil, http.StatusOK},
		{"alive even when the store is down", "/healthz", errors.New("disk gone"), http.StatusOK},
		{"ready", "/readyz", nil, http.StatusOK},
		{"not ready when the store fails", "/readyz", errors.New("disk gone"), http.StatusServiceUnavailable},
		{"unknown route", "/nope", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Deps{Store: fakeStore{tt.storeErr}})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("GET %s = %d; want %d", tt.path, rec.Code, tt.wantStatus)
			}
		})
	}
}

type fakeScorer string

func (f fakeScorer) Status() string { return string(f) }

func TestScoringStatus(t *testing.T) {
	tests := []struct {
		name   string
		scorer scorerStatus
		want   string
	}{
		{"no scorer wired", nil, "rules\n"},
		{"rules until enough history", fakeScorer("rules: no trained model yet"), "rules: no trained model yet\n"},
		{"trained model", fakeScorer("model forest:3 (20000 leads, 3500 conversions)"), "model forest:3 (20000 leads, 3500 conversions)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Deps{Store: fakeStore{}, Scorer: tt.scorer})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status/scoring", nil))
			if rec.Code != http.StatusOK || rec.Body.String() != tt.want {
				t.Errorf("GET /status/scoring = %d %q; want 200 %q", rec.Code, rec.Body.String(), tt.want)
			}
		})
	}
}
