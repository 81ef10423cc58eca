package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Export is everything stored about one person (RELIABILITY R-4), for "mis datos" and for an admin
// answering a written request: written as indented JSON, with Spanish-and-English field names a
// holder can read, and the exact consent text each consent answer was given to.
type Export struct {
	GeneratedAt   time.Time            `json:"generado_generated_at"`
	Phone         string               `json:"telefono_phone"`
	Contacts      []ExportContact      `json:"contactos_contacts"`
	Consents      []ExportConsent      `json:"autorizaciones_consents"`
	Conversations []ExportConversation `json:"conversaciones_conversations"`
	Messages      []ExportMessage      `json:"mensajes_messages"`
	Leads         []ExportLead         `json:"solicitudes_de_servicio_leads"`
	Customers     []ExportCustomer     `json:"cliente_customer,omitempty"`
	Requests      []ExportRequest      `json:"solicitudes_de_datos_data_requests"`
	WhatsApp      []map[string]string  `json:"whatsapp_dispositivo_device,omitempty"`
	Suppressed    bool                 `json:"no_contactar_do_not_contact"`
	Excluded      bool                 `json:"lista_de_exclusion_exclusion_list"`
	Referrals     []map[string]string  `json:"anuncio_de_origen_ad_referrals,omitempty"`
	Notes         []ExportLeadEvent    `json:"historial_lead_history,omitempty"`
	Webhooks      []ExportWebhook      `json:"envios_a_otras_herramientas_webhooks,omitempty"`
}

// ExportContact is one contact row. BSUID, ParentBSUID and Username are the Cloud API's names of a
// person who may hide their number (WhatsApp usernames).
type ExportContact struct {
	Key         string    `json:"clave_key"`
	LID         string    `json:"whatsapp_lid,omitempty"`
	BSUID       string    `json:"whatsapp_id_de_usuario_bsuid,omitempty"`
	ParentBSUID string    `json:"whatsapp_id_de_usuario_principal_parent_bsuid,omitempty"`
	Username    string    `json:"whatsapp_nombre_de_usuario_username,omitempty"`
	Name        string    `json:"nombre_name"`
	OptedOut    time.Time `json:"no_contactar_desde_opted_out_at,omitzero"`
	CreatedAt   time.Time `json:"creado_created_at"`
}

// ExportConsent is one consent or refusal, with the text shown.
type ExportConsent struct {
	At            time.Time `json:"fecha_at"`
	Channel       string    `json:"canal_channel"`
	Answer        string    `json:"respuesta_answer"`
	Accepted      bool      `json:"acepto_accepted"`
	PolicyVersion string    `json:"version_politica_policy_version"`
	TextSHA256    string    `json:"sha256_texto_text_sha256"`
	Text          string    `json:"texto_mostrado_text_shown"`
	Lang          string    `json:"idioma_lang"`
}

// ExportConversation is a conversation's status and saved answers.
type ExportConversation struct {
	Status    string          `json:"estado_status"`
	Step      string          `json:"paso_step"`
	State     json.RawMessage `json:"respuestas_state"`
	StartedAt time.Time       `json:"inicio_started_at"`
	UpdatedAt time.Time       `json:"actualizado_updated_at"`
}

// ExportMessage is one message either way.
type ExportMessage struct {
	At        time.Time `json:"fecha_at"`
	Direction string    `json:"direccion_direction"` // recibido_in, enviado_out
	Channel   string    `json:"canal_channel"`
	Kind      string    `json:"tipo_kind,omitempty"`
	Text      string    `json:"texto_text"`
	Status    string    `json:"estado_status,omitempty"`
}

// ExportLead is a finished lead with its score.
type ExportLead struct {
	ID          int64           `json:"id"`
	Status      string          `json:"estado_status"`
	Name        string          `json:"nombre_name"`
	City        string          `json:"ciudad_city"`
	Department  string          `json:"departamento_department"`
	BudgetMin   int64           `json:"presupuesto_min_budget_min_cop"`
	BudgetMax   int64           `json:"presupuesto_max_budget_max_cop"`
	Urgency     string          `json:"urgencia_urgency"`
	Service     string          `json:"servicio_service"`
	Others      []string        `json:"otros_servicios_other_services,omitempty"` // further services named, catalogue keys
	Source      string          `json:"origen_source"`
	Class       string          `json:"clasificacion_class"`
	Probability float64         `json:"probabilidad_probability"`
	Model       string          `json:"modelo_model"`
	Reasons     json.RawMessage `json:"razones_reasons"`
	CompletedAt time.Time       `json:"completado_completed_at"`
	Deadline    time.Time       `json:"plazo_contacto_contact_deadline"`
	Outcome     string          `json:"motivo_resultado_outcome_reason,omitempty"`
	Callback    string          `json:"telefono_para_llamar_callback_phone,omitempty"`
}

