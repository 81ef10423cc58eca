package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The agency's numbers (issue 16): an admin declares each WhatsApp number
// (a Cloud API phone_number_id or a linked device) with the brand its
// consent text names as the data controller, that controller's contact and
// policy, and optionally its own services and advisors. Every declaration
// is audited in its own commit (store.DeclareNumber). The page also lists
// deliveries held for numbers nobody declared, so that the operator sees
// them and declares the number (the held messages are then answered), and
// each number's leads by status.

// numberStore is what the numbers page needs.
type numberStore interface {
	Numbers(ctx context.Context) ([]store.Number, error)
	DeclareNumber(ctx context.Context, n store.Number, actor int64, ip string) error
	UnknownNumbers(ctx context.Context) ([]store.UnknownHeld, error)
	LeadsByNumber(ctx context.Context) (map[int64]store.NumberLeads, error)
}

var _ numberStore = (*store.Store)(nil)

func (s *Server) numberRoutes() {
	s.route(http.MethodGet, "/admin/numbers", s.numbersPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/numbers", s.declareNumber, RoleAdmin)
}

// numberRow is one number as the page lists it.
type numberRow struct {
	store.Number
	Leads    store.NumberLeads
	Services int // its own services; 0: the installation's
}

type numberForm struct {
	Channel, Number, Brand, Contact, PolicyURL, Advisors, Services string
}

type numbersPage struct {
	page
	Numbers []numberRow
	Unknown []store.UnknownHeld
	Form    numberForm
	Flash   string
	Error   string
}

func (s *Server) numbersPage(c echo.Context) error {
	p := numbersPage{Form: numberForm{Channel: "cloudapi"}}
	if c.QueryParam("done") == "declared" {
		p.Flash = T(langOf(c), "numbers.declared")
	}
	return s.renderNumbers(c, http.StatusOK, p, c.QueryParam("edit"))
}

func (s *Server) renderNumbers(c echo.Context, code int, p numbersPage, edit string) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p.page = s.basePage(c, lang)
	p.Title = T(lang, "numbers.title")
	ns, err := s.numbers.Numbers(ctx)
	if err != nil {
		return err
	}
	leads, err := s.numbers.LeadsByNumber(ctx)
	if err != nil {
		return err
	}
	for _, n := range ns {
		var cat flow.Catalogue
		if n.Services != "" {
			_ = json.Unmarshal([]byte(n.Services), &cat) // validated when declared; a count only
		}
		p.Numbers = append(p.Numbers, numberRow{Number: n, Leads: leads[n.ID], Services: len(cat)})
		if strconv.FormatInt(n.ID, 10) == edit {
			p.Form = numberForm{Channel: n.Channel, Number: n.Address, Brand: n.Brand, Contact: n.Contact, PolicyURL: n.PolicyURL,
				Advisors: strings.Join(n.Advisors, ", "), Services: n.Services}
		}
	}
	if p.Unknown, err = s.numbers.UnknownNumbers(ctx); err != nil {
		return err
	}
	if p.Form.Number == "" && edit == "" && len(p.Unknown) > 0 && c.Request().Method == http.MethodGet {
		p.Form.Channel, p.Form.Number = p.Unknown[0].Channel, p.Unknown[0].Account // the one waiting, ready to declare
	}
	return c.Render(code, "numbers", p)
}

// declareNumber creates or updates a number from the form.
func (s *Server) declareNumber(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest
	}
	f := numberForm{Channel: form.Get("channel"), Number: strings.TrimSpace(form.Get("number")), Brand: strings.TrimSpace(form.Get("brand")),
		Contact: strings.TrimSpace(form.Get("contact")), PolicyURL: strings.TrimSpace(form.Get("policy_url")),
		Advisors: form.Get("advisors"), Services: strings.TrimSpace(form.Get("services"))}
	n, key := f.number()
	if key == "" {
		err := s.numbers.DeclareNumber(c.Request().Context(), n, sessionOf(c).User.ID, c.RealIP())
		switch {
		case errors.Is(err, store.ErrNoAdvisor):
			key = "numbers.bad_advisor"
		case err != nil:
			return err
		default:
			return c.Redirect(http.StatusSeeOther, "/admin/numbers?done=declared")
		}
	}
	p := numbersPage{Form: f, Error: T(langOf(c), key)}
	return s.renderNumbers(c, http.StatusUnprocessableEntity, p, "")
}

