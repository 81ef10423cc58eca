package bot

import (
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// LeadReport is the stored outcome of one conversation, as `cis chat --json`
// prints it. For a conversation that did not complete, the answers given so
// far are reported (a partial lead is data too) and class is empty.
type LeadReport struct {
	Status      flow.Status   `json:"status"`
	Step        flow.Stage    `json:"step"`
	LeadID      int64         `json:"lead_id,omitempty"`
	Name        string        `json:"name"`
	City        flow.City     `json:"city"`
	Budget      flow.Budget   `json:"budget"`
	Urgency     flow.Urgency  `json:"urgency"`
	Service     string        `json:"service"`
	Class       flow.Class    `json:"class"`
	Probability float64       `json:"probability"`
	Model       string        `json:"model,omitempty"`
	Reasons     []flow.Reason `json:"reasons,omitempty"`
	Deadline    string        `json:"deadline"` // RFC 3339, UTC
	Consent     string        `json:"consent_policy,omitempty"`
}

// Report builds the LeadReport of a stored conversation.
func Report(v store.ConversationView) LeadReport {
	s := v.State
	r := LeadReport{Status: s.Status, Step: s.Stage, Name: s.Answers.Name, Urgency: s.Answers.Urgency,
		Service: s.Answers.Service, Consent: s.ConsentPolicy}
	if s.Answers.City != nil {
		r.City = *s.Answers.City
	}
	if s.Answers.Budget != nil {
		r.Budget = *s.Answers.Budget
	}
	// A lead completed and not restarted since keeps its score, also when the
	// person later opted out or asked for an advisor.
	if v.Lead != nil && s.Score != nil {
		l := v.Lead
		r.LeadID, r.Class, r.Probability, r.Model, r.Reasons = l.ID, l.Score.Class, l.Score.Probability, l.Score.Model, l.Score.Reasons
		r.Deadline = l.DeadlineAt.UTC().Format(time.RFC3339)
	}
	return r
}
