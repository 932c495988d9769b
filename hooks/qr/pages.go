package qr

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/sealing"
	"homeward/hooks/setup"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageSet holds the parsed server-rendered pages, one template per page,
// each sharing layout.html.
type pageSet struct {
	pages map[string]*template.Template
}

func parsePages() (*pageSet, error) {
	set := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range []string{"contact", "warning", "embassies", "verify", "poster", "offline"} {
		t, err := template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		set.pages[name] = t
	}
	return set, nil
}

// render writes page name with data; the page is built in memory first so
// a template error never sends half a page.
func (s *pageSet) render(e *core.RequestEvent, status int, name string, data any) error {
	var b bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return e.InternalServerError("Failed to show the page.", err)
	}
	return e.HTML(status, b.String())
}

// page is what every page's layout needs.
type page struct {
	Lang       string // the language of the key phrases, and of <html lang>
	Title      string
	AppName    string
	Host       string // the official address people should see in the address bar
	Stylesheet string
	Script     string
	Classic    string // a classic script loaded before Script
	ExitURL    string
}

// exitURL is where the quick exit goes: a plain, common website, the same
// one as the reporter app's quick exit (js/app.js), so that leaving looks
// like ordinary browsing.
const exitURL = "https://www.google.com/"

func newPage(app core.App, lang, title, stylesheet string) page {
	// With no official address set, the pages name none rather than one
	// nobody can reach; the operator sees why at start and in the console.
	var host string
	if base, err := setup.PublicURL(app); err == nil {
		if u, err := url.Parse(base); err == nil {
			host = u.Host
		}
	}
	return page{Lang: lang, Title: title, AppName: app.Settings().Meta.AppName, Host: host, Stylesheet: stylesheet, ExitURL: exitURL}
}

// T returns a line in the page's language (see phrases), with args as
// name, value pairs for its {name} places.
func (p page) T(key string, args ...string) phrase { return translate(key, p.Lang, args...) }

// Plain returns a line in the page's language as plain text.
func (p page) Plain(key string) string { return plain(key, p.Lang) }

// requestLanguage is the page language for a request: given (a link's
// language), else ?lang=, else the browser's, else the first language the
// embassy (when there is one) lists, else English.
func requestLanguage(e *core.RequestEvent, given string, embassy *core.Record) string {
	if knownLanguage(given) {
		return given
	}
	if lang, ok := browserLanguage(e.Request.URL.Query().Get("lang"), e.Request.Header.Get("Accept-Language")); ok {
		return lang
	}
	if lang := embassyLanguage(embassy); lang != "" {
		return lang
	}
	return "en"
}

// embassyLanguage is the first known language an embassy lists, or "".
func embassyLanguage(embassy *core.Record) string {
	if embassy == nil {
		return ""
	}
	for _, l := range embassy.GetStringSlice("languages") {
		if knownLanguage(l) {
			return l
		}
	}
	return ""
}

// contact is an embassy's contact details ready for the page: tap targets
// are built here from cleaned numbers, never from raw text.
type contact struct {
	Name, Country, Slug string
	Hotline             string
	HotlineHref         template.URL
	Messaging           string
	MessagingHref       template.URL
	Email               string
	Address, Hours      string
	WhatToBring, Notes  string
	Languages           []string
	Demo                bool
	// Fingerprint is the embassy's sealing key as people compare it
	// (seal.Fingerprint of its first epoch, the root phones pin); empty
	// with NoKey when the embassy has no key yet and so cannot receive
	// reports through the app (unless it takes them in clear until it
	// has one: embassies.clear_until_keyed).
	Fingerprint               string
	NoKey                     bool
	ContactPath, ReportPath   string
	VCardImage, VCardDownload string
}

