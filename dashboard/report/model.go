package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/store"
)

// Store is what a model's report is computed from and cached in;
// *store.Store satisfies it.
type Store interface {
	ModelBundle(ctx context.Context, id int64) ([]byte, error)
	LabelledLeads(ctx context.Context) ([]store.HistoryLead, error)
	ImportRuns(ctx context.Context, kind string) ([][]byte, error)
	CountBotLabelled(ctx context.Context) (int, error)
	SaveModelReport(ctx context.Context, id int64, body []byte) error
	ModelReport(ctx context.Context, id int64) ([]byte, error)
}

// Compute builds model id's report from the store's labelled leads and
// import records, and saves it (as JSON) so the dashboard can show it
// without recomputing. It is the slow part: one cross-validation of the
// forest (o.Trees trees).
func Compute(ctx context.Context, st Store, id int64, o modelreport.Options) (*modelreport.Report, error) {
	body, err := st.ModelBundle(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := scoring.DecodeBundle(body)
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", id, err)
	}
	rows, err := st.LabelledLeads(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := st.ImportRuns(ctx, "leads")
	if err != nil {
		return nil, err
	}
	bot, err := st.CountBotLabelled(ctx)
	if err != nil {
		return nil, err
	}
	q, err := modelreport.Quality(runs, len(rows), bot)
	if err != nil {
		return nil, err
	}
	r, err := modelreport.ForModel(ctx, id, b, scoring.Examples(rows), q, o)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report of model %d: %w", id, err)
	}
	if err := st.SaveModelReport(ctx, id, js); err != nil {
		return nil, err
	}
	return r, nil
}

// Stored returns model id's saved report, or an error wrapping
// store.ErrNotFound when it has not been computed yet.
func Stored(ctx context.Context, st Store, id int64) (*modelreport.Report, error) {
	js, err := st.ModelReport(ctx, id)
	if err != nil {
		return nil, err
	}
	r := &modelreport.Report{}
	if err := json.Unmarshal(js, r); err != nil {
		return nil, fmt.Errorf("stored report of model %d: %w: %w", id, store.ErrCorrupt, err)
	}
	return r, nil
}

// IsMissing reports whether err means "no report computed yet".
func IsMissing(err error) bool { return errors.Is(err, store.ErrNotFound) }
