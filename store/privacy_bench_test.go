package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// BenchmarkEraseByPhone measures one deletion in a store the size of the demo: 20,000 imported
// history rows (scanned for the person's name and number) and 3,000 people with a conversation of
// 8 messages and replies each.
func BenchmarkEraseByPhone(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "cis.db"), Options{Synchronous: "NORMAL", Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const people = 3000
	if _, err := s.rw.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
		INSERT INTO history_leads (row_key, created_at, converted, extra, imported_at)
		SELECT 'k' || i, 0, 0, '{"Nombre":"Persona ' || i || '"}', 0 FROM n`); err != nil {
		b.Fatal(err)
	}
	for p := range people {
		for m := range 8 {
			in := flow.Inbound{Channel: "whatsapp", Account: "acct", ID: fmt.Sprintf("w%d.%d", p, m),
				From: fmt.Sprintf("+57300%07d", p), Kind: flow.KindText, Text: "mensaje de prueba", At: t0}
			if _, err := s.Handle(ctx, in, echoStep); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i == people {
			b.Fatal("more iterations than seeded people")
		}
		if _, err := s.EraseByPhone(ctx, fmt.Sprintf("+57300%07d", i), EraseRequested, "cli", 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
