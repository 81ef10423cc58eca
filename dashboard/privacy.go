package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// privacyStore is what the data-rights back office ("Solicitudes de datos") needs. The store
// audits exports, deletions and request changes itself, in the same transaction (S-3).
type privacyStore interface {
	DataRequests(ctx context.Context, all bool, limit int) ([]store.DataRequest, error)
	DataRequest(ctx context.Context, id int64) (store.DataRequest, error)
	RecordDataRequest(ctx context.Context, phone, kind, channel string, received time.Time, user int64) (int64, error)
	ResolveDataRequest(ctx context.Context, id int64, status, resolution string, user int64) error
	ExtendDataRequest(ctx context.Context, id int64, note string, user int64) error
	ExportByPhone(ctx context.Context, phone string, user int64) (*store.Export, error)
	EraseByPhone(ctx context.Context, phone, reason, channel string, user int64) (store.Erasure, error)
	Exclusions(ctx context.Context, limit int) ([]store.Exclusion, error)
	AddExclusions(ctx context.Context, phones []string, source string, user int64) (int, error)
	RemoveExclusion(ctx context.Context, phone string, user int64) (bool, error)
	RecordIncident(ctx context.Context, detected time.Time, description string, user int64) (int64, error)
	Incidents(ctx context.Context, limit int) ([]store.Incident, error)
	MarkIncidentReported(ctx context.Context, id, user int64) error
	RetentionErasures(ctx context.Context) (int, time.Time, error)
}

func (s *Server) privacyRoutes() {
	s.route(http.MethodGet, "/admin/privacy", s.privacyPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests", s.privacyRecord, RoleAdmin)
	s.route(http.MethodGet, "/admin/privacy/requests/:id/export", s.privacyExport, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/resolve", s.privacyResolve, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/extend", s.privacyExtend, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/delete", s.privacyDelete, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/exclusions", s.privacyExclude, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/exclusions/remove", s.privacyUnexclude, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/incidents", s.privacyIncident, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/incidents/:id/reported", s.privacyIncidentReported, RoleAdmin)
}

type privacyRow struct {
	store.DataRequest
	Who     string // masked phone, or "erased"
	Warning string // overdue, due_soon, ""
}

type incidentRow struct {
	store.Incident
	Warning string
}

type privacyPageData struct {
	page
	All        bool
	Rows       []privacyRow
	Overdue    int
	DueSoon    int
	Exclusions []store.Exclusion
	Incidents  []incidentRow
	Flash      string
	Error      string
	// Retention: people erased by the retention periods; not requests, so
	// not in the list, but counted here.
	Retention     int
	RetentionLast time.Time
}

func (s *Server) privacyPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p := privacyPageData{page: s.basePage(c, lang), All: c.QueryParam("all") == "1"}
	p.Title = T(lang, "privacy.title")
	if k := c.QueryParam("done"); k != "" {
		p.Flash = T(lang, "privacy.done."+k)
	}
	if k := c.QueryParam("err"); k != "" {
		p.Error = T(lang, "privacy.err."+k)
	}
	rs, err := s.store.DataRequests(ctx, p.All, 500)
	if err != nil {
		return err
	}
	now := s.now()
	for _, r := range rs {
		row := privacyRow{DataRequest: r, Who: store.PhoneHint(r.Phone), Warning: r.Warning(now)}
		if r.Erased() {
			row.Who = T(lang, "privacy.erased")
		}
		switch row.Warning {
		case "overdue":
			p.Overdue++
		case "due_soon":
			p.DueSoon++
		}
		p.Rows = append(p.Rows, row)
	}
	if p.Retention, p.RetentionLast, err = s.store.RetentionErasures(ctx); err != nil {
		return err
	}
	if p.Exclusions, err = s.store.Exclusions(ctx, 200); err != nil {
		return err
	}
	incidents, err := s.store.Incidents(ctx, 100)
	if err != nil {
		return err
	}
	for _, i := range incidents {
		row := incidentRow{Incident: i, Warning: i.Warning(now)}
		if row.Warning == "overdue" {
			p.Overdue++
		} else if row.Warning == "due_soon" {
			p.DueSoon++
		}
		p.Incidents = append(p.Incidents, row)
	}
	s.audit(c, "privacy_viewed", "", "")
	return c.Render(http.StatusOK, "privacy", p)
}

func (s *Server) userID(c echo.Context) int64 {
	if sess := sessionOf(c); sess != nil {
		return sess.User.ID
	}
	return 0
}

func (s *Server) privacyBack(c echo.Context, key string, err error) error {
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/admin/privacy?err="+key)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/privacy?done="+key)
}

