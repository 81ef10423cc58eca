package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/flow/pricing"
	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Config is every setting of the program. Each one is a flag whose default
// comes from a CIS_* variable, then from the built-in default.
type Config struct {
	DBPath        string
	Addr          string
	LogLevel      string
	Lang          string
	AgencyName    string
	AgencyContact string
	PolicyURL     string
	PolicyVersion string
	HotWindow     time.Duration
	WarmWindow    time.Duration
	ColdWindow    time.Duration
	BusinessHours string
	Calendar      bool
	USDToCOP      float64
	IdleTimeout   time.Duration
	ServicesFile  string
	Synchronous   string
	BodyTimeout   time.Duration
	MinLeads      int
	MinConv       int
	ModelPoll     time.Duration
	DemoLeads     int
	DemoTrees     int

	// Cloud API channel: enabled when the app secret is set.
	CloudAppSecret   string
	CloudVerifyToken string
	CloudAccessToken string
	GraphURL         string
	// TemplatesFile is the agency's catalogue of approved WhatsApp
	// templates (issue 18), parsed into templateCat by parse.
	TemplatesFile string
	templateCat   templates.Catalogue
	// Conversion events for Meta (issue 18): off unless the dataset is set.
	MetaDataset string
	MetaToken   string
	MetaWABA    string
	// RatesFile is the messaging rate table (issue 18), parsed into rates;
	// the built-in illustrative one without it.
	RatesFile string
	rates     *pricing.Table
	// ReengageAfter is how long a person who consented and stopped halfway
	// is silent before the one re-engagement template; 0 turns it off.
	ReengageAfter time.Duration

	// Linked-device (whatsmeow) channel.
	WhatsApp          bool
	WhatsAppVersion   string
	WhatsAppDebounce  time.Duration
	WhatsAppLateAfter time.Duration
	WhatsAppPerMinute float64
	WhatsAppNumber    string // the agency's number: only it may pair

	// Voice notes: transcribed when the URL names an OpenAI-compatible
	// /v1/audio/transcriptions endpoint.
	TranscribeURL   string
	TranscribeKey   string
	TranscribeModel string

	// Advisors who get completed leads, round robin.
	Advisors        string
	AdvisorRemind   time.Duration
	AdvisorReassign bool
	// AdvisorSettings is a JSON file of each advisor's schedule, capacity
	// and skills (issue 20), applied at start.
	AdvisorSettings string
	// AdvisorLeastLoaded lists the classes ("hot,warm") whose leads go to
	// the available advisor with the fewest open leads; others take turns.
	AdvisorLeastLoaded string
	// AdvisorIdle switches an advisor away after this long on shift
	// without a dashboard request; 0: never.
	AdvisorIdle time.Duration

	// NumbersFile declares the agency's numbers and their brands (issue
	// 16, numbers.go); "" is one number, the --agency-name brand.
	NumbersFile string

	// WebhooksAllowPrivate lets webhook destinations resolve to loopback,
	// private and link-local addresses (a CRM on the agency's network).
	WebhooksAllowPrivate bool

	// Retention periods (privacy.go); 0 keeps for ever.
	RetainIncomplete  time.Duration
	RetainLeads       time.Duration
	RetainTranscripts time.Duration

	// creates says the command may make a new store of a missing or empty
	// --db file: serve, demo, the imports (and the load test and chat on
	// their temporary files). Every other command refuses one (store.ErrNoStore).
	creates bool

	envErrs []error
	secrets []secretFlag
	getenv  func(string) string
}

// secretFlag is a flag whose environment value must not become its printed
// default (flag.PrintDefaults would show it in help and usage errors).
type secretFlag struct {
	p         *string
	name, env string
	getenv    func(string) string
}

