package scoring

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A model file (`cis models export`) carries one stored bundle between
// installations. It starts with a short text header, so `head -5 model.cis`
// says what it is, then the bundle's bytes exactly as the store holds them:
//
//	CIS-MODEL
//	format 1
//	kind lead
//	size 123456
//	sha256 <hex of the body>
//	<empty line>
//	<body>
//
// The format number is the layout of this envelope, not of the bundle
// (Bundle.Format is checked when the body is decoded). A reader refuses a
// newer format, a missing magic line, a short body and a checksum mismatch,
// each with its own message.

// ExportMagic is the first line of every model file.
const ExportMagic = "CIS-MODEL"

// ExportFormat is the envelope version this build writes and reads.
const ExportFormat = 1

// maxModelFile bounds what ReadModelFile accepts, so a wrong file given by
// mistake (a disk image) fails fast instead of filling memory.
const maxModelFile = 256 << 20

// Errors of ReadModelFile, so callers and tests can tell them apart.
var (
	ErrNotModelFile  = errors.New("not a CIS model file (made by cis models export)")
	ErrModelFormat   = errors.New("model file format not supported by this build")
	ErrTruncated     = errors.New("model file is truncated")
	ErrModelChecksum = errors.New("model file checksum does not match its content")
)

// ModelFile is a decoded model file's envelope and body.
type ModelFile struct {
	Format int
	Kind   string // "lead" (lead scoring); other kinds come with their models
	Body   []byte // the bundle as the store keeps it
}

// WriteModelFile writes kind and body as a model file.
func WriteModelFile(w io.Writer, kind string, body []byte) error {
	if kind == "" || strings.ContainsAny(kind, " \n") {
		return fmt.Errorf("export: bad model kind %q", kind)
	}
	sum := sha256.Sum256(body)
	if _, err := fmt.Fprintf(w, "%s\nformat %d\nkind %s\nsize %d\nsha256 %s\n\n", ExportMagic, ExportFormat, kind, len(body), hex.EncodeToString(sum[:])); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// ReadModelFile reads and checks a model file: magic line, envelope format,
// declared size and SHA-256 of the body. It does not decode the bundle; see
// CheckImport for that.
func ReadModelFile(r io.Reader) (*ModelFile, error) {
	br := bufio.NewReader(io.LimitReader(r, maxModelFile+4096))
	magic, err := br.ReadString('\n')
	if strings.TrimRight(magic, "\r\n") != ExportMagic {
		if err != nil && len(magic) < len(ExportMagic) && strings.HasPrefix(ExportMagic, magic) && magic != "" {
			return nil, fmt.Errorf("%w: the header ends after %d bytes", ErrTruncated, len(magic))
		}
		return nil, ErrNotModelFile
	}
	head := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("%w: the header is incomplete", ErrTruncated)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok || len(head) > 16 {
			return nil, fmt.Errorf("%w: bad header line %q", ErrNotModelFile, line)
		}
		head[k] = v
	}
	f := &ModelFile{Kind: head["kind"]}
	if f.Format, err = strconv.Atoi(head["format"]); err != nil || f.Format < 1 {
		return nil, fmt.Errorf("%w: format %q", ErrNotModelFile, head["format"])
	}
	if f.Format > ExportFormat {
		return nil, fmt.Errorf("%w: file format %d, this build reads up to %d; update cis on this machine", ErrModelFormat, f.Format, ExportFormat)
	}
	size, err := strconv.Atoi(head["size"])
	if err != nil || size <= 0 || size > maxModelFile {
		return nil, fmt.Errorf("%w: size %q", ErrNotModelFile, head["size"])
	}
	if f.Kind == "" {
		return nil, fmt.Errorf("%w: no model kind", ErrNotModelFile)
	}
	f.Body = make([]byte, size)
	if n, err := io.ReadFull(br, f.Body); err != nil {
		return nil, fmt.Errorf("%w: %d of %d body bytes", ErrTruncated, n, size)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		return nil, fmt.Errorf("%w: bytes after the declared size", ErrModelChecksum)
	}
	sum := sha256.Sum256(f.Body)
	if !bytes.Equal([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(head["sha256"]))) {
		return nil, ErrModelChecksum
	}
	return f, nil
}

// CheckImport decodes a model file's bundle (lead scoring or churn) as the
// server would load it, so an incompatible bundle (another bundle format,
// another feature schema, a kind other than the file says) is refused
// before it is stored.
func CheckImport(f *ModelFile) (*Bundle, error) {
	if f.Kind != KindLead && f.Kind != KindChurn {
		return nil, fmt.Errorf("%w: kind %q; this build imports %q and %q models", ErrModelFormat, f.Kind, KindLead, KindChurn)
	}
	b, err := DecodeBundle(f.Body)
	if err != nil {
		return nil, fmt.Errorf("incompatible with this build: %w", err)
	}
	if kind := cmp.Or(b.Kind, KindLead); kind != f.Kind {
		return nil, fmt.Errorf("%w: kind %q in the file header, but it holds a %q model", ErrModelFormat, f.Kind, kind)
	}
	if _, err := NewModel(0, b); err != nil {
		return nil, fmt.Errorf("incompatible with this build: %w", err)
	}
	return b, nil
}
