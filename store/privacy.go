package store

// The data-rights back office (Ley 1581 de 2012, Decreto 1377 de 2013; RELIABILITY §3.2 R-2…R-4,
// O-1, O-4): data requests with their legal deadlines, suppression and exclusion hashes. Erasure,
// export and retention are in erase.go, export.go and retention.go.
//
// Why a keyed hash (HMAC-SHA256 with a random per-installation secret) for the numbers kept after a
// deletion: a Colombian mobile number has about 10^10 possible values, so a plain SHA-256 of it is
// reversed by trying them all in hours, and the same number would hash alike in every installation.
// The secret makes the hashes useless outside this database and across agencies. It is not
// anonymisation against someone holding the database file (the secret is in it): the hash is the
// minimum the legal duty to stop contacting the person needs, and it is pseudonymous data, which the
// policy template says.

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Data request kinds: the chat commands and the opt-out (revocation of the authorisation).
const (
	RequestAccess  = flow.RequestAccess  // consulta: "mis datos"
	RequestCorrect = flow.RequestCorrect // reclamo: "corregir"
	RequestDelete  = flow.RequestDelete  // reclamo: "borrar mis datos"
	RequestRevoke  = flow.RequestRevoke  // reclamo: opt-out, the authorisation revoked
)

// Data request statuses.
const (
	RequestOpen     = "open"
	RequestResolved = "resolved"
	RequestRejected = "rejected"
)

// DataRequest is one tracked data-rights request.
type DataRequest struct {
	ID            int64
	ContactID     int64
	Phone         string // "" once the person was erased
	Name          string
	Kind          string
	LegalType     string // consulta, reclamo
	Channel       string
	Status        string
	ReceivedAt    time.Time
	DueAt         time.Time
	ExtendedAt    time.Time
	ExtensionNote string
	ResolvedAt    time.Time
	ResolvedBy    int64
	Resolution    string
}

// Erased reports whether the person behind the request was deleted.
func (r DataRequest) Erased() bool { return r.ContactID != 0 && r.Phone == "" }

// Warning is "overdue" when an open request's deadline has passed at now, "due_soon" when it falls
// within flow.WarnBusinessDays business days, else "".
func (r DataRequest) Warning(now time.Time) string {
	if r.Status != RequestOpen {
		return ""
	}
	return flow.DueWarning(r.DueAt, now)
}