// newFlagSet declares the common flags on a new FlagSet, with defaults read
// through getenv. Bad environment values are kept and reported by parse.
func newFlagSet(name string, getenv func(string) string) (*flag.FlagSet, *Config) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	c := &Config{getenv: getenv}
	def := flow.DefaultConfig(time.UTC)
	c.dbFlag(fs, getenv, "the store: a SQLite `FILE` shared by the app and the WhatsApp device store, or postgres://USER:PASSWORD@HOST/DATABASE (docs/postgres.md)")
	c.str(fs, getenv, &c.Addr, "addr", "CIS_ADDR", "127.0.0.1:8080", "HTTP listen address")
	c.str(fs, getenv, &c.LogLevel, "log-level", "CIS_LOG_LEVEL", "info", "debug, info, warn or error")
	c.str(fs, getenv, &c.Lang, "lang", "CIS_LANG", "es", "reply language: es or en")
	c.str(fs, getenv, &c.AgencyName, "agency-name", "CIS_AGENCY_NAME", def.Agency.Name, "agency name shown in the consent text (the data controller)")
	c.str(fs, getenv, &c.AgencyContact, "agency-contact", "CIS_AGENCY_CONTACT", def.Agency.Contact, "contact for data requests, shown in the consent text")
	c.str(fs, getenv, &c.PolicyURL, "policy-url", "CIS_POLICY_URL", def.Agency.PolicyURL, "link to the data-processing policy")
	c.str(fs, getenv, &c.PolicyVersion, "policy-version", "CIS_POLICY_VERSION", def.PolicyVersion, "version of the policy and consent text; raise it on every change")
	c.dur(fs, getenv, &c.HotWindow, "window-hot", "CIS_WINDOW_HOT", def.Windows.Hot, "contact window for hot leads")
	c.dur(fs, getenv, &c.WarmWindow, "window-warm", "CIS_WINDOW_WARM", def.Windows.Warm, "contact window for warm leads")
	c.dur(fs, getenv, &c.ColdWindow, "window-cold", "CIS_WINDOW_COLD", def.Windows.Cold, "contact window for cold leads")
	c.str(fs, getenv, &c.BusinessHours, "business-hours", "CIS_BUSINESS_HOURS", flow.DefaultWeek().String(), "weekly opening hours, America/Bogota")
	c.boolean(fs, getenv, &c.Calendar, "business-calendar", "CIS_BUSINESS_CALENDAR", true, "count contact windows in business hours only (holidays closed)")
	c.float(fs, getenv, &c.USDToCOP, "usd-cop", "CIS_USD_COP", def.USDToCOP, "pesos per US dollar, for budgets given in dollars")
	c.dur(fs, getenv, &c.IdleTimeout, "idle-timeout", "CIS_IDLE_TIMEOUT", def.IdleTimeout, "mark a silent conversation abandoned after this")
	c.str(fs, getenv, &c.ServicesFile, "services", "CIS_SERVICES", "", "JSON file with the service catalogue (default: built-in catalogue)")
	c.str(fs, getenv, &c.Synchronous, "sqlite-synchronous", "CIS_SQLITE_SYNCHRONOUS", "FULL", "SQLite synchronous mode: FULL (survives power loss) or NORMAL")
	c.dur(fs, getenv, &c.BodyTimeout, "body-timeout", "CIS_BODY_TIMEOUT", dashboard.DefaultBodyTimeout, "longest an HTTP client may take to send a whole request (slow clients are cut)")
	c.secret(fs, getenv, &c.CloudAppSecret, "cloudapi-app-secret", "CIS_CLOUDAPI_APP_SECRET", "Cloud API: Meta app secret that signs webhook deliveries; setting it enables the channel")
	c.secret(fs, getenv, &c.CloudVerifyToken, "cloudapi-verify-token", "CIS_CLOUDAPI_VERIFY_TOKEN", "Cloud API: token Meta sends to verify the webhook URL")
	c.secret(fs, getenv, &c.CloudAccessToken, "cloudapi-access-token", "CIS_CLOUDAPI_ACCESS_TOKEN", "Cloud API: access token for sending")
	c.str(fs, getenv, &c.GraphURL, "graph-url", "CIS_GRAPH_URL", bot.DefaultGraphURL, "Cloud API: Graph API base URL (with version)")
	c.str(fs, getenv, &c.TemplatesFile, "templates", "CIS_TEMPLATES", "", "Cloud API: JSON file of the agency's approved WhatsApp templates (name, language, category, parameters, uses), for follow-ups and re-engagement outside the 24-hour window (see testdata/templates/templates.json)")
	c.str(fs, getenv, &c.MetaDataset, "meta-dataset", "CIS_META_DATASET", "", "Conversions API: the Meta dataset id that receives conversion events (LeadSubmitted, QualifiedLead, Purchase) of leads from click-to-WhatsApp ads; unset: none are sent")
	c.secret(fs, getenv, &c.MetaToken, "meta-token", "CIS_META_TOKEN", "Conversions API: access token with permission on --meta-dataset (default: --cloudapi-access-token)")
	c.str(fs, getenv, &c.MetaWABA, "meta-waba-id", "CIS_META_WABA_ID", "", "Conversions API: the WhatsApp Business Account id sent with each event (user_data.whatsapp_business_account_id)")
	c.str(fs, getenv, &c.RatesFile, "rates", "CIS_RATES", "", "JSON file of WhatsApp per-message rates by country and category with the date each applies from, for the messaging cost in campaigns' ROI (default: built-in illustrative rates, flow/pricing/rates.json)")
	c.dur(fs, getenv, &c.ReengageAfter, "reengage-after", "CIS_REENGAGE_AFTER", 24*time.Hour, "Cloud API: a person who gave consent and stopped answering gets the one reengage template of --templates after this silence (0: never)")
	c.boolean(fs, getenv, &c.WhatsApp, "whatsapp", "CIS_WHATSAPP", false, "run the linked-device channel (pair first with cis pair)")
	c.str(fs, getenv, &c.WhatsAppNumber, "whatsapp-number", "CIS_WHATSAPP_NUMBER", "", "the agency's WhatsApp number with country code (+57 300 123 4567): only that account may link by scanning a pairing code")
	c.str(fs, getenv, &c.WhatsAppVersion, "whatsapp-version", "CIS_WHATSAPP_VERSION", "", "WhatsApp Web version to announce, e.g. 2.3000.1045649367 (default: the library's)")
	c.dur(fs, getenv, &c.WhatsAppDebounce, "whatsapp-debounce", "CIS_WHATSAPP_DEBOUNCE", 3*time.Second, "wait this long after a person's last message before answering")
	c.dur(fs, getenv, &c.WhatsAppLateAfter, "whatsapp-late-after", "CIS_WHATSAPP_LATE_AFTER", 10*time.Minute, "a message older than this when it arrives is answered with an apology for the delay")
	c.str(fs, getenv, &c.TranscribeURL, "transcribe-url", "CIS_TRANSCRIBE_URL", "", "transcribe voice notes through this OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1/audio/transcriptions (whisper.cpp's server); without it a voice note gets a polite request to write")
	c.secret(fs, getenv, &c.TranscribeKey, "transcribe-key", "CIS_TRANSCRIBE_KEY", "bearer token for --transcribe-url, when the service needs one")
	c.str(fs, getenv, &c.TranscribeModel, "transcribe-model", "CIS_TRANSCRIBE_MODEL", "whisper-1", "model name sent to --transcribe-url")
	c.str(fs, getenv, &c.AdvisorSettings, "advisor-settings", "CIS_ADVISOR_SETTINGS", "", "JSON file of advisors' hours, days off, maximum of open leads, services and places (see README)")
	c.str(fs, getenv, &c.AdvisorLeastLoaded, "advisor-least-loaded", "CIS_ADVISOR_LEAST_LOADED", "", "classes (hot,warm,cold) whose leads go to the available advisor holding the fewest open leads; the others follow strict rotation")
	c.str(fs, getenv, &c.Advisors, "advisors", "CIS_ADVISORS", "", "dashboard users who get completed leads in turn, as user=+57300...,user=+57301... (the number, optional, gets WhatsApp notifications over the linked device; a user without an account gets one without a password)")
	c.dur(fs, getenv, &c.AdvisorIdle, "advisor-idle", "CIS_ADVISOR_IDLE", 0, "switch an advisor who uses the dashboard to away after this long on shift without a request (e.g. 30m); 0: never")
	c.dur(fs, getenv, &c.AdvisorRemind, "advisor-reminder", "CIS_ADVISOR_REMINDER", 10*time.Minute, "remind the advisor this long before an uncontacted lead's deadline")
	c.boolean(fs, getenv, &c.AdvisorReassign, "advisor-reassign", "CIS_ADVISOR_REASSIGN", true, "give a lead whose deadline passed without contact to the next advisor")
	c.str(fs, getenv, &c.NumbersFile, "numbers", "CIS_NUMBERS", "", numbersUsage)
	c.boolean(fs, getenv, &c.WebhooksAllowPrivate, "webhooks-allow-private", "CIS_WEBHOOKS_ALLOW_PRIVATE", false, "let webhook destinations be on loopback, private or link-local addresses (a CRM on the agency's network); refused by default")
	c.float(fs, getenv, &c.WhatsAppPerMinute, "whatsapp-per-minute", "CIS_WHATSAPP_PER_MINUTE", 20, "most messages the linked device sends per minute (ban risk)")
	c.integer(fs, getenv, &c.MinLeads, "min-leads", "CIS_MIN_LEADS", 200, "labelled leads a trained model needs before it replaces the rule-based scorer")
	c.integer(fs, getenv, &c.MinConv, "min-conversions", "CIS_MIN_CONVERSIONS", 30, "conversions a trained model needs before it replaces the rule-based scorer")
	c.integer(fs, getenv, &c.DemoLeads, "demo-leads", "CIS_DEMO_LEADS", 20000, "leads in the demo history (cis demo, serve --demo)")
	c.integer(fs, getenv, &c.DemoTrees, "demo-trees", "CIS_DEMO_TREES", 300, "trees per forest when training on the demo history")
	c.dur(fs, getenv, &c.ModelPoll, "model-poll", "CIS_MODEL_POLL", 30*time.Second, "how often the server checks for a newly activated model")
	c.days(fs, getenv, &c.RetainIncomplete, "retain-incomplete", "CIS_RETAIN_INCOMPLETE", 180*day, "erase a person who never finished the questions this long after their last message (e.g. 180d; 0 keeps)")
	c.days(fs, getenv, &c.RetainLeads, "retain-leads", "CIS_RETAIN_LEADS", 730*day, "erase a person whose leads were never won this long after the last one (0 keeps)")
	c.days(fs, getenv, &c.RetainTranscripts, "retain-transcripts", "CIS_RETAIN_TRANSCRIPTS", 365*day, "empty message texts older than this (0 keeps)")
	return fs, c
}