// ExportLeadEvent is an entry of a lead's timeline (assignment, contact, notes).
type ExportLeadEvent struct {
	LeadID int64     `json:"lead_id"`
	At     time.Time `json:"fecha_at"`
	Kind   string    `json:"tipo_kind"`
	Detail string    `json:"detalle_detail"`
}

// ExportCustomer is the customer a won lead became.
type ExportCustomer struct {
	Name      string    `json:"nombre_name"`
	Service   string    `json:"servicio_service"`
	Plan      string    `json:"plan"`
	FeeCOP    int64     `json:"tarifa_mensual_monthly_fee_cop"`
	StartedAt time.Time `json:"inicio_started_at"`
}

// ExportRequest is one data request.
type ExportRequest struct {
	Kind       string    `json:"tipo_kind"`
	LegalType  string    `json:"tipo_legal_legal_type"`
	ReceivedAt time.Time `json:"recibida_received_at"`
	DueAt      time.Time `json:"vence_due_at"`
	Status     string    `json:"estado_status"`
	Resolution string    `json:"resolucion_resolution,omitempty"`
}

// JSON returns the export as indented JSON.
func (x *Export) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return append(b, '\n'), nil
}

// ExportByPhone gathers everything stored about phone, audited as an export by user (S-3).
// ErrNotFound: nothing is stored under that phone (not even a suppression).
func (s *Store) ExportByPhone(ctx context.Context, phone string, user int64) (*Export, error) {
	phone, err := s.PersonKey(ctx, phone)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	x := &Export{GeneratedAt: s.now(), Phone: phone}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		keys, err := s.personKeys(ctx, tx, phone)
		if err != nil {
			return err
		}
		ids, err := contactIDs(ctx, tx, keys)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := exportContact(ctx, tx, id, x); err != nil {
				return fmt.Errorf("contact %d: %w", id, err)
			}
		}
		if err := exportWhatsmeow(ctx, tx, keys, x); err != nil {
			return err
		}
		for _, key := range keys.contactKeys() {
			h := s.PhoneHash(key)
			var suppressed, excluded bool
			if err := tx.QueryRowContext(ctx, isSuppressedHashQuery, h).Scan(&suppressed); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, isExcludedHashQuery, h).Scan(&excluded); err != nil {
				return err
			}
			x.Suppressed, x.Excluded = x.Suppressed || suppressed, x.Excluded || excluded
			if err := exportRequests(ctx, tx, h, x); err != nil {
				return err
			}
		}
		if len(ids) == 0 && len(x.WhatsApp) == 0 && !x.Suppressed && !x.Excluded && len(x.Requests) == 0 {
			return ErrNotFound
		}
		for _, id := range ids {
			if err := auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.export", Object: fmt.Sprintf("contact:%d", id)}, s.now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return x, nil
}

func exportContact(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	var c ExportContact
	var lid, bsuid, parent, username sql.NullString
	var opted sql.NullInt64
	var created int64
	if err := tx.QueryRowContext(ctx, exportContactQuery, id).Scan(&c.Key, &lid, &bsuid, &parent, &username, &c.Name, &opted, &created); err != nil {
		return err
	}
	c.LID, c.OptedOut, c.CreatedAt = lid.String, fromMillis(opted.Int64), fromMillis(created)
	c.BSUID, c.ParentBSUID, c.Username = bsuid.String, parent.String, username.String
	x.Contacts = append(x.Contacts, c)
	for _, part := range []struct {
		name string
		add  func(context.Context, *sql.Tx, int64, *Export) error
	}{
		{"consents", exportConsents}, {"conversations", exportConversations}, {"messages", exportMessages},
		{"leads", exportLeads}, {"lead events", exportLeadEvents}, {"customers", exportCustomers}, {"referrals", exportReferrals},
		{"webhooks", exportWebhooks},
	} {
		if err := part.add(ctx, tx, id, x); err != nil {
			return fmt.Errorf("%s: %w", part.name, err)
		}
	}
	return nil
}

