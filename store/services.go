package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

const setOtherServicesQuery = `UPDATE leads SET other_services = ? WHERE id = ?`

// setOtherServices stores the further services a prospect named after the
// lead's own (flow.Lead.OtherServices), for the advisor: a JSON array of
// catalogue keys in leads.other_services, empty when there are none.
func setOtherServices(ctx context.Context, tx *sql.Tx, leadID int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("other services: %w", err)
	}
	if _, err := tx.ExecContext(ctx, setOtherServicesQuery, string(b), leadID); err != nil {
		return fmt.Errorf("other services: %w", err)
	}
	return nil
}

// otherServices decodes leads.other_services; empty is none.
func otherServices(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var keys []string
	if err := json.Unmarshal([]byte(raw), &keys); err != nil {
		return nil, fmt.Errorf("decode other services: %w", err)
	}
	return keys, nil
}