func (c *Config) secret(fs *flag.FlagSet, getenv func(string) string, p *string, name, env, usage string) {
	fs.StringVar(p, name, "", usage+" (env "+env+"; never printed)")
	c.secrets = append(c.secrets, secretFlag{p: p, name: name, env: env, getenv: getenv})
}

func (c *Config) integer(fs *flag.FlagSet, getenv func(string) string, p *int, name, env string, def int, usage string) {
	fs.IntVar(p, name, fromEnv(c, getenv, env, def, strconv.Atoi), usage+" (env "+env+")")
}

// minHistory is the labelled history a model needs to serve.
func (c *Config) minHistory() scoring.MinHistory {
	return scoring.MinHistory{Leads: c.MinLeads, Conversions: c.MinConv}
}

func (c *Config) str(fs *flag.FlagSet, getenv func(string) string, p *string, name, env, def, usage string) {
	if v := getenv(env); v != "" {
		def = v
	}
	fs.StringVar(p, name, def, usage+" (env "+env+")")
}

// dbFlag is --db (CIS_DB). -h and a mistyped flag print every flag's
// default, here CIS_DB's value, into the service's journal: a PostgreSQL
// URL is shown without its password (shownDB).
func (c *Config) dbFlag(fs *flag.FlagSet, getenv func(string) string, usage string) {
	c.DBPath = "./cis.db"
	if v := getenv("CIS_DB"); v != "" {
		c.DBPath = v
	}
	fs.Var(dbValue{&c.DBPath}, "db", usage+" (env CIS_DB)")
}

