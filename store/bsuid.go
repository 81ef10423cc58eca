package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cis-agencia/cis/flow"
)

// WhatsApp usernames (2026). A person who adopts a username may write to the
// agency's Cloud API number with their phone withheld; Meta then names them
// by a business-scoped user id (BSUID), a parent BSUID where linked business
// portfolios share one, and the username. The BSUID is how the Cloud API
// finds the person: contacts.bsuid is unique, and every webhook that carries
// it lands on the same contact. The contact key (contacts.phone) is the phone
// when one is known (kept alongside the BSUID) and BSUIDKey otherwise, like
// the linked device's LID-only contacts, and a phone learnt later merges the
// two through the same mechanism (alias, link, mergeContacts).

// BSUIDKey is the contact key of a person known only by their BSUID.
func BSUIDKey(bsuid string) string { return bsuidAlias.key(bsuid) }

// IsPhoneKey reports whether a contact key is an E.164 phone ("+" and
// digits): a number the agency can call. BSUID, LID and web-chat keys are not.
func IsPhoneKey(key string) bool { return phoneUser(key) != "" }

// CloudIdentity is how one Cloud API webhook names a WhatsApp user.
type CloudIdentity struct {
	Phone       string // E.164 with "+"; "" when Meta withheld it
	BSUID       string // "" only in deliveries from before BSUIDs
	ParentBSUID string // "" unless linked business portfolios share one
	Username    string // display only: it can change at any time
}

const (
	bsuidContactQuery = `SELECT id, phone, COALESCE(parent_bsuid, ''), COALESCE(username, '') FROM contacts
		WHERE bsuid = ? AND merged_into IS NULL`
	// keyedContactQuery finds the contact a key names, following merges to
	// the surviving contact.
	keyedContactQuery = `WITH RECURSIVE up(id, merged_into, phone) AS (
			SELECT id, merged_into, phone FROM contacts WHERE phone = ?
			UNION ALL SELECT c.id, c.merged_into, c.phone FROM contacts c JOIN up ON c.id = up.merged_into)
		SELECT id, phone FROM up WHERE merged_into IS NULL LIMIT 1`
	newBSUIDContactQuery = `INSERT INTO contacts (phone, bsuid, parent_bsuid, username, created_at) VALUES (?, ?, NULLIF(?, ''), NULLIF(?, ''), ?)`
	// profileQuery records the parent BSUID and username the latest webhook
	// showed; an absent value leaves the stored one.
	profileQuery = `UPDATE contacts SET parent_bsuid = COALESCE(NULLIF(?2, ''), parent_bsuid),
		username = COALESCE(NULLIF(?3, ''), username) WHERE id = ?1`
	keyOfQuery = `SELECT phone FROM contacts WHERE id = ?`
)

// IdentifyCloud returns the contact key under which the Cloud API message
// of who is stored, recording what the webhook showed first:
//   - a BSUID with a phone is LinkBSUID (the phone's contact carries the
//     BSUID; a contact known only by the BSUID becomes, or merges into, it);
//   - a BSUID alone finds the contact that carries it, created now when the
//     person writes for the first time (keyed BSUIDKey);
//   - a phone alone (deliveries from before BSUIDs) is the phone.
//
// The parent BSUID and the username are updated when they changed. Call it
// before storing the message; it writes only when something is new.
func (s *Store) IdentifyCloud(ctx context.Context, who CloudIdentity) (string, error) {
	if who.BSUID == "" {
		if who.Phone == "" {
			return "", errors.New("identify: neither phone nor bsuid")
		}
		return who.Phone, nil
	}
	key, _, err := s.noteCloud(ctx, who, true)
	if err != nil {
		return "", fmt.Errorf("identify: %w", err)
	}
	return key, nil
}