// privacyRecord records a request that arrived in writing (letter, e-mail), with its legal term.
func (s *Server) privacyRecord(c echo.Context) error {
	phone, kind := strings.TrimSpace(c.FormValue("phone")), c.FormValue("kind")
	if phone == "" {
		return s.privacyBack(c, "phone", errors.New("no phone"))
	}
	_, err := s.store.RecordDataRequest(c.Request().Context(), phone, kind, "admin", s.now(), s.userID(c))
	if err != nil {
		s.log.Warn("data request not recorded", "err", err)
	}
	return s.privacyBack(c, "recorded", err)
}

// request loads the :id request, or answers 404.
func (s *Server) request(c echo.Context) (store.DataRequest, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.DataRequest{}, echo.ErrNotFound
	}
	r, err := s.store.DataRequest(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return r, echo.ErrNotFound
	}
	return r, err
}

// privacyExport downloads everything stored about the request's holder, audited by the store.
func (s *Server) privacyExport(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	if r.Phone == "" {
		return echo.NewHTTPError(http.StatusGone, "the person was erased")
	}
	x, err := s.store.ExportByPhone(c.Request().Context(), r.Phone, s.userID(c))
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	b, err := x.JSON()
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="datos-solicitud-%d.json"`, r.ID))
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", b)
}

func (s *Server) privacyResolve(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	status := store.RequestResolved
	if c.FormValue("status") == store.RequestRejected {
		status = store.RequestRejected
	}
	err = s.store.ResolveDataRequest(c.Request().Context(), r.ID, status, strings.TrimSpace(c.FormValue("resolution")), s.userID(c))
	return s.privacyBack(c, "resolved", err)
}

func (s *Server) privacyExtend(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	err = s.store.ExtendDataRequest(c.Request().Context(), r.ID, c.FormValue("note"), s.userID(c))
	return s.privacyBack(c, "extended", err)
}

// privacyDelete erases the request's holder at once; the store records and audits it.
func (s *Server) privacyDelete(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	if r.Phone == "" {
		return s.privacyBack(c, "deleted", nil) // already erased
	}
	if c.FormValue("confirm") != "yes" {
		return s.privacyBack(c, "confirm", errors.New("not confirmed"))
	}
	_, err = s.store.EraseByPhone(c.Request().Context(), r.Phone, store.EraseRequested, "admin", s.userID(c))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.privacyBack(c, "deleted", nil)
}

func (s *Server) privacyExclude(c echo.Context) error {
	phones := strings.FieldsFunc(c.FormValue("phones"), func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' })
	source := "manual"
	if c.FormValue("source") == "rne" {
		source = "rne"
	}
	if len(phones) == 0 {
		return s.privacyBack(c, "phone", errors.New("no phone"))
	}
	_, err := s.store.AddExclusions(c.Request().Context(), phones, source, s.userID(c))
	return s.privacyBack(c, "excluded", err)
}

func (s *Server) privacyUnexclude(c echo.Context) error {
	ok, err := s.store.RemoveExclusion(c.Request().Context(), c.FormValue("phone"), s.userID(c))
	if err == nil && !ok {
		err = errors.New("not on the list")
	}
	return s.privacyBack(c, "unexcluded", err)
}

// privacyIncident records a security incident (S-2); detected is a Bogotá "2006-01-02T15:04"
// (an HTML datetime-local), empty for now.
func (s *Server) privacyIncident(c echo.Context) error {
	detected := s.now()
	if v := strings.TrimSpace(c.FormValue("detected")); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, bogota)
		if err != nil {
			return s.privacyBack(c, "incident", err)
		}
		detected = t
	}
	_, err := s.store.RecordIncident(c.Request().Context(), detected, c.FormValue("description"), s.userID(c))
	return s.privacyBack(c, "incident", err)
}

func (s *Server) privacyIncidentReported(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	err = s.store.MarkIncidentReported(c.Request().Context(), id, s.userID(c))
	return s.privacyBack(c, "reported", err)
}

func init() {
	for k, v := range map[string][2]string{
		"status.erased":                {"Borrado (datos personales eliminados)", "Erased (personal data deleted)"},
		"nav.privacy":                  {"Solicitudes de datos", "Data requests"},
		"privacy.title":                {"Solicitudes de datos", "Data requests"},
		"privacy.intro":                {"Consultas (10 días hábiles) y reclamos (15 días hábiles) de la Ley 1581 de 2012, por fecha de vencimiento. Los borrados pedidos por chat se hacen solos cuando sale la confirmación.", "Queries (10 business days) and claims (15 business days) under Ley 1581 de 2012, by due date. Deletions asked in the chat are carried out once the confirmation has left."},
		"privacy.warn_overdue":         {"vencida(s)", "overdue"},
		"privacy.warn_due_soon":        {"vence(n) en 2 días hábiles o menos", "due within 2 business days"},
		"privacy.warning.overdue":      {"Vencida", "Overdue"},
		"privacy.warning.due_soon":     {"Vence pronto", "Due soon"},
		"privacy.show_all":             {"Ver también las cerradas", "Show closed ones too"},
		"privacy.show_open":            {"Ver solo las abiertas", "Show open ones only"},
		"privacy.empty":                {"No hay solicitudes abiertas.", "No open requests."},
		"privacy.col.id":               {"N.º", "No."},
		"privacy.col.due":              {"Vence", "Due"},
		"privacy.col.received":         {"Recibida", "Received"},
		"privacy.col.kind":             {"Tipo", "Kind"},
		"privacy.col.holder":           {"Titular", "Holder"},
		"privacy.col.channel":          {"Canal", "Channel"},
		"privacy.col.status":           {"Estado", "Status"},
		"privacy.col.actions":          {"Acciones", "Actions"},
		"privacy.kind.access":          {"Consulta (mis datos)", "Query (my data)"},
		"privacy.kind.correct":         {"Reclamo: corrección", "Claim: correction"},
		"privacy.kind.delete":          {"Reclamo: supresión", "Claim: deletion"},
		"privacy.kind.revoke":          {"Reclamo: revocación (no escribir)", "Claim: revocation (opt-out)"},
		"privacy.status.open":          {"Abierta", "Open"},
		"privacy.status.resolved":      {"Resuelta", "Resolved"},
		"privacy.status.rejected":      {"Rechazada", "Rejected"},
		"privacy.erased":               {"(borrado)", "(erased)"},
		"privacy.extended":             {"Prorrogada", "Extended"},
		"privacy.export":               {"Exportar datos", "Export data"},
		"privacy.resolve":              {"Marcar resuelta", "Mark resolved"},
		"privacy.reject":               {"Rechazar", "Reject"},
		"privacy.resolution":           {"Respuesta dada (sin datos personales)", "Answer given (no personal data)"},
		"privacy.extend":               {"Prorrogar una vez", "Extend once"},
		"privacy.extend_note":          {"Motivo comunicado al titular", "Reason told to the holder"},
		"privacy.delete":               {"Borrar ahora", "Delete now"},
		"privacy.delete_confirm":       {"Confirmo el borrado definitivo", "I confirm the permanent deletion"},
		"privacy.record":               {"Registrar solicitud escrita", "Record a written request"},
		"privacy.phone":                {"Teléfono (+57…)", "Phone (+57…)"},
		"privacy.submit":               {"Registrar", "Record"},
		"privacy.exclusions":           {"Lista de exclusión (mensajes comerciales)", "Exclusion list (commercial messages)"},
		"privacy.exclusions_intro":     {"Números a los que no se envían seguimientos ni mensajes comerciales: Registro de Números Excluidos de la CRC o pedidos a mano. Se guardan cifrados con hash; se muestran los últimos dígitos.", "Numbers that get no follow-ups or commercial messages: the CRC's Registro de Números Excluidos or added by hand. Stored hashed; the last digits are shown."},
		"privacy.exclusions_add":       {"Agregar (uno por línea)", "Add (one per line)"},
		"privacy.source.manual":        {"Manual", "Manual"},
		"privacy.source.rne":           {"RNE (CRC)", "RNE (CRC)"},
		"privacy.remove":               {"Quitar", "Remove"},
		"privacy.done.recorded":        {"Solicitud registrada.", "Request recorded."},
		"privacy.done.resolved":        {"Solicitud cerrada.", "Request closed."},
		"privacy.done.extended":        {"Plazo prorrogado.", "Term extended."},
		"privacy.done.deleted":         {"Datos borrados. Queda solo el registro de autorización y el de borrado.", "Data deleted. Only the consent record and the deletion record remain."},
		"privacy.done.excluded":        {"Lista de exclusión actualizada.", "Exclusion list updated."},
		"privacy.done.unexcluded":      {"Número quitado de la lista.", "Number removed from the list."},
		"privacy.err.phone":            {"Escribe un teléfono con indicativo de país (+57…).", "Write a phone with its country code (+57…)."},
		"privacy.err.recorded":         {"No se pudo registrar: revisa el teléfono y el tipo.", "Could not record it: check the phone and the kind."},
		"privacy.err.resolved":         {"La solicitud ya estaba cerrada.", "The request was already closed."},
		"privacy.err.extended":         {"Solo se puede prorrogar una vez, con el motivo.", "A request can be extended once, with the reason."},
		"privacy.err.confirm":          {"Marca la casilla de confirmación para borrar.", "Tick the confirmation box to delete."},
		"privacy.err.excluded":         {"Algún número no es válido (usa +57…); no se agregó ninguno.", "A number is not valid (use +57…); none was added."},
		"privacy.incidents":            {"Incidentes de seguridad", "Security incidents"},
		"privacy.incidents_intro":      {"Pérdida, robo o acceso indebido a datos personales: se reporta a la SIC dentro de los 15 días hábiles siguientes a su detección. Describa qué pasó y qué datos se afectaron, sin datos de los titulares.", "Loss, theft or unauthorised access to personal data: report it to the SIC within 15 business days of detection. Say what happened and what data was affected, without the holders' data."},
		"privacy.incident.detected":    {"Detectado", "Detected"},
		"privacy.incident.description": {"Descripción", "Description"},
		"privacy.incident.sic_due":     {"Reportar a la SIC antes de", "Report to the SIC before"},
		"privacy.incident.reported":    {"Reportado a la SIC", "Reported to the SIC"},
		"privacy.incident.mark":        {"Marcar reportado a la SIC", "Mark reported to the SIC"},
		"privacy.incident.record":      {"Registrar incidente", "Record incident"},
		"privacy.done.incident":        {"Incidente registrado.", "Incident recorded."},
		"privacy.done.reported":        {"Incidente marcado como reportado.", "Incident marked as reported."},
		"privacy.err.incident":         {"No se pudo registrar: falta la descripción o la fecha no es válida.", "Could not record it: the description is missing or the date is not valid."},
		"privacy.err.reported":         {"Ese incidente ya estaba reportado.", "That incident was already reported."},
		"privacy.err.unexcluded":       {"Ese número no estaba en la lista.", "That number was not on the list."},
	} {
		catalogue[k] = v
	}
}