// dbValue is --db's flag.Value: set as given, shown without a password.
type dbValue struct{ p *string }

func (v dbValue) String() string {
	if v.p == nil { // flag's zero value, for -h's "is it the default" test
		return ""
	}
	return shownDB(*v.p)
}

func (v dbValue) Set(s string) error {
	*v.p = s
	return nil
}

func (c *Config) dur(fs *flag.FlagSet, getenv func(string) string, p *time.Duration, name, env string, def time.Duration, usage string) {
	fs.DurationVar(p, name, fromEnv(c, getenv, env, def, time.ParseDuration), usage+" (env "+env+")")
}

const day = 24 * time.Hour

// days declares a duration flag that also accepts whole days ("180d"), as retention periods are
// written in the data-processing policy.
func (c *Config) days(fs *flag.FlagSet, getenv func(string) string, p *time.Duration, name, env string, def time.Duration, usage string) {
	*p = fromEnv(c, getenv, env, def, parseDays)
	fs.Func(name, usage+" (env "+env+"; default "+formatDays(def)+")", func(v string) error {
		d, err := parseDays(v)
		*p = d
		return err
	})
}

func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(strings.TrimSpace(v), "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q: want whole days like 180d, or a duration like 72h", v)
		}
		return time.Duration(d) * day, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want whole days like 180d, or a duration like 72h", v)
	}
	return d, nil
}