// SeenCloud records what a status callback showed about a person the bot
// wrote to (Meta adds the phone to a status of a reply addressed by BSUID
// when it may, and the username to delivered and read statuses). Nobody is
// created: a BSUID no contact carries (a person since erased) changes nothing.
func (s *Store) SeenCloud(ctx context.Context, who CloudIdentity) error {
	if who.BSUID == "" {
		return nil
	}
	if _, _, err := s.noteCloud(ctx, who, false); err != nil {
		return fmt.Errorf("status identity: %w", err)
	}
	return nil
}

// noteCloud is IdentifyCloud (create true) and SeenCloud (create false). It
// reads first and writes only when the webhook showed something new.
func (s *Store) noteCloud(ctx context.Context, who CloudIdentity, create bool) (key string, found bool, err error) {
	var id int64
	var parent, username string
	err = s.ro.QueryRowContext(ctx, bsuidContactQuery, who.BSUID).Scan(&id, &key, &parent, &username)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	found = err == nil
	if !found && !create {
		return "", false, nil
	}
	if found && (who.Phone == "" || who.Phone == key) && (who.ParentBSUID == "" || who.ParentBSUID == parent) &&
		(who.Username == "" || who.Username == username) {
		return key, true, nil // the common case: nothing new
	}
	now := millis(s.now())
	err = s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		key, err = identifyTx(ctx, tx, who, now)
		return err
	})
	return key, found, err
}

func identifyTx(ctx context.Context, tx *sql.Tx, who CloudIdentity, now int64) (string, error) {
	var id int64
	var key string
	if who.Phone != "" {
		if err := linkTx(ctx, tx, bsuidAlias, who.Phone, who.BSUID, now); err != nil {
			return "", err
		}
		key = who.Phone
		if err := tx.QueryRowContext(ctx, activeContactQuery, key).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
	} else {
		var err error
		if id, key, err = bsuidContact(ctx, tx, who, now); err != nil {
			return "", err
		}
	}
	if id == 0 {
		return key, nil
	}
	_, err := tx.ExecContext(ctx, profileQuery, id, who.ParentBSUID, who.Username)
	return key, err
}

// bsuidContact finds the active contact of a BSUID seen without a phone,
// creating it when the person is new.
func bsuidContact(ctx context.Context, tx *sql.Tx, who CloudIdentity, now int64) (int64, string, error) {
	id, key, err := findBSUID(ctx, tx, who.BSUID)
	if err != nil || id != 0 {
		return id, key, err
	}
	res, err := tx.ExecContext(ctx, newBSUIDContactQuery, BSUIDKey(who.BSUID), who.BSUID, who.ParentBSUID, who.Username, now)
	if err != nil {
		return 0, "", fmt.Errorf("new contact: %w", err)
	}
	id, err = res.LastInsertId()
	return id, BSUIDKey(who.BSUID), err
}

// findBSUID returns the active contact that carries bsuid, or that is keyed
// by it (a BSUID-only contact that gave the BSUID away in a merge because
// its survivor already had one still names the person); 0 when none.
func findBSUID(ctx context.Context, tx *sql.Tx, bsuid string) (int64, string, error) {
	var id int64
	var key string
	err := tx.QueryRowContext(ctx, bsuidContactQuery, bsuid).Scan(&id, &key, new(string), new(string))
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return id, key, err
	}
	err = tx.QueryRowContext(ctx, keyedContactQuery, BSUIDKey(bsuid)).Scan(&id, &key)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, key, err
}

// LinkBSUID records that the business-scoped user id bsuid belongs to phone
// (a webhook or status that carried both, or the person shared their own
// number through WhatsApp's contact request): LinkLID's rules, for BSUIDs.
func (s *Store) LinkBSUID(ctx context.Context, phone, bsuid string) error {
	if !IsPhoneKey(phone) || bsuid == "" {
		return errors.New("link bsuid: a phone and a bsuid are required")
	}
	if err := s.link(ctx, bsuidAlias, phone, bsuid); err != nil {
		return fmt.Errorf("link bsuid: %w", err)
	}
	return nil
}

