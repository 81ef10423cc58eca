package dashboard

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password policy (ASVS 6.2): length only, no composition rules, checked
// exactly as typed (no trimming), and not a common password.
const (
	MinPasswordRunes = 12
	MaxPasswordRunes = 128
)

// argon2id parameters: OWASP's Password Storage Cheat Sheet (m=19 MiB, t=2, p=1).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// Password policy errors, shown to the user through the catalogue.
var (
	ErrPasswordShort  = errors.New("password too short")
	ErrPasswordLong   = errors.New("password too long")
	ErrPasswordCommon = errors.New("password too common")
)

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckPassword applies the policy to a new password for username.
func CheckPassword(username, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordRunes:
		return ErrPasswordShort
	case n > MaxPasswordRunes:
		return ErrPasswordLong
	}
	low := strings.ToLower(pw)
	if commonPasswords[low] || strings.EqualFold(pw, username) || onlyRepeats(low) {
		return ErrPasswordCommon
	}
	// A common password with a digit run or a year glued on is still common.
	if base := strings.TrimRight(low, "0123456789!.*"); base != low && commonPasswords[base] {
		return ErrPasswordCommon
	}
	return nil
}

// onlyRepeats reports a password made of one short unit repeated ("aaaa…", "abcabc…").
func onlyRepeats(s string) bool {
	for unit := 1; unit <= 4 && unit < len(s); unit++ {
		if strings.Repeat(s[:unit], len(s)/unit+1)[:len(s)] == s {
			return true
		}
	}
	return false
}

// HashPassword returns the argon2id PHC string of pw with a fresh salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC string, in constant time.
func VerifyPassword(phc, pw string) bool {
	p, err := parsePHC(phc)
	if err != nil {
		return false
	}
	key := argon2.IDKey([]byte(pw), p.salt, p.time, p.memory, p.threads, uint32(len(p.key))) // #nosec G115 -- parsePHC bounds len(p.key) to 16..64
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

type phcParams struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parsePHC(s string) (phcParams, error) {
	var p phcParams
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return p, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, errors.New("unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memory, &p.time, &p.threads); err != nil {
		return p, fmt.Errorf("argon2 parameters: %w", err)
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return p, err
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil {
		return p, err
	}
	if len(p.key) < 16 || len(p.key) > 64 || p.time == 0 || p.time > 10 || p.threads == 0 || p.memory > 1<<21 {
		return p, errors.New("bad argon2 parameters")
	}
	return p, nil
}

// dummyHash is verified for unknown usernames so that both failures cost the same.
var dummyHash = func() string {
	h, err := HashPassword("dummy password for timing equality")
	if err != nil {
		panic(err) // crypto/rand failing at start is a broken machine
	}
	return h
}()