func formatDays(d time.Duration) string {
	if d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}

func (c *Config) float(fs *flag.FlagSet, getenv func(string) string, p *float64, name, env string, def float64, usage string) {
	parse := func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }
	fs.Float64Var(p, name, fromEnv(c, getenv, env, def, parse), usage+" (env "+env+")")
}

func (c *Config) boolean(fs *flag.FlagSet, getenv func(string) string, p *bool, name, env string, def bool, usage string) {
	fs.BoolVar(p, name, fromEnv(c, getenv, env, def, strconv.ParseBool), usage+" (env "+env+")")
}

// fromEnv returns the value of env parsed, or def when it is unset. A value
// that does not parse is kept as an error for parse to report, naming env.
func fromEnv[T any](c *Config, getenv func(string) string, env string, def T, parse func(string) (T, error)) T {
	v := getenv(env)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		c.envErrs = append(c.envErrs, fmt.Errorf("%s: %w", env, err))
		return def
	}
	return x
}

// parse reads args and checks every value.
func (c *Config) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, sf := range c.secrets {
		if *sf.p == "" {
			*sf.p = sf.getenv(sf.env)
		}
	}
	if len(c.envErrs) > 0 {
		return errors.Join(c.envErrs...)
	}
	if _, err := c.flowConfig(); err != nil {
		return err
	}
	if c.Synchronous != "FULL" && c.Synchronous != "NORMAL" {
		return fmt.Errorf("--sqlite-synchronous (CIS_SQLITE_SYNCHRONOUS) %q: want FULL or NORMAL", c.Synchronous)
	}
	if _, err := c.logLevel(); err != nil {
		return err
	}
	if err := c.validateScoring(); err != nil {
		return err
	}
	return c.validateChannels()
}