func newContact(app core.App, embassy *core.Record, lang string) contact {
	slug := embassy.GetString("slug")
	c := contact{
		Name:          embassy.GetString("name"),
		Country:       embassy.GetString("country"),
		Slug:          slug,
		Hotline:       embassy.GetString("hotline"),
		Messaging:     embassy.GetString("messaging"),
		Email:         embassy.GetString("email"),
		Address:       embassy.GetString("address"),
		Hours:         embassy.GetString("hours"),
		WhatToBring:   embassy.GetString("what_to_bring"),
		Notes:         embassy.GetString("notes"),
		Demo:          embassy.GetBool("demo"),
		ContactPath:   "/e/" + url.PathEscape(slug),
		VCardImage:    "/api/qr/embassy/" + url.PathEscape(slug) + "/vcard.png?size=480",
		VCardDownload: "/api/qr/embassy/" + url.PathEscape(slug) + "/vcard.vcf",
	}
	if n := phoneNumber(c.Hotline); n != "" {
		c.HotlineHref = template.URL("tel:" + n)
	}
	c.MessagingHref = messagingHref(c.Messaging)
	switch kid, err := sealing.RootKid(app, embassy.Id); {
	case err == nil:
		c.Fingerprint = seal.Fingerprint(kid)
	case errors.Is(err, sealing.ErrNoKey):
		// One that takes reports in clear until it has a key is offered
		// as before; the reporter's form says who can read them.
		c.NoKey = !embassy.GetBool("clear_until_keyed")
	default:
		// Neither claim is shown when it cannot be checked.
		app.Logger().Warn("qr: failed to find the embassy's key", "error", err)
	}
	for _, l := range embassy.GetStringSlice("languages") {
		if name, ok := vocab.LanguageNames[l]; ok {
			c.Languages = append(c.Languages, name)
		}
	}
	report := url.Values{"embassy": {slug}}
	if knownLanguage(lang) {
		report.Set("lang", lang)
	}
	c.ReportPath = "/?" + report.Encode() + "#report"
	return c
}

var (
	telegramHandle = regexp.MustCompile(`@([A-Za-z0-9_]{5,32})\b`)
	lineID         = regexp.MustCompile(`(?i)line[^@]*@?([A-Za-z0-9._-]{3,32})$`)
)

// messagingHref makes a tap target from a messaging contact such as
// "WhatsApp +000 12 345 678" or "Telegram @embassy_help"; "" when the
// text names no app or number it can be built from.
func messagingHref(text string) template.URL {
	lower := strings.ToLower(text)
	number := strings.TrimPrefix(phoneNumber(text), "+")
	switch {
	case strings.Contains(lower, "whatsapp") && number != "":
		return template.URL("https://wa.me/" + number)
	case strings.Contains(lower, "telegram"):
		if m := telegramHandle.FindStringSubmatch(text); m != nil {
			return template.URL("https://t.me/" + m[1])
		}
	case strings.Contains(lower, "viber") && number != "":
		return template.URL("viber://chat?number=%2B" + number)
	case strings.Contains(lower, "zalo") && number != "":
		return template.URL("https://zalo.me/" + number)
	case strings.Contains(lower, "line"):
		if m := lineID.FindStringSubmatch(text); m != nil {
			return template.URL("https://line.me/ti/p/~" + url.PathEscape(m[1]))
		}
	}
	if number != "" {
		return template.URL("sms:+" + number)
	}
	return ""
}

// MessagingHref is an embassy's messaging contact as a tap target, by the
// rule of the contact page (see messagingHref), for pages other packages
// render; "" for a demo embassy, whose numbers are not real.
func MessagingHref(embassy *core.Record) string {
	if embassy.GetBool("demo") {
		return ""
	}
	return string(messagingHref(embassy.GetString("messaging")))
}

// enrichMessagingHref adds messaging_href to an embassy as the records API
// returns it: the tap target of its messaging contact, built by the same
// rule as the contact page's (messagingHref), so the reporter app links it
// the same way. Demo embassies get none: their numbers are not real.
func enrichMessagingHref(e *core.RecordEnrichEvent) error {
	e.Record.WithCustomData(true)
	e.Record.Set("messaging_href", MessagingHref(e.Record))
	return e.Next()
}

// contactPage is the data of contact.html.
type contactPage struct {
	page
	Contact contact
	Scanned bool // reached through a verified QR code
}

