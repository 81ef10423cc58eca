package scoring

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	randomforest "github.com/malaschitz/randomForest"

	"github.com/cis-agencia/cis/scoring/learn"
)

// Bundle formats: 1 is a forest and its calibration; 2 adds the
// forest-first blend (Blend), which a build that reads only 1 must not
// ignore, so such bundles say 2. This build reads both.
const (
	bundleFormat      = 1
	bundleFormatBlend = 2
)

// Bundle is a trained model with everything needed to score, saved and
// loaded as one unit: gzip'd JSON, so it can be inspected and diffed.
type Bundle struct {
	Format      int                  `json:"format"`
	Kind        string               `json:"kind,omitempty"` // "" or "lead": lead scoring; "churn": see churn.go
	CreatedAt   time.Time            `json:"created_at"`
	Schema      Schema               `json:"schema"` // feature names and encoders, in vector order
	Forest      *randomforest.Forest `json:"forest"` // the library's own JSON form
	Calibration learn.Calibration    `json:"calibration"`
	// Blend, when set, scores instead of Calibration: the forest-first
	// blend with its two partner models (learn.Blend).
	Blend *learn.Blend `json:"blend,omitempty"`
	// Tuning is how the forest's setting was chosen (learn.TunedForest).
	Tuning     *learn.Tuning  `json:"tuning,omitempty"`
	Thresholds Thresholds     `json:"thresholds"`
	Metrics    []learn.Result `json:"metrics"` // the comparison at training time
	DataSHA256 string         `json:"data_sha256"`
	Rows       int            `json:"rows"`      // labelled leads trained on
	Positives  int            `json:"positives"` // conversions among them
}

// Encode serialises the bundle.
func (b *Bundle) Encode() ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(b); err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeBundle reads and validates a bundle. Any damage (not gzip, bad
// JSON, a tree whose nodes do not link up, a schema that does not match the
// forest) is an error wrapping ErrInvalidBundle; it never panics.
func DecodeBundle(body []byte) (b *Bundle, err error) {
	defer func() {
		// The library's UnmarshalJSON follows node ids without checking them.
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%w: %v", ErrInvalidBundle, r)
		}
	}()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 512<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	b = &Bundle{}
	if err := json.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	b.Schema.init()
	return b, nil
}

// validate rejects a bundle that would panic or mis-score.
func (b *Bundle) validate() error {
	enc := b.Schema.Encoder
	switch {
	case b.Format != bundleFormat && b.Format != bundleFormatBlend:
		return fmt.Errorf("format %d, this build reads %d and %d", b.Format, bundleFormat, bundleFormatBlend)
	case (b.Format == bundleFormatBlend) != (b.Blend != nil):
		return fmt.Errorf("format %d with blend %v", b.Format, b.Blend != nil)
	case b.Forest == nil || len(b.Forest.Trees) == 0:
		return errors.New("no trees")
	case b.Forest.NTrees != len(b.Forest.Trees):
		return fmt.Errorf("NTrees=%d but %d trees stored", b.Forest.NTrees, len(b.Forest.Trees))
	case b.Forest.Features != len(b.Schema.Columns):
		return fmt.Errorf("forest expects %d features, schema has %d", b.Forest.Features, len(b.Schema.Columns))
	case len(enc.Inputs) == 0 || len(enc.Medians) != len(enc.Inputs) || len(enc.Levels) != len(enc.Inputs):
		return fmt.Errorf("schema has %d inputs with %d medians and %d level lists", len(enc.Inputs), len(enc.Medians), len(enc.Levels))
	case enc.Rates != nil && (len(enc.Rates) != len(enc.Inputs) || len(enc.Priors) != len(enc.Inputs)):
		return errors.New("schema's target rates do not match its inputs")
	case !b.Thresholds.ordered():
		return errors.New("tier thresholds out of order")
	case !b.Calibration.Valid():
		return errors.New("invalid calibration")
	}
	if err := b.checkInputs(); err != nil {
		return err
	}
	if err := b.checkBlend(); err != nil {
		return err
	}
	e := enc
	e.Init()
	if e.Width != len(b.Schema.Columns) {
		return fmt.Errorf("encoder gives %d columns, schema lists %d", e.Width, len(b.Schema.Columns))
	}
	return nil
}

// checkBlend checks what the blend's scoring would read: its calibration,
// weights and linear partner. The boosted partner's trees are checked when
// they are laid out for scoring (NewModel).
func (b *Bundle) checkBlend() error {
	bl := b.Blend
	if bl == nil {
		return nil
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case bl.Cal.Method != "platt" || !bl.Cal.Valid():
		return errors.New("blend: invalid calibration")
	case !finite(bl.BoostW) || !finite(bl.LinearW) || (bl.Boost != nil && !finite(bl.Boost.Init)):
		return errors.New("blend: weight not a number")
	}
	if l := bl.Linear; l != nil {
		w := len(b.Schema.Columns)
		if len(l.W) != w || len(l.Mean) != w || len(l.Scale) != w || !finite(l.B) {
			return fmt.Errorf("blend: linear partner has %d weights for %d columns", len(l.W), w)
		}
		for j := range l.W {
			if !finite(l.W[j]) || !finite(l.Mean[j]) || !finite(l.Scale[j]) || l.Scale[j] <= 0 {
				return fmt.Errorf("blend: linear partner column %d", j)
			}
		}
	}
	return nil
}

// checkInputs checks the schema's inputs against what this build computes
// for the bundle's kind. A lead bundle carries its own inputs, so one
// trained with an earlier or later field list still loads as long as this
// build can compute every field it names, with the same kind; a churn
// bundle must name churnFields exactly.
func (b *Bundle) checkInputs() error {
	enc := b.Schema.Encoder
	switch b.Kind {
	case "", KindLead:
	case KindChurn:
		if len(enc.Inputs) != len(churnFields) {
			return fmt.Errorf("schema has %d inputs, this build has %d churn fields", len(enc.Inputs), len(churnFields))
		}
		for k, f := range churnFields {
			if enc.Inputs[k] != f {
				return fmt.Errorf("schema input %d is %v, want %v", k, enc.Inputs[k], f)
			}
		}
		return nil
	default:
		return fmt.Errorf("unknown model kind %q", b.Kind)
	}
	for k, f := range enc.Inputs {
		kind, ok := knownFields[f.Name]
		switch {
		case !ok:
			return fmt.Errorf("schema input %d %q is not a field this build computes", k, f.Name)
		case kind != f.Kind:
			return fmt.Errorf("schema input %q is %s, this build computes it as %s", f.Name, f.Kind, kind)
		case f.Kind == learn.TargetRate && (enc.Rates == nil || enc.Rates[k] == nil):
			return fmt.Errorf("schema input %q has no learned rates", f.Name)
		}
	}
	return nil
}

// ErrInvalidBundle is returned by DecodeBundle (and by Active.Load) when a
// stored bundle cannot serve.
var ErrInvalidBundle = errors.New("invalid model bundle")
