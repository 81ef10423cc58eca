package main

import (
	"os"
	"strings"
	"testing"
)

func scan(t *testing.T) report {
	t.Helper()
	f, err := os.Open("testdata/scan.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestDecodeKeepsOneHitPerIDAndModule(t *testing.T) {
	rep := scan(t)
	var got []string
	for _, h := range rep.Called {
		got = append(got, h.ID+" "+h.Module+" "+h.Version+" "+h.Fixed)
	}
	want := []string{
		"GO-2026-0001 golang.org/x/net v0.58.0 v0.60.0",
		"GO-2026-0001 stdlib v1.26.8 v1.26.9",
		"GO-2026-0002 example.com/web v4.0.0 ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("called hits:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rep.Imported) != 1 || !rep.Imported["GO-2026-0003"] {
		t.Errorf("imported only = %v, want GO-2026-0003 alone", rep.Imported)
	}
}

func TestJudge(t *testing.T) {
	const doc = "GO-2026-0001 and GO-2026-0002 are explained here."
	tests := []struct {
		name, accepted, doc string
		bad                 []string
		say                 string
	}{
		{"nothing accepted", "", doc,
			[]string{"GO-2026-0001 golang.org/x/net", "GO-2026-0001 stdlib", "GO-2026-0002 example.com/web"}, "NOT ACCEPTED"},
		{"library accepted, module copy is not", "GO-2026-0001 stdlib needs a newer toolchain\nGO-2026-0002 example.com/web not used that way", doc,
			[]string{"GO-2026-0001 golang.org/x/net"}, "accepted: needs a newer toolchain"},
		{"all accepted", "# comment\nGO-2026-0001 stdlib toolchain\nGO-2026-0001 golang.org/x/net same\nGO-2026-0002 example.com/web mitigated", doc,
			nil, "3 reachable (3 accepted, 0 not); 1 more"},
		{"accepted but undocumented", "GO-2026-0001 stdlib a\nGO-2026-0001 golang.org/x/net b\nGO-2026-0002 example.com/web c", "only GO-2026-0001 here",
			[]string{"GO-2026-0002 example.com/web"}, "not explained in docs/security.md"},
		{"stale entry is reported, not failed", "GO-2026-0001 stdlib a\nGO-2026-0001 golang.org/x/net b\nGO-2026-0002 example.com/web c\nGO-2025-9999 stdlib fixed since", doc,
			nil, "GO-2025-9999 stdlib  accepted but no longer reachable"},
	}
	rep := scan(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc, err := readAccepted(strings.NewReader(tt.accepted))
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			bad := judge(&out, rep, acc, tt.doc)
			if strings.Join(bad, "|") != strings.Join(tt.bad, "|") {
				t.Errorf("failing = %q, want %q", bad, tt.bad)
			}
			if !strings.Contains(out.String(), tt.say) {
				t.Errorf("output lacks %q:\n%s", tt.say, out.String())
			}
		})
	}
}

func TestReadAcceptedRefuses(t *testing.T) {
	tests := []struct{ name, in, err string }{
		{"no reason", "GO-2026-0001 stdlib", "want ID, module and a reason"},
		{"not an ID", "CVE-2026-1 stdlib because", "not a Go vulnerability ID"},
		{"twice", "GO-2026-0001 stdlib a\nGO-2026-0001 stdlib b", "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAccepted(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestDecodeRefusesGarbage(t *testing.T) {
	if _, err := decode(strings.NewReader(`{"finding": [`)); err == nil {
		t.Error("truncated stream accepted")
	}
}