// exportConsents adds the consent answers with the policy text each accepted.
func exportConsents(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportConsentQuery,
		[]any{id}, func(r scanner) error {
			var k ExportConsent
			var at int64
			if err := r.Scan(&at, &k.Channel, &k.Answer, &k.Accepted, &k.PolicyVersion, &k.TextSHA256, &k.Text, &k.Lang); err != nil {
				return err
			}
			k.At = fromMillis(at)
			x.Consents = append(x.Consents, k)
			return nil
		})
}

// exportConversations adds the conversations with their saved state.
func exportConversations(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportConversationsQuery,
		[]any{id}, func(r scanner) error {
			var c ExportConversation
			var state string
			var started, updated int64
			if err := r.Scan(&c.Status, &c.Step, &state, &started, &updated); err != nil {
				return err
			}
			c.State, c.StartedAt, c.UpdatedAt = json.RawMessage(state), fromMillis(started), fromMillis(updated)
			x.Conversations = append(x.Conversations, c)
			return nil
		})
}

// exportMessages adds every message in and out, in the order of the conversation.
func exportMessages(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportMessagesQuery, []any{id}, func(r scanner) error {
		var m ExportMessage
		var at int64
		if err := r.Scan(&at, &m.Direction, &m.Channel, &m.Kind, &m.Text, &m.Status); err != nil {
			return err
		}
		m.At = fromMillis(at)
		x.Messages = append(x.Messages, m)
		return nil
	})
}

// exportLeads adds the leads.
func exportLeads(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportLeadsQuery,
		[]any{id}, func(r scanner) error {
			var l ExportLead
			var reasons, others string
			var done, deadline int64
			if err := r.Scan(&l.ID, &l.Status, &l.Name, &l.City, &l.Department, &l.BudgetMin, &l.BudgetMax, &l.Urgency, &l.Service,
				&l.Source, &l.Class, &l.Probability, &l.Model, &reasons, &done, &deadline, &l.Outcome, &l.Callback, &others); err != nil {
				return err
			}
			var err error
			if l.Others, err = otherServices(others); err != nil {
				return err
			}
			l.Reasons, l.CompletedAt, l.Deadline = json.RawMessage(reasons), fromMillis(done), fromMillis(deadline)
			x.Leads = append(x.Leads, l)
			return nil
		})
}

// exportLeadEvents adds the advisors' notes and events on the leads.
func exportLeadEvents(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportLeadEventsQuery, []any{id}, func(r scanner) error {
		var e ExportLeadEvent
		var at int64
		if err := r.Scan(&e.LeadID, &at, &e.Kind, &e.Detail); err != nil {
			return err
		}
		e.At = fromMillis(at)
		x.Notes = append(x.Notes, e)
		return nil
	})
}

// exportCustomers adds the customer records the leads became.
func exportCustomers(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportCustomersQuery, []any{id}, func(r scanner) error {
		var c ExportCustomer
		var started int64
		if err := r.Scan(&c.Name, &c.Service, &c.Plan, &c.FeeCOP, &started); err != nil {
			return err
		}
		c.StartedAt = fromMillis(started)
		x.Customers = append(x.Customers, c)
		return nil
	})
}

// exportReferrals adds the ads and links the person came from.
func exportReferrals(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, exportReferralsQuery,
		[]any{id}, func(r scanner) error {
			var typ, sid, url, headline string
			if err := r.Scan(&typ, &sid, &url, &headline); err != nil {
				return err
			}
			x.Referrals = append(x.Referrals, map[string]string{"tipo_type": typ, "id": sid, "url": url, "titulo_headline": headline})
			return nil
		})
}