// number checks the form; key names the fault ("" when none).
func (f numberForm) number() (store.Number, string) {
	n := store.Number{Channel: f.Channel, Address: f.Number, Brand: f.Brand, Contact: f.Contact, PolicyURL: f.PolicyURL}
	for _, a := range strings.Split(f.Advisors, ",") {
		if a = strings.TrimSpace(a); a != "" {
			n.Advisors = append(n.Advisors, a)
		}
	}
	switch f.Channel {
	case "cloudapi":
		if n.Address == "" || len(n.Address) > 30 || strings.Trim(n.Address, "0123456789") != "" {
			return n, "numbers.bad_cloud_number"
		}
	case "whatsapp":
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, n.Address)
		if len(d) < 8 || len(d) > 15 || d[0] == '0' || strings.Trim(n.Address, "+0123456789 -()") != "" {
			return n, "numbers.bad_linked_number"
		}
		n.Address = d
	default:
		return n, "numbers.bad_channel"
	}
	if n.Brand == "" || len(n.Brand) > 200 || len(n.Contact) > 200 || len(n.PolicyURL) > 500 {
		return n, "numbers.need_brand"
	}
	if n.PolicyURL != "" && !strings.HasPrefix(n.PolicyURL, "https://") && !strings.HasPrefix(n.PolicyURL, "http://") {
		return n, "numbers.bad_policy"
	}
	if f.Services != "" {
		var cat flow.Catalogue
		if err := json.Unmarshal([]byte(f.Services), &cat); err != nil || cat.Validate() != nil {
			return n, "numbers.bad_services"
		}
		b, err := json.Marshal(cat)
		if err != nil {
			return n, "numbers.bad_services"
		}
		n.Services = string(b)
	}
	return n, ""
}

// pairingNumber is one declared number as the pairing page lists it.
type pairingNumber struct {
	store.Number
	Linked bool // this installation's linked device is this number
	// Device: this number's own linked device runs here (several devices,
	// NumberPairing): the page offers to show and pair it, with its state.
	Device    bool
	StateText string
	Selected  bool // the page shows this number's device
}

// pairingNumbers lists the declared numbers for the pairing page, marking
// the one the linked device (paired as phone, E.164) is; with several
// devices, each linked-device number's own device and its state
// (selected: the number the page shows).
func (s *Server) pairingNumbers(ctx context.Context, lang, phone, selected string) ([]pairingNumber, error) {
	ns, err := s.numbers.Numbers(ctx)
	if err != nil {
		return nil, err
	}
	np, _ := s.pairing.(NumberPairing)
	var out []pairingNumber
	for _, n := range ns {
		if !n.Declared {
			continue
		}
		pn := pairingNumber{Number: n, Linked: n.Channel == "whatsapp" && "+"+n.Address == phone}
		if src, ok := devicePairing(np, n); ok {
			st, err := src.PairingStatus(ctx)
			if err != nil {
				return nil, err
			}
			pn.Device, pn.StateText, pn.Selected = true, T(lang, "pairing.state."+string(st.State)), n.Address == selected
			pn.Linked = st.State == PairingConnected && "+"+n.Address == st.Phone
		}
		out = append(out, pn)
	}
	return out, nil
}

// devicePairing is the source of n's own linked device, if one runs here.
func devicePairing(np NumberPairing, n store.Number) (PairingSource, bool) {
	if np == nil || n.Channel != "whatsapp" {
		return nil, false
	}
	return np.PairingFor(n.Address)
}