const (
	selectSaltQuery        = `SELECT salt FROM privacy_settings WHERE id = 1`
	insertDataRequestQuery = `INSERT INTO data_requests (contact_id, phone_hash, kind, legal_type, channel, received_at, due_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	insertSuppressionQuery = `INSERT INTO suppressions (phone_hash, reason, created_at) VALUES (?, ?, ?) ON CONFLICT (phone_hash) DO NOTHING`
	isSuppressedQuery      = `SELECT count(*) FROM suppressions WHERE phone_hash = ?`
	dataRequestColumns     = `SELECT r.id, coalesce(r.contact_id, 0), CASE WHEN c.phone LIKE 'erased:%' THEN '' ELSE coalesce(c.phone, '') END,
		coalesce(c.name, ''), r.kind, r.legal_type, r.channel, r.status, r.received_at, r.due_at, coalesce(r.extended_at, 0),
		r.extension_note, coalesce(r.resolved_at, 0), r.resolved_by, r.resolution
		FROM data_requests r LEFT JOIN contacts c ON c.id = r.contact_id`
	// Erasures by the retention policy are recorded as resolved deletions
	// (channel 'retention') for the audit trail, but nobody asked for them:
	// the requests list leaves them out (RetentionErasures counts them).
	openRequestsQuery   = dataRequestColumns + ` WHERE r.status = 'open' AND r.channel <> 'retention' ORDER BY r.due_at, r.id`
	allRequestsQuery    = dataRequestColumns + ` WHERE r.channel <> 'retention' ORDER BY r.status = 'open' DESC, r.due_at, r.id LIMIT ?`
	oneRequestQuery     = dataRequestColumns + ` WHERE r.id = ?`
	resolveRequestQuery = `UPDATE data_requests SET status = ?, resolution = ?, resolved_at = ?, resolved_by = ?
		WHERE id = ? AND status = 'open'`
	extendRequestQuery = `UPDATE data_requests SET due_at = ?, extended_at = ?, extension_note = ?
		WHERE id = ? AND status = 'open' AND extended_at IS NULL`
)

// loadSalt reads the installation's secret for phone hashes (created by migration 0030).
func loadSalt(ctx context.Context, db *sql.DB) ([]byte, error) {
	var salt []byte
	if err := db.QueryRowContext(ctx, selectSaltQuery).Scan(&salt); err != nil {
		return nil, fmt.Errorf("privacy salt: %w", err)
	}
	return salt, nil
}

// PhoneHash is the keyed hash under which a phone is kept after its contact is erased.
func (s *Store) PhoneHash(phone string) string {
	m := hmac.New(sha256.New, s.salt)
	m.Write([]byte(strings.TrimSpace(phone)))
	return hex.EncodeToString(m.Sum(nil))
}

// insertDataRequest records a request received at received and returns its id.
func (s *Store) insertDataRequest(ctx context.Context, tx *sql.Tx, contactID int64, phone, kind, channel string, received time.Time) (int64, error) {
	term, err := flow.DataRequestTerm(kind)
	if err != nil {
		return 0, err
	}
	var cid any
	if contactID != 0 {
		cid = contactID
	}
	res, err := tx.ExecContext(ctx, insertDataRequestQuery, cid, s.PhoneHash(phone), kind, term.Type, channel,
		millis(received), millis(term.Due(received)), millis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("insert data request: %w", err)
	}
	return res.LastInsertId()
}

// suppress records that phone must not be contacted again (O-1), surviving any deletion.
func (s *Store) suppress(ctx context.Context, tx *sql.Tx, phone, reason string) error {
	if _, err := tx.ExecContext(ctx, insertSuppressionQuery, s.PhoneHash(phone), reason, millis(s.now())); err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	return nil
}

func (s *Store) suppressed(ctx context.Context, tx *sql.Tx, phone string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, isSuppressedQuery, s.PhoneHash(phone)).Scan(&n); err != nil {
		return false, fmt.Errorf("suppression: %w", err)
	}
	return n > 0, nil
}

// RecordDataRequest records a request received outside the chat (a letter, an e-mail) for the
// person with phone, by user (0: the terminal). The phone need not be a known contact.
func (s *Store) RecordDataRequest(ctx context.Context, phone, kind, channel string, received time.Time, user int64) (int64, error) {
	phone, err := s.PersonKey(ctx, phone)
	if err != nil {
		return 0, fmt.Errorf("record data request: %w", err)
	}
	if phone == "" {
		return 0, errors.New("data request: a phone is required")
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var contactID int64
		if err := tx.QueryRowContext(ctx, selectContactQuery, phone).Scan(&contactID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var err error
		if id, err = s.insertDataRequest(ctx, tx, contactID, phone, kind, channel, received); err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.request", Object: fmt.Sprintf("request:%d", id), Detail: kind}, s.now())
	})
	if err != nil {
		return 0, fmt.Errorf("record data request: %w", err)
	}
	return id, nil
}

// DataRequests returns the open requests by due date, or with all set every request (open first),
// at most limit.
func (s *Store) DataRequests(ctx context.Context, all bool, limit int) ([]DataRequest, error) {
	q, args := openRequestsQuery, []any{}
	if all {
		q, args = allRequestsQuery, []any{limit}
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("data requests: %w", err)
	}
	defer rows.Close()
	var out []DataRequest
	for rows.Next() {
		r, err := scanDataRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("data requests: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RetentionErasures counts the people the retention policy erased, and
// when it last did.
func (s *Store) RetentionErasures(ctx context.Context) (int, time.Time, error) {
	var n int
	var last sql.NullInt64
	err := s.ro.QueryRowContext(ctx, retentionRunsQuery).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("retention erasures: %w", err)
	}
	return n, fromMillis(last.Int64), nil
}

// DataRequest returns request id, or ErrNotFound.
func (s *Store) DataRequest(ctx context.Context, id int64) (DataRequest, error) {
	r, err := scanDataRequest(s.ro.QueryRowContext(ctx, oneRequestQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("data request %d: %w", id, err)
	}
	return r, nil
}

func scanDataRequest(row scanner) (DataRequest, error) {
	var r DataRequest
	var received, due, extended, resolved int64
	err := row.Scan(&r.ID, &r.ContactID, &r.Phone, &r.Name, &r.Kind, &r.LegalType, &r.Channel, &r.Status,
		&received, &due, &extended, &r.ExtensionNote, &resolved, &r.ResolvedBy, &r.Resolution)
	r.ReceivedAt, r.DueAt, r.ExtendedAt, r.ResolvedAt = fromMillis(received), fromMillis(due), fromMillis(extended), fromMillis(resolved)
	return r, err
}

// ResolveDataRequest closes an open request as resolved or rejected, with the resolution text
// (no personal data: it is kept after a deletion), by user, and audits it.
func (s *Store) ResolveDataRequest(ctx context.Context, id int64, status, resolution string, user int64) error {
	if status != RequestResolved && status != RequestRejected {
		return fmt.Errorf("resolve data request %d: status %q: want resolved or rejected", id, status)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, resolveRequestQuery, status, resolution, millis(s.now()), user, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("request %d is not open: %w", id, ErrNotFound)
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy." + status, Object: fmt.Sprintf("request:%d", id)}, s.now())
	})
	if err != nil {
		return fmt.Errorf("resolve data request %d: %w", id, err)
	}
	return nil
}

// ExtendDataRequest uses the one extension the law allows (5 business days for a query, 8 for a
// claim, counted from the original due date); the holder must be told why, so note is required.
func (s *Store) ExtendDataRequest(ctx context.Context, id int64, note string, user int64) error {
	if strings.TrimSpace(note) == "" {
		return fmt.Errorf("extend data request %d: the reason told to the holder is required", id)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := scanDataRequest(tx.QueryRowContext(ctx, oneRequestQuery, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		term, err := flow.DataRequestTerm(r.Kind)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, extendRequestQuery, millis(term.Extended(r.DueAt)), millis(s.now()), note, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errors.New("only an open request that was never extended can be extended")
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.extend", Object: fmt.Sprintf("request:%d", id)}, s.now())
	})
	if err != nil {
		return fmt.Errorf("extend data request %d: %w", id, err)
	}
	return nil
}

// auditTx appends an audit entry inside tx, so the entry and the change commit together.
func auditTx(ctx context.Context, tx *sql.Tx, e AuditEntry, now time.Time) error {
	if _, err := tx.ExecContext(ctx, insertAuditQuery, e.UserID, e.Action, e.Object, e.IP, e.Detail, millis(now)); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// startSuppressed makes a new conversation with a person who opted out or was erased before start
// opted out (O-1): the bot stays silent unless they write "reiniciar", exactly as in the
// conversation they left. The contact row is marked too, for every other sender.
func (s *Store) startSuppressed(ctx context.Context, tx *sql.Tx, c *conv, phone string, now time.Time) error {
	ok, err := s.suppressed(ctx, tx, phone)
	if err != nil || !ok {
		return err
	}
	if _, err := tx.ExecContext(ctx, setContactOptOutQuery, millis(now), c.contactID); err != nil {
		return fmt.Errorf("suppressed contact: %w", err)
	}
	c.state = flow.State{Version: flow.StateVersion, Status: flow.OptedOut, Stage: flow.StageConsent, StartedAt: now}
	return nil
}

// unsuppress lifts the opt-out of a person who wrote "reiniciar".
func (s *Store) unsuppress(ctx context.Context, tx *sql.Tx, contactID int64, phone string) error {
	if _, err := tx.ExecContext(ctx, clearOptOutQuery, contactID); err != nil {
		return fmt.Errorf("opt back in: %w", err)
	}
	if _, err := tx.ExecContext(ctx, deleteSuppressionQuery, s.PhoneHash(phone)); err != nil {
		return fmt.Errorf("opt back in: %w", err)
	}
	return nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	retentionRunsQuery     = `SELECT COUNT(*), MAX(received_at) FROM data_requests WHERE channel = 'retention'`
	clearOptOutQuery       = `UPDATE contacts SET opted_out_at = NULL WHERE id = ?`
	deleteSuppressionQuery = `DELETE FROM suppressions WHERE phone_hash = ?`
)