// validateChannels checks that a channel's settings come together.
func (c *Config) validateChannels() error {
	if c.WhatsAppDebounce < 0 || c.WhatsAppPerMinute < 1 {
		return errors.New("--whatsapp-debounce (CIS_WHATSAPP_DEBOUNCE) must not be negative and --whatsapp-per-minute (CIS_WHATSAPP_PER_MINUTE) at least 1")
	}
	if _, err := c.advisors(); err != nil {
		return err
	}
	if _, err := c.assignRules(); err != nil {
		return err
	}
	if _, err := readNumbers(c.NumbersFile); err != nil { // numbers.go
		return err
	}
	if _, err := bot.NormalizeNumber(c.WhatsAppNumber); err != nil {
		return fmt.Errorf("--whatsapp-number (CIS_WHATSAPP_NUMBER): %w", err)
	}
	if _, err := c.transcriber(); err != nil {
		return err
	}
	if err := c.loadTemplates(); err != nil {
		return err
	}
	if err := c.loadRates(); err != nil {
		return err
	}
	if c.MetaDataset != "" && strings.Trim(c.MetaDataset, "0123456789") != "" {
		return errors.New("--meta-dataset (CIS_META_DATASET): want Meta's numeric dataset id")
	}
	if c.MetaDataset != "" && c.MetaToken == "" && c.CloudAccessToken == "" {
		return errors.New("--meta-dataset (CIS_META_DATASET) needs --meta-token (CIS_META_TOKEN) or --cloudapi-access-token")
	}
	cloud := []string{c.CloudAppSecret, c.CloudVerifyToken, c.CloudAccessToken}
	set := 0
	for _, v := range cloud {
		if v != "" {
			set++
		}
	}
	if set != 0 && set != len(cloud) {
		return errors.New("the Cloud API flags --cloudapi-app-secret, --cloudapi-verify-token and --cloudapi-access-token " +
			"(CIS_CLOUDAPI_APP_SECRET, CIS_CLOUDAPI_VERIFY_TOKEN, CIS_CLOUDAPI_ACCESS_TOKEN) go together")
	}
	return nil
}

// validateScoring checks the model settings.
func (c *Config) validateScoring() error {
	if c.MinLeads < 1 || c.MinConv < 1 {
		return errors.New("--min-leads and --min-conversions (CIS_MIN_LEADS, CIS_MIN_CONVERSIONS) must be at least 1")
	}
	if c.ModelPoll <= 0 {
		return errors.New("--model-poll (CIS_MODEL_POLL) must be positive")
	}
	return nil
}

// whatsAppNumber is --whatsapp-number as WhatsApp writes it (digits), "" when unset.
func (c *Config) whatsAppNumber() string {
	n, _ := bot.NormalizeNumber(c.WhatsAppNumber) // checked by parse
	return n
}

func (c *Config) whatsAppConfig(apology string) bot.WhatsAppConfig {
	return bot.WhatsAppConfig{Debounce: c.WhatsAppDebounce, LateAfter: c.WhatsAppLateAfter, Apology: apology,
		PerMinute: max(1, int(c.WhatsAppPerMinute))}
}

// advisors reads --advisors: "user=+57300...,user=+57301..." (numbers optional).
func (c *Config) advisors() ([]store.Advisor, error) {
	if strings.TrimSpace(c.Advisors) == "" {
		return nil, nil
	}
	var out []store.Advisor
	for i, part := range strings.Split(c.Advisors, ",") {
		name, phone, withPhone := strings.Cut(strings.TrimSpace(part), "=")
		name, phone = strings.TrimSpace(name), strings.TrimSpace(phone)
		badPhone := withPhone && (len(phone) < 8 || phone[0] != '+' || strings.Trim(phone[1:], "0123456789") != "")
		if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t") || badPhone {
			return nil, fmt.Errorf("--advisors (CIS_ADVISORS) entry %d: want username=+<country code and number> (username as in cis users, the number optional)", i+1)
		}
		out = append(out, store.Advisor{Name: name, Phone: phone})
	}
	return out, nil
}

