package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A table's checksum is the SHA-256 of its rows in primary-key order, each
// value in one canonical text form computed in Go from the value each
// engine returns (never from either engine's own text output, which
// differs: PostgreSQL's bytea is \x…, SQLite's floats print otherwise).
// The column's kind on the target decides the form, on both sides:
//
//	integer  decimal digits                 float  shortest exact (strconv 'g' -1)
//	boolean  t or f                         bytes  lower-case hex
//	text     the UTF-8 text itself          uuid   8-4-4-4-12 lower-case hex
//	NULL     a marker no value can take
//
// Each value is written with its length, so no two rows run together.

// colKind is how a column's values are carried and compared.
type colKind int

const (
	kindInt colKind = iota
	kindFloat
	kindBool
	kindBytes
	kindText
	kindUUID
)

// kindOf maps a PostgreSQL column type (format_type) to its kind.
func kindOf(typ string) (colKind, error) {
	switch {
	case typ == "bigint" || typ == "integer" || typ == "smallint":
		return kindInt, nil
	case typ == "double precision": // not real: float4 would round the copy
		return kindFloat, nil
	case typ == "boolean":
		return kindBool, nil
	case typ == "bytea":
		return kindBytes, nil
	case typ == "text" || strings.HasPrefix(typ, "character"):
		return kindText, nil
	case typ == "uuid":
		return kindUUID, nil
	}
	return 0, fmt.Errorf("type %s: the copy does not know how to carry it", typ)
}

// toTarget converts a value read from SQLite to the Go value PostgreSQL
// takes for the column's kind. SQLite keeps what it is given (an integer
// column may hold text); what does not fit the target is an error, never
// a silent change.
func toTarget(k colKind, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch k {
	case kindInt:
		return toInt(v)
	case kindFloat:
		return toFloat(v)
	case kindBool:
		return toBool(v)
	case kindBytes:
		return toBytes(v)
	case kindText:
		return toText(v)
	case kindUUID:
		return toUUID(v)
	}
	return nil, fmt.Errorf("unknown kind %d", k)
}

func toInt(v any) (any, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
	case []byte:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n, nil
		}
	}
	return nil, fmt.Errorf("%s is not an integer", describe(v))
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s is not a number", describe(v))
}

func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	}
	return nil, fmt.Errorf("%s is not a boolean (0 or 1)", describe(v))
}

func toBytes(v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, fmt.Errorf("%s is not bytes", describe(v))
}

func toText(v any) (any, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10) // SQLite's own text of a number stored in a text column
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return nil, errors.New("a date where text was expected")
	default:
		return nil, fmt.Errorf("%s is not text", describe(v))
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return nil, errors.New("text that is not valid UTF-8 (or holds a NUL byte), which PostgreSQL refuses")
	}
	return s, nil
}

// toUUID takes SQLite's text form (any case, hyphens or not) or 16 bytes.
func toUUID(v any) (any, error) {
	var b [16]byte
	switch x := v.(type) {
	case []byte:
		if len(x) == 16 {
			copy(b[:], x)
			return b, nil
		}
		return toUUID(string(x))
	case string:
		h, err := hex.DecodeString(strings.ReplaceAll(x, "-", ""))
		if err == nil && len(h) == 16 {
			copy(b[:], h)
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s is not a UUID", describe(v))
}

// describe names a value's type and size without its content: values may
// be personal data, and errors reach logs.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("a text of %d bytes", len(x))
	case []byte:
		return fmt.Sprintf("a blob of %d bytes", len(x))
	}
	return fmt.Sprintf("a %T", v)
}

// rowSum accumulates a table's checksum and row count.
type rowSum struct {
	h    hash.Hash
	rows int64
	buf  []byte
}

func newRowSum() *rowSum { return &rowSum{h: sha256.New()} }

// add adds one row, its values already in the target's Go types (toTarget
// on the source side; pgx's scan on the target side).
func (s *rowSum) add(kinds []colKind, vals []any) error {
	s.rows++
	for i, v := range vals {
		text, null, err := canonical(kinds[i], v)
		if err != nil {
			return err
		}
		s.buf = s.buf[:0]
		if null {
			s.buf = append(s.buf, 'N')
		} else {
			s.buf = append(s.buf, 'V')
			s.buf = binary.AppendUvarint(s.buf, uint64(len(text)))
			s.buf = append(s.buf, text...)
		}
		s.h.Write(s.buf)
	}
	return nil
}

func (s *rowSum) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

// canonical is a value's text form for its kind (see above).
func canonical(k colKind, v any) (text string, null bool, err error) {
	if v == nil {
		return "", true, nil
	}
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10), false, nil
	case int32:
		return strconv.FormatInt(int64(x), 10), false, nil
	case int16:
		return strconv.FormatInt(int64(x), 10), false, nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), false, nil
	case bool:
		return map[bool]string{true: "t", false: "f"}[x], false, nil
	case []byte:
		return hex.EncodeToString(x), false, nil
	case string:
		return x, false, nil
	case [16]byte:
		h := hex.EncodeToString(x[:])
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], false, nil
	}
	return "", false, fmt.Errorf("no canonical form for %T in a column of kind %d", v, k)
}
