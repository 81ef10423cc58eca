package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ScratchSchema makes an empty schema of its own in the PostgreSQL database
// at dbURL, named prefix_<random>, and returns a URL whose search_path is
// that schema (a store opened on it migrates into it: its tables, nothing
// else's) and the function that drops it with everything in it. `cis
// loadtest --pg` runs its servers in one, so a load test never writes into
// an installation's tables, and two never meet.
func ScratchSchema(ctx context.Context, dbURL, prefix string) (string, func(context.Context) error, error) {
	if !IsPostgres(dbURL) {
		return "", nil, fmt.Errorf("scratch schema: %q is not a postgres:// URL", RedactURL(dbURL))
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("scratch schema: %w", err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	schema := prefix + "_" + hex.EncodeToString(b)
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return "", nil, fmt.Errorf("scratch schema: %w", err) // pgx leaves the password out of its errors
	}
	admin := stdlib.OpenDB(*cfg)
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("scratch schema in %s: %w", RedactURL(dbURL), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func(ctx context.Context) error {
		admin := stdlib.OpenDB(*cfg)
		defer admin.Close()
		_, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		return err
	}
	return u.String(), drop, nil
}