func exportRequests(ctx context.Context, tx *sql.Tx, hash string, x *Export) error {
	err := eachRow(ctx, tx, exportRequestsQuery, []any{hash}, func(r scanner) error {
		var q ExportRequest
		var received, due int64
		if err := r.Scan(&q.Kind, &q.LegalType, &received, &due, &q.Status, &q.Resolution); err != nil {
			return err
		}
		q.ReceivedAt, q.DueAt = fromMillis(received), fromMillis(due)
		x.Requests = append(x.Requests, q)
		return nil
	})
	if err != nil {
		return fmt.Errorf("data requests: %w", err)
	}
	return nil
}

// exportWhatsmeow adds the names whatsmeow keeps for the person (push name, address-book names).
func exportWhatsmeow(ctx context.Context, tx *sql.Tx, k personKeys, x *Export) error {
	if ok, err := tableExists(ctx, tx, "whatsmeow_contacts"); err != nil || !ok {
		return err
	}
	for _, jid := range k.jids() {
		err := eachRow(ctx, tx, exportWAContactsQuery, []any{jid}, func(r scanner) error {
			var j, first, full, push, business string
			if err := r.Scan(&j, &first, &full, &push, &business); err != nil {
				return err
			}
			x.WhatsApp = append(x.WhatsApp, map[string]string{"jid": j, "nombre_first_name": first, "nombre_completo_full_name": full,
				"nombre_perfil_push_name": push, "empresa_business_name": business})
			return nil
		})
		if err != nil {
			return fmt.Errorf("whatsmeow contacts: %w", err)
		}
	}
	return nil
}

// eachRow runs q (in a transaction or on a pool) and calls fn for every
// row: the one scan loop.
func eachRow(ctx context.Context, db queryer, q string, args []any, fn func(scanner) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	isSuppressedHashQuery = `SELECT count(*) > 0 FROM suppressions WHERE phone_hash = ?`
	isExcludedHashQuery   = `SELECT count(*) > 0 FROM exclusions WHERE phone_hash = ?`
	exportContactQuery    = `SELECT phone, lid, bsuid, parent_bsuid, username, name, opted_out_at, created_at
		FROM contacts WHERE id = ?`
	exportConsentQuery = `SELECT k.created_at, k.channel, k.answer, k.accepted, k.policy_version, k.text_sha256, p.body, p.lang
		FROM consent_records k JOIN policy_texts p ON p.sha256 = k.text_sha256 WHERE k.contact_id = ? ORDER BY k.id`
	exportConversationsQuery = `SELECT status, step, state, started_at, updated_at FROM conversations WHERE contact_id = ? ORDER BY id`
	exportMessagesQuery      = `SELECT at, dir, channel, kind, body, status FROM (
			SELECT received_at AS at, 'recibido_in' AS dir, channel, kind, body, '' AS status, id * 2 AS ord FROM messages WHERE contact_id = ?1
			UNION ALL
			SELECT coalesce(sent_at, created_at), 'enviado_out', channel, '', body, status, message_id * 2 + 1 FROM outbox WHERE contact_id = ?1)
		ORDER BY ord, at`
	exportLeadsQuery = `SELECT id, status, name, city_name, department, budget_min_cop, budget_max_cop, urgency, service, source,
		class, probability, model, reasons, completed_at, deadline_at, outcome_reason, callback_phone, other_services
		FROM leads WHERE contact_id = ? ORDER BY id`
	exportLeadEventsQuery = `SELECT e.lead_id, e.created_at, e.kind, e.detail FROM lead_events e JOIN leads l ON l.id = e.lead_id
		WHERE l.contact_id = ? ORDER BY e.id`
	exportCustomersQuery = `SELECT cu.name, cu.service, cu.plan, cu.monthly_fee_cop, cu.started_at FROM customers cu
		JOIN leads l ON l.id = cu.lead_id WHERE l.contact_id = ? ORDER BY cu.id`
	exportReferralsQuery = `SELECT source_type, source_id, source_url, headline FROM referrals WHERE contact_id = ? ORDER BY id`
	exportRequestsQuery  = `SELECT kind, legal_type, received_at, due_at, status, resolution FROM data_requests
		WHERE phone_hash = ? ORDER BY id`
	exportWAContactsQuery = `SELECT their_jid, coalesce(first_name, ''), coalesce(full_name, ''), coalesce(push_name, ''),
			coalesce(business_name, '') FROM whatsmeow_contacts WHERE their_jid = ?`
)
