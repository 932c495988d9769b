package qr

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/setup"
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
	for _, name := range []string{"contact", "warning", "embassies", "verify", "poster"} {
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
}

func newPage(app core.App, lang, title, stylesheet string) page {
	// With no official address set, the pages name none rather than one
	// nobody can reach; the operator sees why at start and in the console.
	var host string
	if base, err := setup.PublicURL(app); err == nil {
		if u, err := url.Parse(base); err == nil {
			host = u.Host
		}
	}
	return page{Lang: lang, Title: title, AppName: app.Settings().Meta.AppName, Host: host, Stylesheet: stylesheet}
}

// T returns a key phrase in the page's language (see phrases).
func (p page) T(key string) phrase { return translate(key, p.Lang) }

// requestLanguage is the page language for a request: given (a link's
// language), else ?lang=, else the browser's.
func requestLanguage(e *core.RequestEvent, given string) string {
	if knownLanguage(given) {
		return given
	}
	return pageLanguage(e.Request.URL.Query().Get("lang"), e.Request.Header.Get("Accept-Language"))
}

// contact is an embassy's contact details ready for the page: tap targets
// are built here from cleaned numbers, never from raw text.
type contact struct {
	Name, Country, Slug       string
	Hotline                   string
	HotlineHref               template.URL
	Messaging                 string
	MessagingHref             template.URL
	Email                     string
	Address, Hours            string
	WhatToBring, Notes        string
	Languages                 []string
	Demo                      bool
	ContactPath, ReportPath   string
	VCardImage, VCardDownload string
}

func newContact(embassy *core.Record, lang string) contact {
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

// enrichMessagingHref adds messaging_href to an embassy as the records API
// returns it: the tap target of its messaging contact, built by the same
// rule as the contact page's (messagingHref), so the reporter app links it
// the same way. Demo embassies get none: their numbers are not real.
func enrichMessagingHref(e *core.RecordEnrichEvent) error {
	href := ""
	if !e.Record.GetBool("demo") {
		href = string(messagingHref(e.Record.GetString("messaging")))
	}
	e.Record.WithCustomData(true)
	e.Record.Set("messaging_href", href)
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
		pageLang := requestLanguage(e, lang)
		p := contactPage{
			page:    newPage(e.App, pageLang, EmbassyText(res.Embassy, pageLang, "name"), "/css/contact.css"),
			Contact: newContact(res.Embassy, lang),
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
			return pages.render(e, http.StatusNotFound, "embassies", embassyList(e, "No embassy is listed at this address. These are the embassies listed here:"))
		}
		e.Response.Header().Set("Cache-Control", "no-cache")
		pageLang := requestLanguage(e, "")
		p := contactPage{
			page:    newPage(e.App, pageLang, EmbassyText(embassy, pageLang, "name"), "/css/contact.css"),
			Contact: newContact(embassy, e.Request.URL.Query().Get("lang")),
		}
		p.Contact.localize(embassy, pageLang)
		return pages.render(e, http.StatusOK, "contact", p)
	}
}

// embassiesPage is the data of embassies.html.
type embassiesPage struct {
	page
	Intro     string
	Embassies []contact
}

func embassyList(e *core.RequestEvent, intro string) embassiesPage {
	records, err := e.App.FindRecordsByFilter("embassies", "active = true", "country,name", 500, 0)
	if err != nil {
		e.App.Logger().Warn("qr: failed to list embassies", "error", err)
	}
	p := embassiesPage{page: newPage(e.App, requestLanguage(e, ""), "Embassies", "/css/contact.css"), Intro: intro}
	for _, r := range records {
		c := newContact(r, "")
		c.localize(r, p.Lang)
		p.Embassies = append(p.Embassies, c)
	}
	return p
}

// embassyListHandler serves GET /e: every listed embassy, the safe way
// in when a code cannot be trusted.
func embassyListHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		return pages.render(e, http.StatusOK, "embassies", embassyList(e, "Choose your embassy to see its official contacts."))
	}
}

// warningPage is the data of warning.html.
type warningPage struct {
	page
	Verdict  string
	Reason   string
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
	p := warningPage{
		page:     newPage(e.App, requestLanguage(e, lang), "Warning: this code may be fake", "/css/contact.css"),
		Verdict:  res.Verdict,
		Reason:   res.Reason,
		Verifier: verifierURL(e.App),
	}
	if res.Embassy != nil && res.Embassy.GetBool("active") {
		c := newContact(res.Embassy, "")
		c.localize(res.Embassy, p.Lang)
		p.Embassy = &c
	}
	return pages.render(e, warningStatus[res.Verdict], "warning", p)
}

// verifyPage is the data of verify.html.
type verifyPage struct {
	page
	Input  string
	Result *verifyResponse
}

// verifyPageHandler serves GET /verify, where a volunteer pastes a link.
// With JavaScript the page checks offline against the cached keys
// (js/qrverify.js); without it, ?link= is checked here.
func verifyPageHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		p := verifyPage{page: newPage(e.App, "en", "Check a QR code", "/css/contact.css")}
		p.Script = "/js/verify-page.js"
		if input := strings.TrimSpace(e.Request.URL.Query().Get("link")); input != "" && len(input) <= maxTokenLength {
			res := newVerifyResponse(e.App, VerifyInput(e.App, input))
			p.Input, p.Result = input, &res
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
