package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// Reaching a prospect who gave no number (issue 22): leads whose person
// wrote with a WhatsApp username, a hidden number or from the web chat are
// marked "solo WhatsApp" (or "no phone") on the queue and the lead page, and
// an advisor writes to them from the lead page through the outbox, the way
// the bot's replies leave. The partials live in templates/layout/reach.html
// so that the queue and lead templates only call them.

// reachStore is what writing to a prospect needs.
type reachStore interface {
	WriteToLead(ctx context.Context, id, user int64, body string) (int64, error)
}

// maxAdvisorMessage bounds a message written on the lead page (WhatsApp's
// own limit for a text is 4,096 characters).
const maxAdvisorMessage = 2000

// reachArgs is what the queue's badge partial needs from inside a range.
type reachArgs struct {
	Lang string
	Row  store.QueueRow
}

func withLang(lang string, r store.QueueRow) reachArgs { return reachArgs{Lang: lang, Row: r} }

// writeToLead queues the advisor's message to the lead's person.
func (s *Server) writeToLead(c echo.Context) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	if err := s.workable(c, id); err != nil {
		return err
	}
	body := strings.TrimSpace(c.FormValue("message"))
	if body == "" || len([]rune(body)) > maxAdvisorMessage {
		return echo.ErrBadRequest
	}
	_, err = s.reach.WriteToLead(c.Request().Context(), id, sessionOf(c).User.ID, body)
	switch {
	case errors.Is(err, store.ErrWindowClosed), errors.Is(err, store.ErrSuppressed):
		return echo.NewHTTPError(http.StatusConflict) // the form is not offered then; it closed meanwhile
	case err != nil:
		return err
	}
	s.audit(c, "lead_message", "lead:"+strconv.FormatInt(id, 10), "")
	if c.Request().Header.Get(csrfHeader) != "" {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/leads/"+strconv.FormatInt(id, 10)+"#reach")
}
