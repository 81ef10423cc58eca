// Command gate reads govulncheck's JSON stream (-format json) on standard
// input and fails when a vulnerability reachable from our code is not on the
// accepted list. govulncheck itself has no way to accept a finding: its text
// mode fails on every reachable one, and some have no fix we can take (a
// standard-library fix that needs a newer toolchain, an advisory with no
// fixed version). Each acceptance names the module it covers and a reason,
// and docs/security.md must explain the ID, so nothing is accepted silently
// and an accepted standard-library finding does not also let an old copy of
// the same code in a module through.
//
// Usage: govulncheck -format json ./... | go run ./gate -accept FILE -doc FILE
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// message is one value of govulncheck's JSON stream; only the parts the gate
// reads are declared (protocol v1.0.0, golang.org/x/vuln/internal/govulncheck).
type message struct {
	OSV     *struct{ ID, Summary string } `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Function string `json:"function"`
}

// hit is one vulnerability reached in one module ("stdlib" for Go's library).
type hit struct {
	ID, Module, Version, Fixed string
}

// report is what the stream says: the reachable hits, and the IDs found only
// at package or module level (imported or required, never called), which
// govulncheck does not fail on either.
type report struct {
	Called   []hit
	Summary  map[string]string
	Imported map[string]bool
}

func decode(r io.Reader) (report, error) {
	rep := report{Summary: map[string]string{}, Imported: map[string]bool{}}
	seen := map[hit]bool{}
	dec := json.NewDecoder(r)
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("govulncheck output: %w", err)
		}
		switch {
		case m.OSV != nil:
			rep.Summary[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f := m.Finding
			top := f.Trace[0] // the vulnerable symbol; the last frame is our code
			if top.Function == "" {
				rep.Imported[f.OSV] = true
				continue
			}
			h := hit{ID: f.OSV, Module: top.Module, Version: top.Version, Fixed: f.FixedVersion}
			if !seen[h] { // one hit per example trace: keep the first
				seen[h] = true
				rep.Called = append(rep.Called, h)
			}
		}
	}
	for _, h := range rep.Called {
		delete(rep.Imported, h.ID)
	}
	sort.Slice(rep.Called, func(i, j int) bool {
		a, b := rep.Called[i], rep.Called[j]
		return a.ID < b.ID || a.ID == b.ID && a.Module < b.Module
	})
	return rep, nil
}

var idRe = regexp.MustCompile(`^GO-\d{4}-\d{4,}$`)

// readAccepted parses the accepted list: "GO-YYYY-NNNN MODULE reason", one a
// line, '#' starts a comment. The key is "ID MODULE". An entry without a
// reason is an error.
func readAccepted(r io.Reader) (map[string]string, error) {
	acc := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if !idRe.MatchString(f[0]) {
			return nil, fmt.Errorf("line %d: %q is not a Go vulnerability ID", n, f[0])
		}
		if len(f) < 3 {
			return nil, fmt.Errorf("line %d: want ID, module and a reason", n)
		}
		key := f[0] + " " + f[1]
		if _, dup := acc[key]; dup {
			return nil, fmt.Errorf("line %d: %s listed twice", n, key)
		}
		acc[key] = strings.Join(f[2:], " ")
	}
	return acc, sc.Err()
}

// judge writes the verdict for every reachable hit and returns the ones that
// make the check fail: not accepted, or accepted but missing from the doc.
func judge(w io.Writer, rep report, acc map[string]string, doc string) []string {
	var bad []string
	reached := map[string]bool{}
	for _, h := range rep.Called {
		key := h.ID + " " + h.Module
		reached[key] = true
		verdict := "accepted: " + acc[key]
		switch {
		case acc[key] == "":
			verdict = "NOT ACCEPTED: upgrade, or justify it in the accepted list and docs/security.md"
			bad = append(bad, key)
		case !strings.Contains(doc, h.ID):
			verdict = "accepted but not explained in docs/security.md"
			bad = append(bad, key)
		}
		fixed := h.Fixed
		if fixed == "" {
			fixed = "no release yet"
		}
		fmt.Fprintf(w, "%s  %s\n    %s %s, fixed in %s; %s\n", h.ID, rep.Summary[h.ID], h.Module, h.Version, fixed, verdict)
	}
	var stale []string
	for key := range acc {
		if !reached[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	for _, key := range stale {
		// Not a failure: an upgrade fixed it, and a red CI would punish the
		// upgrade. The entry should go, so say it.
		fmt.Fprintf(w, "%s  accepted but no longer reachable: remove it from the list\n", key)
	}
	fmt.Fprintf(w, "govulncheck gate: %d reachable (%d accepted, %d not); %d more imported or required but not called\n",
		len(rep.Called), len(rep.Called)-len(bad), len(bad), len(rep.Imported))
	return bad
}

func main() {
	accPath := flag.String("accept", "", "accepted-vulnerabilities file")
	docPath := flag.String("doc", "", "document that must explain every accepted ID")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *accPath, *docPath); err != nil {
		fmt.Fprintln(os.Stderr, "govulncheck gate:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer, accPath, docPath string) error {
	if accPath == "" || docPath == "" {
		return errors.New("-accept and -doc are required")
	}
	f, err := os.Open(accPath) // #nosec G304 -- a path the CI script names
	if err != nil {
		return err
	}
	defer f.Close()
	acc, err := readAccepted(f)
	if err != nil {
		return fmt.Errorf("%s: %w", accPath, err)
	}
	doc, err := os.ReadFile(docPath) // #nosec G304 -- a path the CI script names
	if err != nil {
		return err
	}
	rep, err := decode(in)
	if err != nil {
		return err
	}
	if bad := judge(out, rep, acc, string(doc)); len(bad) > 0 {
		return fmt.Errorf("%d reachable vulnerabilities not accepted: %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}
