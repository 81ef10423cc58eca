package scoring

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// Measured is what a model measured at training time, for the accuracy
// page: the ROC AUC of its calibrated forest (the comparison row of the
// model in production; NaN for the rules) and its tier thresholds.
type Measured struct {
	Name      string
	TrainAUC  float64
	Hot, Warm float64
}

// Measured describes m.
func (m *Model) Measured() Measured {
	info := Measured{Name: m.Version, TrainAUC: math.NaN(), Hot: m.Bundle.Thresholds.Hot, Warm: m.Bundle.Thresholds.Warm}
	for _, r := range m.Bundle.Metrics {
		if r.Name == learn.CalibratedModel {
			info.TrainAUC = r.Mean.ROCAUC
		}
	}
	return info
}

// Measured describes the model scoring leads now; without a trained one,
// the rule scorer's thresholds and no AUC.
func (a *Active) Measured() Measured {
	m := a.Current()
	if m == nil || m.Bundle == nil {
		return Measured{Name: "rules", TrainAUC: math.NaN(), Hot: DefaultThresholds().Hot, Warm: DefaultThresholds().Warm}
	}
	return m.Measured()
}

// churnModels lists the stored models and loads the active churn bundle;
// *store.Store is one.
type churnModels interface {
	churnBundleSource
	Models(ctx context.Context) ([]store.ModelInfo, error)
}

// ChurnMeasured describes the active churn model (models.kind = 'churn').
// The store may get a new one at any time (`cis train churn` in another
// process), so each call looks up the active id, and the bundle is decoded
// only when that id changed.
type ChurnMeasured struct {
	src  churnModels
	lang string
	mu   sync.Mutex
	id   int64
	info Measured
}

// NewChurnMeasured describes the active churn model of src, with reasons in lang.
func NewChurnMeasured(src churnModels, lang string) *ChurnMeasured {
	return &ChurnMeasured{src: src, lang: lang}
}

// Get returns the active churn model's description; the error wraps
// store.ErrNotFound when no churn model is active.
func (c *ChurnMeasured) Get(ctx context.Context) (Measured, error) {
	models, err := c.src.Models(ctx)
	if err != nil {
		return Measured{}, err
	}
	var id int64
	for _, m := range models {
		if m.Active && m.Kind == store.KindChurn {
			id = m.ID
		}
	}
	if id == 0 {
		return Measured{}, fmt.Errorf("churn model info: %w", store.ErrNotFound)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id == id {
		return c.info, nil
	}
	m, err := LoadChurnModel(ctx, c.src, c.lang)
	if err != nil {
		return Measured{}, err
	}
	c.id, c.info = m.ID, m.Measured()
	return c.info, nil
}
