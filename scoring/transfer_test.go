package scoring

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestModelFileRoundTripAndRefusals(t *testing.T) {
	b, _, hist := mustTrain(t)
	body := mustEncode(t, b)
	var file bytes.Buffer
	if err := WriteModelFile(&file, KindLead, body); err != nil {
		t.Fatal(err)
	}
	good := file.Bytes()
	mf, err := ReadModelFile(bytes.NewReader(good))
	if err != nil {
		t.Fatalf("reading an exported file: %v", err)
	}
	if mf.Kind != KindLead || mf.Format != ExportFormat || !bytes.Equal(mf.Body, body) {
		t.Fatalf("round trip changed the file: kind %q format %d, body equal %v", mf.Kind, mf.Format, bytes.Equal(mf.Body, body))
	}
	imported, err := CheckImport(mf)
	if err != nil {
		t.Fatalf("check import: %v", err)
	}
	// The exporting installation scores with the bundle decoded from the
	// store's bytes, as Active loads it; the importer must score the same.
	stored, err := DecodeBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := NewModel(1, stored)
	again, _ := NewModel(2, imported)
	for _, h := range hist[:200] {
		p1, c1 := orig.Probability(h.Lead)
		p2, c2 := again.Probability(h.Lead)
		if p1 != p2 || c1 != c2 {
			t.Fatalf("imported model scores %v/%s, original %v/%s", p2, c2, p1, c1)
		}
	}

	headerEnd := bytes.Index(good, []byte("\n\n")) + 2
	flipped := append([]byte(nil), good...)
	flipped[headerEnd+100] ^= 0xff
	newer := bytes.Replace(good, []byte("format 1\n"), []byte("format 9\n"), 1)
	var churn bytes.Buffer
	_ = WriteModelFile(&churn, "churn", body)
	// A bundle of another feature schema: same envelope, valid checksum,
	// but its inputs are not this build's lead fields.
	var otherSchema bytes.Buffer
	_ = WriteModelFile(&otherSchema, KindLead, damaged(t, body, func(m map[string]any) {
		enc := m["schema"].(map[string]any)["encoder"].(map[string]any)
		in := enc["inputs"].([]any)
		in[0].(map[string]any)["name"] = "tenure_months"
	}))
	cases := []struct {
		name  string
		data  []byte
		want  error  // for ReadModelFile
		check string // substring of CheckImport's error when the envelope is fine
	}{
		{"empty file", nil, ErrNotModelFile, ""},
		{"bare bundle (gzip, no envelope)", body, ErrNotModelFile, ""},
		{"CSV file", []byte("created_at,city,converted\n2026-01-01,Cali,1\n"), ErrNotModelFile, ""},
		{"magic cut short", good[:5], ErrTruncated, ""},
		{"header cut short", good[:headerEnd-10], ErrTruncated, ""},
		{"body cut in half", good[:headerEnd+len(body)/2], ErrTruncated, ""},
		{"last byte missing", good[:len(good)-1], ErrTruncated, ""},
		{"bytes appended", append(append([]byte(nil), good...), 'x'), ErrModelChecksum, ""},
		{"one body byte changed", flipped, ErrModelChecksum, ""},
		{"newer envelope format", newer, ErrModelFormat, ""},
		{"another kind", churn.Bytes(), nil, `kind "churn"`},
		{"another feature schema", otherSchema.Bytes(), nil, "incompatible with this build"},
	}
	for _, c := range cases {
		mf, err := ReadModelFile(bytes.NewReader(c.data))
		if c.want != nil {
			if !errors.Is(err, c.want) {
				t.Errorf("%s: err = %v; want %v", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: envelope refused: %v", c.name, err)
			continue
		}
		if _, err := CheckImport(mf); err == nil || !strings.Contains(err.Error(), c.check) {
			t.Errorf("%s: CheckImport err = %v; want it to mention %q", c.name, err, c.check)
		}
	}
}