// advisorSettings reads --advisor-settings: {"ana": {"hours": "lun-vie
// 8-17", "days_off": ["2026-12-24"], "max_open": 8, "services": ["seo"],
// "places": ["Antioquia"], "away": false}, ...}. Unknown fields are refused
// so a typo does not silently leave the default.
func (c *Config) advisorSettings() (map[string]store.AdvisorSettings, error) {
	if strings.TrimSpace(c.AdvisorSettings) == "" {
		return nil, nil
	}
	f, err := os.Open(c.AdvisorSettings) // #nosec G304 -- the operator's own settings path
	if err != nil {
		return nil, fmt.Errorf("--advisor-settings (CIS_ADVISOR_SETTINGS): %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var out map[string]store.AdvisorSettings
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("--advisor-settings (CIS_ADVISOR_SETTINGS) %s: %w", c.AdvisorSettings, err)
	}
	return out, nil
}

// transcriber is the voice-note transcriber, nil without --transcribe-url.
func (c *Config) transcriber() (*bot.Transcriber, error) {
	if strings.TrimSpace(c.TranscribeURL) == "" {
		return nil, nil
	}
	tr, err := bot.NewTranscriber(bot.TranscriberConfig{URL: c.TranscribeURL, Key: c.TranscribeKey, Model: c.TranscribeModel})
	if err != nil {
		return nil, fmt.Errorf("--transcribe-url (CIS_TRANSCRIBE_URL): %w", err)
	}
	return tr, nil
}

// cloudEnabled reports whether the Cloud API channel is configured.
func (c *Config) cloudEnabled() bool { return c.CloudAppSecret != "" }

func (c *Config) cloudConfig() bot.CloudConfig {
	return bot.CloudConfig{AppSecret: c.CloudAppSecret, VerifyToken: c.CloudVerifyToken,
		AccessToken: c.CloudAccessToken, GraphURL: c.GraphURL, Templates: c.templateCat}
}

// reengager is the re-engagement job (issue 18); it does nothing without
// a reengage template or with --reengage-after 0.
func (c *Config) reengager(a *app, log *slog.Logger) *bot.Reengager {
	return &bot.Reengager{Store: a.store, Templates: c.templateCat, Idle: c.ReengageAfter, Lang: c.Lang,
		Log: log.With("component", "reengage")}
}

// metaSetup applies issue 18's settings to the store (--rates, and the
// queueing of conversion events) and returns the conversion-event worker's
// loop (serve runs it under its jobs, as a channel's), nil without
// --meta-dataset.
func (c *Config) metaSetup(a *app, log *slog.Logger) (func(context.Context) error, error) {
	if c.rates != nil {
		a.store.SetRates(*c.rates)
	}
	m, err := c.metaEvents(a, log)
	if err != nil || m == nil {
		return nil, err
	}
	return m.Run, nil
}

// metaEvents is the conversion-event worker, nil without --meta-dataset.
// It also turns the queueing of events on in the store.
func (c *Config) metaEvents(a *app, log *slog.Logger) (*bot.MetaEvents, error) {
	if c.MetaDataset == "" {
		return nil, nil
	}
	m, err := bot.NewMetaEvents(a.store, bot.MetaConfig{DatasetID: c.MetaDataset, AccessToken: cmp.Or(c.MetaToken, c.CloudAccessToken),
		WABAID: c.MetaWABA, GraphURL: c.GraphURL, Crash: crashHook(c.getenv)}, time.Now, log.With("component", "meta-events"))
	if err != nil {
		return nil, fmt.Errorf("--meta-dataset (CIS_META_DATASET): %w", err)
	}
	a.store.SetConversionEvents(true)
	return m, nil
}

// loadRates reads --rates; none without the flag (the built-in table).
func (c *Config) loadRates() error {
	if strings.TrimSpace(c.RatesFile) == "" {
		return nil
	}
	data, err := os.ReadFile(c.RatesFile) // #nosec G304 G703 -- the operator's own --rates path
	if err != nil {
		return fmt.Errorf("--rates (CIS_RATES): %w", err)
	}
	t, err := pricing.Parse(data)
	if err != nil {
		return fmt.Errorf("--rates (CIS_RATES) %s: %w", c.RatesFile, err)
	}
	c.rates = &t
	return nil
}

// loadTemplates reads --templates into templateCat; none without the flag.
func (c *Config) loadTemplates() error {
	if strings.TrimSpace(c.TemplatesFile) == "" {
		return nil
	}
	data, err := os.ReadFile(c.TemplatesFile) // #nosec G304 G703 -- the operator's own --templates path
	if err != nil {
		return fmt.Errorf("--templates (CIS_TEMPLATES): %w", err)
	}
	if c.templateCat, err = templates.Parse(data); err != nil {
		return fmt.Errorf("--templates (CIS_TEMPLATES) %s: %w", c.TemplatesFile, err)
	}
	return nil
}

// flowConfig builds the conversation settings; errors name the flag.
func (c *Config) flowConfig() (flow.Config, error) {
	fc := flow.DefaultConfig(flow.Bogota())
	fc.Lang, fc.PolicyVersion, fc.USDToCOP, fc.IdleTimeout = c.Lang, c.PolicyVersion, c.USDToCOP, c.IdleTimeout
	fc.Agency = flow.Agency{Name: c.AgencyName, Contact: c.AgencyContact, PolicyURL: c.PolicyURL, AdConversions: c.MetaDataset != ""}
	fc.Windows = flow.Windows{Hot: c.HotWindow, Warm: c.WarmWindow, Cold: c.ColdWindow}
	cal, err := c.calendar()
	if err != nil {
		return fc, err
	}
	fc.Calendar = cal
	if c.ServicesFile != "" {
		if fc.Catalogue, err = readCatalogue(c.ServicesFile); err != nil {
			return fc, fmt.Errorf("--services (CIS_SERVICES): %w", err)
		}
	}
	if c.Lang != "es" && c.Lang != "en" {
		return fc, fmt.Errorf("--lang (CIS_LANG) %q: want es or en", c.Lang)
	}
	return fc, nil
}

// calendar is the agency's business clock: the contact promise counts in
// it, and advisors without hours of their own work in it.
func (c *Config) calendar() (flow.Calendar, error) {
	week, err := flow.ParseWeek(c.BusinessHours)
	if err != nil {
		return flow.Calendar{}, fmt.Errorf("--business-hours (CIS_BUSINESS_HOURS): %w", err)
	}
	return flow.Calendar{Loc: flow.Bogota(), Week: week, Enabled: c.Calendar}, nil
}

func readCatalogue(path string) (flow.Catalogue, error) {
	b, err := os.ReadFile(path) // #nosec G304 G703 -- the operator's own --catalogue path
	if err != nil {
		return nil, err
	}
	var cat flow.Catalogue
	if err := json.Unmarshal(b, &cat); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cat, cat.Validate()
}

func (c *Config) logLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return l, fmt.Errorf("--log-level (CIS_LOG_LEVEL) %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// retention is the retention policy the daily job applies.
func (c *Config) retention() store.Retention {
	return store.Retention{Incomplete: c.RetainIncomplete, Leads: c.RetainLeads, Transcripts: c.RetainTranscripts}
}

func (c *Config) storeOptions(log *slog.Logger) store.Options {
	o := store.Options{Synchronous: c.Synchronous, Log: log, Crash: crashHook(c.getenv), Existing: !c.creates}
	if rules, err := c.assignRules(); err == nil { // a bad value is reported by parse and flowConfig
		o.Assign = rules
	}
	return o
}

// assignRules are the agency's rules for giving leads to advisors: its
// calendar (the shift of advisors without hours of their own) and the
// classes sent to the least loaded advisor (--advisor-least-loaded).
func (c *Config) assignRules() (assign.Rules, error) {
	cal, err := c.calendar()
	if err != nil {
		return assign.Rules{}, err
	}
	r := assign.Rules{Agency: cal, Modes: map[flow.Class]assign.Mode{}}
	for part := range strings.SplitSeq(c.AdvisorLeastLoaded, ",") {
		switch class := flow.Class(strings.ToLower(strings.TrimSpace(part))); class {
		case "", "none": // none: every class in rotation (a value to reset the admin's choice)
		case flow.Hot, flow.Warm, flow.Cold:
			r.Modes[class] = assign.LeastLoaded
		default:
			return assign.Rules{}, fmt.Errorf("--advisor-least-loaded (CIS_ADVISOR_LEAST_LOADED) %q: want hot, warm, cold or none", part)
		}
	}
	return r, nil
}