const (
	moveBSUIDQuery = `UPDATE contacts SET bsuid = ?2, parent_bsuid = COALESCE(NULLIF(?3, ''), parent_bsuid) WHERE id = ?1`
	// renameBSUIDKeyQuery renames a BSUID-only contact's key with its BSUID,
	// unless another row (a merged one) holds the new key.
	renameBSUIDKeyQuery = `UPDATE OR IGNORE contacts SET phone = ?2 WHERE id = ?1 AND phone = ?3`
)

// MoveBSUID records that the person known by BSUID old is now known by
// bsuid (Meta's user_id_update: a new BSUID is generated when the person
// changes their number). The person moves: the same contact, with its
// conversations, leads and consent, carries the new BSUID; nothing is
// copied. A contact the new BSUID already made (a message that overtook the
// update) merges into it. A suppression of the old BSUID holds for the new
// one. parent, when not "", is the new parent BSUID.
func (s *Store) MoveBSUID(ctx context.Context, old, bsuid, parent string) error {
	if old == "" || bsuid == "" {
		return errors.New("move bsuid: old and new bsuid are required")
	}
	if old == bsuid {
		return nil
	}
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		suppressed, err := s.suppressed(ctx, tx, BSUIDKey(old))
		if err != nil {
			return err
		}
		if suppressed {
			if err := s.suppress(ctx, tx, BSUIDKey(bsuid), "opt_out"); err != nil {
				return err
			}
		}
		return moveBSUIDTx(ctx, tx, old, bsuid, parent)
	})
	if err != nil {
		return fmt.Errorf("move bsuid: %w", err)
	}
	return nil
}

func moveBSUIDTx(ctx context.Context, tx *sql.Tx, old, bsuid, parent string) error {
	person, _, err := findBSUID(ctx, tx, old)
	if err != nil || person == 0 {
		return err // nobody known by the old BSUID (never wrote, or erased): nothing to move
	}
	var newer int64
	err = tx.QueryRowContext(ctx, bsuidContactQuery, bsuid).Scan(&newer, new(string), new(string), new(string))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if newer != 0 && newer != person {
		if err := mergeContacts(ctx, tx, newer, person, bsuidAlias, bsuid); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, moveBSUIDQuery, person, bsuid, parent); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, renameBSUIDKeyQuery, person, BSUIDKey(bsuid), BSUIDKey(old))
	return err
}

// MovePhone records that the person with phone old now writes from phone
// (Meta's user_changed_number system message): the contact is re-keyed, or,
// when the new number already has a contact, merged into it. An opt-out of
// the old number holds for the new one.
func (s *Store) MovePhone(ctx context.Context, old, phone string) error {
	if !IsPhoneKey(old) || !IsPhoneKey(phone) {
		return errors.New("move phone: old and new phone are required")
	}
	if old == phone {
		return nil
	}
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if suppressed, err := s.suppressed(ctx, tx, old); err != nil || suppressed {
			if err != nil {
				return err
			}
			if err := s.suppress(ctx, tx, phone, "opt_out"); err != nil {
				return err
			}
		}
		from, err := contactID(ctx, tx, old)
		if err != nil || from == 0 {
			return err
		}
		into, err := contactID(ctx, tx, phone)
		if err != nil {
			return err
		}
		if into == 0 {
			_, err = tx.ExecContext(ctx, movePhoneQuery, phone, from)
			return err
		}
		return mergeContacts(ctx, tx, from, into, alias{}, "")
	})
	if err != nil {
		return fmt.Errorf("move phone: %w", err)
	}
	return nil
}