// scanHandler serves GET /q/{token}, the address every QR code carries: a
// genuine code counts a scan and shows the contact flow at once (no
// redirect, one round trip less on 2G); anything else shows the warning.
func scanHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		e.Response.Header().Set("Cache-Control", "no-store")
		res := Verify(e.App, e.Request.PathValue("token"), time.Now())
		if res.Verdict != VerdictValid {
			return renderWarning(e, pages, res)
		}
		if e.Request.Method == http.MethodGet { // a HEAD is no scan
			if err := countScan(e.App, res.Link.Id); err != nil {
				e.App.Logger().Warn("qr: failed to count a scan", "error", err)
			}
		}
		lang := res.Link.GetString("language")
		pageLang := requestLanguage(e, lang, res.Embassy)
		p := contactPage{
			page:    newPage(e.App, pageLang, EmbassyText(res.Embassy, pageLang, "name"), "/css/contact.css"),
			Contact: newContact(e.App, res.Embassy, lang),
			Scanned: true,
		}
		p.Contact.localize(res.Embassy, pageLang)
		return pages.render(e, http.StatusOK, "contact", p)
	}
}

// embassyHandler serves GET /e/{slug}, the contact flow of a listed
// embassy; ?lang= presets the report form's language.
func embassyHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		embassy := findActiveEmbassy(e.App, e.Request.PathValue("slug"))
		if embassy == nil {
			return pages.render(e, http.StatusNotFound, "embassies", embassyList(e, "not_listed"))
		}
		e.Response.Header().Set("Cache-Control", "no-cache")
		pageLang := requestLanguage(e, "", embassy)
		p := contactPage{
			page:    newPage(e.App, pageLang, EmbassyText(embassy, pageLang, "name"), "/css/contact.css"),
			Contact: newContact(e.App, embassy, e.Request.URL.Query().Get("lang")),
		}
		p.Contact.localize(embassy, pageLang)
		return pages.render(e, http.StatusOK, "contact", p)
	}
}

// embassiesPage is the data of embassies.html.
type embassiesPage struct {
	page
	Intro     string // the key of the line above the list
	Embassies []contact
}

func embassyList(e *core.RequestEvent, intro string) embassiesPage {
	records, err := e.App.FindRecordsByFilter("embassies", "active = true", "country,name", 500, 0)
	if err != nil {
		e.App.Logger().Warn("qr: failed to list embassies", "error", err)
	}
	lang := requestLanguage(e, "", nil)
	p := embassiesPage{page: newPage(e.App, lang, plain("embassies", lang), "/css/contact.css"), Intro: intro}
	for _, r := range records {
		c := newContact(e.App, r, "")
		c.localize(r, p.Lang)
		p.Embassies = append(p.Embassies, c)
	}
	return p
}

// embassyListHandler serves GET /e: every listed embassy, the safe way
// in when a code cannot be trusted.
func embassyListHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		return pages.render(e, http.StatusOK, "embassies", embassyList(e, "choose"))
	}
}

// warningPage is the data of warning.html.
type warningPage struct {
	page
	Verdict  string
	Reason   phrase
	Embassy  *contact // the official contacts, when the code named a listed embassy
	Verifier string
}

// warningStatus gives each verdict an honest status code; browsers show
// the page either way.
var warningStatus = map[string]int{
	VerdictExpired: http.StatusGone,
	VerdictRevoked: http.StatusGone,
	VerdictUnknown: http.StatusNotFound,
	VerdictInvalid: http.StatusBadRequest,

	VerdictUnconfigured: http.StatusServiceUnavailable,
}

func renderWarning(e *core.RequestEvent, pages *pageSet, res Result) error {
	lang := ""
	if res.Link != nil {
		lang = res.Link.GetString("language")
	}
	lang = requestLanguage(e, lang, res.Embassy)
	p := warningPage{
		page:     newPage(e.App, lang, plain("warning", lang), "/css/contact.css"),
		Verdict:  res.Verdict,
		Reason:   reasonPhrase(res, lang),
		Verifier: verifierURL(e.App),
	}
	if res.Embassy != nil && res.Embassy.GetBool("active") {
		c := newContact(e.App, res.Embassy, "")
		c.localize(res.Embassy, p.Lang)
		p.Embassy = &c
	}
	return pages.render(e, warningStatus[res.Verdict], "warning", p)
}

