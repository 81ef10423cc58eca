package flow

import (
	"fmt"
	"time"
)

// The data-rights deadlines (Ley 1581 de 2012 art. 14 and 15, Decreto 1377
// de 2013) and the term to report a security incident to the SIC (SIC
// Circular Única, RELIABILITY §3.1): pure rules, counted in Colombian
// business days in Bogota. The store records requests and incidents with
// the dates these give.

// RequestRevoke is the opt-out recorded as a data request: the
// authorisation revoked, a claim (reclamo) like RequestCorrect and
// RequestDelete.
const RequestRevoke = "revoke"

// Legal terms in business days and their one extension.
const (
	queryDays      = 10
	queryExtension = 5
	claimDays      = 15
	claimExtension = 8
	sicReportDays  = 15
	// WarnBusinessDays: an open item due within this many business days is
	// flagged on the dashboard.
	WarnBusinessDays = 2
)

// LegalTerm is how long the law gives to answer a data request.
type LegalTerm struct {
	Type      string // "consulta" (a query: access) or "reclamo" (a claim: correct, delete, revoke)
	Days      int    // business days after the day of receipt
	Extension int    // the one extension the law allows, in business days from the original due date
}

// DataRequestTerm returns the legal term of a request of kind.
func DataRequestTerm(kind string) (LegalTerm, error) {
	switch kind {
	case RequestAccess:
		return LegalTerm{"consulta", queryDays, queryExtension}, nil
	case RequestCorrect, RequestDelete, RequestRevoke:
		return LegalTerm{"reclamo", claimDays, claimExtension}, nil
	}
	return LegalTerm{}, fmt.Errorf("data request kind %q: want access, correct, delete or revoke", kind)
}

// Due is when a request received at received must be answered: the end of
// the Days-th Colombian business day after the day of receipt.
func (t LegalTerm) Due(received time.Time) time.Time {
	return AddBusinessDays(received, t.Days, Bogota())
}

// Extended is the due date once the one extension is used.
func (t LegalTerm) Extended(due time.Time) time.Time {
	return AddBusinessDays(due, t.Extension, Bogota())
}

// SICReportDue is when an incident detected at detected must be reported
// to the SIC.
func SICReportDue(detected time.Time) time.Time {
	return AddBusinessDays(detected, sicReportDays, Bogota())
}

// DueWarning is the warning for an open item due at due: "overdue" once
// due has passed at now, "due_soon" when due within WarnBusinessDays
// Colombian business days, else "".
func DueWarning(due, now time.Time) string {
	if !now.Before(due) {
		return "overdue"
	}
	if !AddBusinessDays(now, WarnBusinessDays, Bogota()).Before(due) {
		return "due_soon"
	}
	return ""
}
