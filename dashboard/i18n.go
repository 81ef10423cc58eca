package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// langOf picks the page language: ?lang= (remembered in a cookie), then the
// cookie, then Spanish.
func langOf(c echo.Context) string {
	if l := c.QueryParam("lang"); l == "es" || l == "en" {
		secure := c.Request().TLS != nil || c.Scheme() == "https"
		// #nosec G124 -- a language choice, no secret; Secure whenever the request came over TLS
		c.SetCookie(&http.Cookie{Name: "cis_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if ck, err := c.Cookie("cis_lang"); err == nil && (ck.Value == "es" || ck.Value == "en") {
		return ck.Value
	}
	return "es"
}

// T returns the catalogue text for key in lang, falling back to Spanish and
// then to the key itself (a test checks every key has both languages).
func T(lang, key string) string {
	if e, ok := catalogue[key]; ok {
		if lang == "en" && e[1] != "" {
			return e[1]
		}
		return e[0]
	}
	return key
}

// catalogue: key → {Spanish, English}.
var catalogue = map[string][2]string{
	"app.name":                    {"CIS · Leads", "CIS · Leads"},
	"nav.queue":                   {"Cola de leads", "Lead queue"},
	"nav.chat":                    {"Chat web", "Web chat"},
	"nav.pairing":                 {"Vinculación WhatsApp", "WhatsApp pairing"},
	"nav.model":                   {"Modelo", "Model"},
	"model.title":                 {"Modelo de puntuación", "Scoring model"},
	"model.list":                  {"Modelos entrenados", "Trained models"},
	"model.none":                  {"Aún no hay modelos: los leads se puntúan con reglas (cis train o cis demo).", "No models yet: leads are scored by rules (cis train or cis demo)."},
	"model.created":               {"Creado", "Created"},
	"model.summary":               {"Resumen", "Summary"},
	"model.state":                 {"Estado", "State"},
	"model.active":                {"activo", "active"},
	"model.activate":              {"Activar", "Activate"},
	"model.activated":             {"Modelo activado; el servidor lo usa en menos de un minuto.", "Model activated; the server uses it within a minute."},
	"model.refused":               {"Ese modelo no se puede cargar; el modelo actual sigue activo.", "That model cannot be loaded; the current model stays active."},
	"model.show_report":           {"Ver informe", "Show report"},
	"model.report":                {"Informe del modelo", "Model report"},
	"model.download":              {"Descargar el informe (HTML autónomo)", "Download the report (self-contained HTML)"},
	"model.report_running":        {"El informe se está calculando (un par de minutos).", "The report is being computed (a couple of minutes)."},
	"model.report_failed":         {"No se pudo calcular el informe; el registro del servidor dice por qué.", "The report could not be computed; the server log says why."},
	"model.reload":                {"Recargar", "Reload"},
	"model.predicted_vs_actual":   {"Predicho frente a real", "Predicted vs actual"},
	"nav.password":                {"Contraseña", "Password"},
	"nav.logout":                  {"Cerrar sesión", "Log out"},
	"nav.lang":                    {"English", "Español"},
	"login.title":                 {"Iniciar sesión", "Log in"},
	"login.username":              {"Usuario", "Username"},
	"login.password":              {"Contraseña", "Password"},
	"login.submit":                {"Entrar", "Log in"},
	"login.failed":                {"Usuario o contraseña incorrectos.", "Wrong username or password."},
	"login.throttled":             {"Demasiados intentos. Espera unos minutos e inténtalo de nuevo.", "Too many attempts. Wait a few minutes and try again."},
	"login.no_users":              {"Aún no hay usuarios. Crea el primer administrador en el servidor con: cis users add --role admin USUARIO", "There are no users yet. Create the first admin on the server with: cis users add --role admin USERNAME"},
	"password.title":              {"Cambiar contraseña", "Change password"},
	"password.current":            {"Contraseña actual", "Current password"},
	"password.new":                {"Nueva contraseña (mínimo 12 caracteres)", "New password (at least 12 characters)"},
	"password.confirm":            {"Repite la nueva contraseña", "Repeat the new password"},
	"password.submit":             {"Cambiar", "Change"},
	"password.done":               {"Contraseña cambiada. Tus otras sesiones se cerraron.", "Password changed. Your other sessions were ended."},
	"password.wrong_current":      {"La contraseña actual no es correcta.", "The current password is wrong."},
	"password.mismatch":           {"Las contraseñas nuevas no coinciden.", "The new passwords do not match."},
	"password.short":              {"La contraseña debe tener al menos 12 caracteres.", "The password must have at least 12 characters."},
	"password.long":               {"La contraseña es demasiado larga (máximo 128 caracteres).", "The password is too long (at most 128 characters)."},
	"password.common":             {"Esa contraseña es demasiado común. Prueba una frase de varias palabras.", "That password is too common. Try a phrase of several words."},
	"queue.title":                 {"Cola de leads", "Lead queue"},
	"queue.scoring_rules":         {"Puntaje: reglas transparentes (aún no hay historial suficiente para un modelo entrenado)", "Scores: transparent rules (not enough history for a trained model yet)"},
	"queue.scoring_model":         {"Puntaje: modelo entrenado", "Scores: trained model"},
	"queue.empty":                 {"No hay leads con estos filtros.", "No leads match these filters."},
	"queue.search":                {"Buscar nombre, ciudad o servicio", "Search name, city or service"},
	"queue.filter":                {"Filtrar", "Filter"},
	"queue.class":                 {"Clase", "Class"},
	"queue.status":                {"Estado", "Status"},
	"queue.advisor":               {"Asesor", "Advisor"},
	"queue.campaign":              {"Campaña", "Campaign"},
	"queue.since":                 {"Desde", "From"},
	"queue.until":                 {"Hasta", "Until"},
	"queue.any":                   {"Todos", "Any"},
	"queue.unassigned":            {"Sin asignar", "Unassigned"},
	"queue.mine":                  {"Míos", "Mine"},
	"queue.name":                  {"Nombre", "Name"},
	"queue.city":                  {"Ciudad", "City"},
	"queue.service":               {"Servicio", "Service"},
	"queue.budget":                {"Presupuesto", "Budget"},
	"queue.time_left":             {"Tiempo restante", "Time left"},
	"queue.overdue":               {"Vencido", "Overdue"},
	"queue.actions":               {"Acciones", "Actions"},
	"queue.take":                  {"Tomar", "Take"},
	"queue.updated":               {"Actualizado automáticamente", "Updates automatically"},
	"budget.unknown":              {"No sabe", "Unknown"},
	"class.hot":                   {"Caliente", "Hot"},
	"class.warm":                  {"Tibio", "Warm"},
	"class.cold":                  {"Frío", "Cold"},
	"status.open":                 {"Abierto", "Open"},
	"status.contacted":            {"Contactado", "Contacted"},
	"status.won":                  {"Ganado", "Won"},
	"status.lost":                 {"Perdido", "Lost"},
	"status.all":                  {"Todos", "All"},
	"lead.title":                  {"Lead", "Lead"},
	"lead.back":                   {"← Volver a la cola", "← Back to the queue"},
	"lead.fields":                 {"Datos", "Details"},
	"lead.urgency":                {"Urgencia", "Urgency"},
	"urgency.immediate":           {"Lo antes posible", "As soon as possible"},
	"urgency.this_month":          {"Este mes", "This month"},
	"urgency.one_to_three_months": {"En 1 a 3 meses", "In 1 to 3 months"},
	"urgency.exploring":           {"Solo explorando", "Just exploring"},
	"lead.channel":                {"Canal", "Channel"},
	"lead.completed":              {"Completado", "Completed"},
	"lead.deadline":               {"Contactar antes de", "Contact before"},
	"lead.score":                  {"Puntaje", "Score"},
	"lead.probability":            {"Probabilidad", "Probability"},
	"lead.model":                  {"Modelo", "Model"},
	"lead.reasons":                {"Razones principales", "Top reasons"},
	"lead.transcript":             {"Conversación", "Conversation"},
	"lead.consent":                {"Autorización de datos (Ley 1581)", "Data consent (Law 1581)"},
	"lead.consent_yes":            {"Aceptó", "Accepted"},
	"lead.consent_no":             {"Rechazó", "Refused"},
	"lead.policy":                 {"Política", "Policy"},
	"lead.timeline":               {"Historial", "Timeline"},
	"lead.outcome":                {"Resultado", "Outcome"},
	"lead.value":                  {"Valor (COP)", "Value (COP)"},
	"lead.reason":                 {"Motivo", "Reason"},
	"lead.note":                   {"Nota", "Note"},
	"lead.add_note":               {"Agregar nota", "Add note"},
	"lead.mark_contacted":         {"Marcar contactado", "Mark contacted"},
	"lead.mark_won":               {"Marcar ganado", "Mark won"},
	"lead.mark_lost":              {"Marcar perdido", "Mark lost"},
	"lead.assign":                 {"Asignar", "Assign"},
	"lead.whatsapp":               {"Abrir en WhatsApp", "Open in WhatsApp"},
	"lead.prospect":               {"Prospecto", "Prospect"},
	"lead.bot":                    {"Bot", "Bot"},
	"event.completed":             {"Lead completado por el bot", "Lead completed by the bot"},
	"event.assign":                {"Asignado", "Assigned"},
	"event.contacted":             {"Contactado", "Contacted"},
	"event.won":                   {"Ganado", "Won"},
	"event.lost":                  {"Perdido", "Lost"},
	"event.note":                  {"Nota", "Note"},
	"chat.title":                  {"Chatea con nosotros", "Chat with us"},
	"chat.placeholder":            {"Escribe un mensaje", "Type a message"},
	"chat.send":                   {"Enviar", "Send"},
	"chat.intro":                  {"Escribe “hola” para empezar.", "Write “hello” to start."},
	"pairing.title":               {"Vinculación de WhatsApp", "WhatsApp pairing"},
	"pairing.none":                {"No hay un canal de WhatsApp configurado en este servidor.", "No WhatsApp channel is configured on this server."},
	"pairing.state":               {"Estado", "State"},
	"pairing.phone":               {"Número vinculado", "Paired number"},
	"pairing.updated":             {"Actualizado", "Updated"},
	"pairing.scan":                {"Escanea este código en WhatsApp → Dispositivos vinculados. Se renueva solo.", "Scan this code in WhatsApp → Linked devices. It refreshes by itself."},
	"pairing.logout":              {"Cerrar sesión de WhatsApp", "Log WhatsApp out"},
	"pairing.pair":                {"Vincular de nuevo", "Pair again"},
	"pairing.cloud":               {"Cloud API", "Cloud API"},
	"pairing.state.connected":     {"Conectado", "Connected"},
	"pairing.state.waiting_qr":    {"Esperando escaneo del QR", "Waiting for the QR scan"},
	"pairing.state.disconnected":  {"Desconectado", "Disconnected"},
	"pairing.state.logged_out":    {"Sesión cerrada", "Logged out"},
	"err.not_found":               {"No encontramos esa página.", "We could not find that page."},
	"err.forbidden":               {"No tienes permiso para esto.", "You are not allowed to do this."},
	"err.conflict":                {"Ese cambio no aplica al estado actual del lead.", "That change does not fit the lead's current status."},
	"err.too_many":                {"Demasiadas solicitudes. Espera un momento.", "Too many requests. Wait a moment."},
	"err.bad_request":             {"La solicitud no es válida.", "The request is not valid."},
	"err.unavailable":             {"El servicio no está disponible ahora.", "The service is unavailable right now."},
	"err.internal":                {"Algo salió mal. Inténtalo de nuevo.", "Something went wrong. Please try again."},
	"err.title":                   {"Error", "Error"},
}