// reasonPhrase is a verdict's reason as a page shows it: the verdict's
// line in the page's language, with the exact English reason (which says
// more, for a helper) alongside.
func reasonPhrase(res Result, lang string) phrase {
	key := "verdict_" + res.Verdict
	if res.Verdict == VerdictValid {
		key = "valid_online"
	}
	p := translate(key, lang)
	if _, ok := phrases["en"][key]; !ok || lang == "en" {
		return phrase{Text: fill(res.Reason, nil), Lang: "en"}
	}
	p.English = fill(res.Reason, nil)
	return p
}

// verifyScriptKeys are the lines js/verify-page.js shows, handed to it in
// the page (data-strings) so it needs no request for them.
var verifyScriptKeys = []string{
	"genuine", "may_be_fake", "valid_online", "valid_offline", "checking", "keys_saved", "keys_none",
	"embassy_is", "embassy_in_code", "official", "demo_tag",
	"verdict_expired", "verdict_revoked", "verdict_unknown", "verdict_invalid", "verdict_unconfigured", "verdict_unchecked",
}

// scriptStrings is the JSON of keys in lang and in English, for a script.
func scriptStrings(lang string, keys []string) string {
	out := map[string]map[string]string{"en": {}, lang: {}}
	for _, k := range keys {
		out["en"][k] = plain(k, "en")
		out[lang][k] = plain(k, lang)
	}
	b, _ := json.Marshal(map[string]any{"lang": lang, "strings": out})
	return string(b)
}

// verifyPage is the data of verify.html.
type verifyPage struct {
	page
	Input   string
	Result  *verifyResponse
	Reason  phrase
	Strings string // JSON for js/verify-page.js
}

// verifyPageHandler serves GET /verify, where a volunteer pastes a link.
// With JavaScript the page checks offline against the cached keys
// (js/qrverify.js); without it, ?link= is checked here.
func verifyPageHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		lang := requestLanguage(e, "", nil)
		p := verifyPage{page: newPage(e.App, lang, plain("verify_title", lang), "/css/contact.css"), Strings: scriptStrings(lang, verifyScriptKeys)}
		p.Script = "/js/verify-page.js"
		if input := strings.TrimSpace(e.Request.URL.Query().Get("link")); input != "" && len(input) <= maxTokenLength {
			verdict := VerifyInput(e.App, input)
			res := newVerifyResponse(e.App, verdict)
			p.Input, p.Result, p.Reason = input, &res, reasonPhrase(verdict, lang)
		}
		return pages.render(e, http.StatusOK, "verify", p)
	}
}

// verifierURL is the official address of the verify page, or its path
// while no official address is set.
func verifierURL(app core.App) string {
	base, _ := setup.PublicURL(app)
	return base + "/verify"
}

// offlineScriptKeys are the lines js/scan-page.js shows.
var offlineScriptKeys = append([]string{"dont", "list", "call", "saved_contacts"}, verifyScriptKeys...)

// offlinePage is the data of offline.html.
type offlinePage struct {
	page
	Strings string // JSON for js/scan-page.js
}

// offlineScanHandler serves GET /qr/offline, the page the service worker
// keeps for a /q/{token} scan with no signal: its script checks the token
// in the address bar against the keys saved on the phone. It is fetched
// when the worker installs, so it is in the phone's language.
func offlineScanHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		lang := requestLanguage(e, "", nil)
		p := offlinePage{page: newPage(e.App, lang, plain("offline_title", lang), "/css/contact.css"), Strings: scriptStrings(lang, offlineScriptKeys)}
		p.Classic, p.Script = "/js/db.js", "/js/scan-page.js"
		e.Response.Header().Set("Cache-Control", "no-cache")
		return pages.render(e, http.StatusOK, "offline", p)
	}
}