// PersonKey turns how an operator names a person into their contact key: an
// E.164 phone or a key is returned as is; a BSUID ("CO.1502…") or a username
// ("@carlos") is looked up. A BSUID nobody has is returned as its key (its
// suppression or requests may still be stored); an unknown username is
// ErrNotFound.
func (s *Store) PersonKey(ctx context.Context, who string) (string, error) {
	who = strings.TrimSpace(who)
	switch {
	case who == "" || IsPhoneKey(who) || strings.Contains(who, ":"):
		return who, nil
	case strings.HasPrefix(who, "@"):
		var key string
		err := s.ro.QueryRowContext(ctx, keyByUsernameQuery, who).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("username %s: %w", who, ErrNotFound)
		}
		return key, err
	case LooksLikeBSUID(who):
		var key string
		err := s.ro.QueryRowContext(ctx, keyByBSUIDQuery, who).Scan(&key)
		if errors.Is(err, sql.ErrNoRows) {
			return BSUIDKey(who), nil
		}
		return key, err
	}
	return who, nil
}

// LooksLikeBSUID reports whether s has the form of a business-scoped user
// id: a two-letter country code, a dot, and letters, digits and dots
// ("CO.1502576394655843", "US.ENT.1181…"), at most 200 characters.
func LooksLikeBSUID(s string) bool {
	if len(s) < 4 || len(s) > 200 || s[2] != '.' {
		return false
	}
	for i, r := range s {
		switch {
		case i < 2 && r >= 'A' && r <= 'Z':
		case i >= 2 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'):
		default:
			return false
		}
	}
	return true
}

// consentEvidence is in as its consent record names the person: a WhatsApp
// identity that is not a phone (a BSUID, a LID) is kept as its keyed hash,
// like a suppression. The record is append-only and outlives a deletion, and
// the hash still proves whose authorisation it is to whoever holds the BSUID
// (PhoneHash of BSUIDKey), without keeping the identifier itself.
func (s *Store) consentEvidence(in flow.Inbound) flow.Inbound {
	if strings.HasPrefix(in.From, bsuidAlias.prefix) || strings.HasPrefix(in.From, lidAlias.prefix) {
		in.From = "hmac:" + s.PhoneHash(in.From)
	}
	return in
}

// setCallbackPhone stores the number a prospect without a callable address
// gave to be called back on (flow.Lead.CallbackPhone).
func setCallbackPhone(ctx context.Context, tx *sql.Tx, leadID int64, phone string) error {
	if phone == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, setCallbackPhoneQuery, phone, leadID); err != nil {
		return fmt.Errorf("callback phone: %w", err)
	}
	return nil
}

// Contact is one person as the channels know them.
type Contact struct {
	ID          int64
	Key         string // the phone (E.164) when known, else BSUIDKey or LIDKey
	BSUID       string
	ParentBSUID string
	Username    string
	Name        string
	OptedOut    bool
}

// ContactByBSUID returns the active contact that carries bsuid; ErrNotFound
// when none does.
func (s *Store) ContactByBSUID(ctx context.Context, bsuid string) (Contact, error) {
	var c Contact
	err := s.ro.QueryRowContext(ctx, contactByBSUIDQuery, bsuid).
		Scan(&c.ID, &c.Key, &c.BSUID, &c.ParentBSUID, &c.Username, &c.Name, &c.OptedOut)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("contact of bsuid: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("contact of bsuid: %w", err)
	}
	return c, nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	movePhoneQuery     = `UPDATE OR IGNORE contacts SET phone = ? WHERE id = ?`
	keyByUsernameQuery = `SELECT phone FROM contacts WHERE username IN (?1, substr(?1, 2))
			AND merged_into IS NULL ORDER BY id DESC LIMIT 1`
	keyByBSUIDQuery       = `SELECT phone FROM contacts WHERE bsuid = ? AND merged_into IS NULL`
	setCallbackPhoneQuery = `UPDATE leads SET callback_phone = ? WHERE id = ?`
	contactByBSUIDQuery   = `SELECT id, phone, bsuid, COALESCE(parent_bsuid, ''), COALESCE(username, ''), name,
		opted_out_at IS NOT NULL FROM contacts WHERE bsuid = ? AND merged_into IS NULL`
)
