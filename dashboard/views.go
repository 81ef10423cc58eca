package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
)

//go:embed templates static
var files embed.FS

// views holds one parsed template per page (each with the layout), so the
// define blocks of different pages never collide.
type views struct {
	pages  map[string]*template.Template
	hashes map[string]string // static file → short content hash
}

var bogota = func() *time.Location {
	l, err := time.LoadLocation("America/Bogota")
	if err != nil {
		return time.FixedZone("COT", -5*3600)
	}
	return l
}()

// newViews parses every page. services names the catalogue keys stored
// with leads ("ads" → "Pauta digital (anuncios)").
func newViews(services flow.Catalogue) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, hashes: map[string]string{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v.hashes[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:4])
		return nil
	})
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"t": T,
		"service": func(lang, key string) string {
			if services == nil {
				return key
			}
			return services.Label(key, lang)
		},
		"asset": func(name string) (string, error) {
			h, ok := v.hashes[name]
			if !ok {
				return "", fmt.Errorf("asset %q not embedded", name)
			}
			return "/static/" + name + "?v=" + h, nil
		},
		"local": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(bogota).Format("2006-01-02 15:04")
		},
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"pct":       func(p float64) string { return strconv.Itoa(int(p*100+0.5)) + " %" },
		"cop":       formatCOP,
		"waLink":    waLink,
		"list":      func(s ...string) []string { return s },
		"hasPrefix": strings.HasPrefix,
		"withLang":  withLang,
		"add": func(a int, b ...int) int {
			for _, x := range b {
				a += x
			}
			return a
		},
	}
	pages, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/layout/*.html", p)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// Render implements echo.Renderer. It renders into a buffer, so a template
// error becomes a 500, not half a page.
func (v *views) Render(w io.Writer, name string, data any, _ echo.Context) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// static serves embedded assets; a hashed URL never changes, so it is cached long.
func (s *Server) static(c echo.Context) error {
	name := c.Param("*")
	b, err := files.ReadFile("static/" + path.Clean("/" + name)[1:])
	if err != nil {
		return echo.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	if c.QueryParam("v") != "" {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
	}
	return c.Blob(http.StatusOK, ct, b)
}

// favicon answers /favicon.ico with the embedded SVG icon.
func (s *Server) favicon(c echo.Context) error {
	b, err := files.ReadFile("static/favicon.svg")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

// formatCOP writes pesos the Colombian way: $2.500.000.
func formatCOP(v int64) string {
	s := strconv.FormatInt(max(v, -v), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if v < 0 {
		return "-$" + b.String()
	}
	return "$" + b.String()
}

// waLink is the wa.me link for an E.164 phone, or "" for a web-chat contact.
func waLink(phone string) string {
	if !strings.HasPrefix(phone, "+") || len(phone) < 8 {
		return ""
	}
	for _, r := range phone[1:] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return "https://wa.me/" + phone[1:]
}

// page is what the layout needs; every page embeds it.
type page struct {
	Lang      string
	Title     string
	User      string
	Role      string
	CSRF      string
	Path      string
	IsAdmin   bool
	CanAct    bool
	Embed     bool
	OtherLang string
	// FailedJobs are background jobs that failed in the last day, shown to admins.
	FailedJobs []string
}

func (s *Server) basePage(c echo.Context, lang string) page {
	p := page{Lang: lang, Path: c.Request().URL.Path, OtherLang: "en"}
	if lang == "en" {
		p.OtherLang = "es"
	}
	if sess := sessionOf(c); sess != nil {
		p.User, p.Role, p.CSRF = sess.User.Username, sess.User.Role, sess.CSRFToken
		p.IsAdmin = sess.User.Role == RoleAdmin
		p.CanAct = sess.User.Role == RoleAdmin || sess.User.Role == RoleAdvisor
		if p.IsAdmin {
			for _, f := range s.jobs.Failed() {
				p.FailedJobs = append(p.FailedJobs, jobLabel(lang, f.Name)+" · "+f.At.In(bogota).Format("2006-01-02 15:04"))
			}
		}
	}
	return p
}

type errorPage struct {
	page
	Code    int
	Message string
}

type loginPage struct {
	page
	NoUsers bool
	Demo    bool // a demo store: say where its login was printed
	Error   string
}

type passwordPage struct {
	page
	Error string
	Done  bool
}
