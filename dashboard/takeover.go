package dashboard

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// takeoverStore gives a chat an advisor took over from the agency's phone
// back to the bot (store/takeover.go).
type takeoverStore interface {
	HandBackLead(ctx context.Context, id, user int64) (bool, error)
}

// handBackLead gives the lead's chat back to the bot: it answers the
// prospect's next message from where the conversation stood.
func (s *Server) handBackLead(c echo.Context) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	if err := s.workable(c, id); err != nil {
		return err
	}
	if _, err := s.takeover.HandBackLead(c.Request().Context(), id, sessionOf(c).User.ID); err != nil {
		return err
	}
	s.audit(c, "lead_handback", "lead:"+strconv.FormatInt(id, 10), "")
	if c.Request().Header.Get(csrfHeader) != "" {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/leads/"+strconv.FormatInt(id, 10))
}
