package qr

import (
	"html/template"
	"net/http"

	"github.com/pocketbase/pocketbase/core"
	"github.com/skip2/go-qrcode"

	"homeward/hooks/setup"
)

// posterLevel is the poster's error correction: printed codes get
// creased, rained on and written over, so they carry the most that keeps
// a link code easy to scan from a metre away at A4.
const posterLevel = qrcode.High

// posterPage is the data of poster.html.
type posterPage struct {
	page
	Code         template.HTML // inline SVG drawn by codeSVG, never user input
	Contact      contact
	Language     string // the link's language, when not English
	LanguageLine string
	EnglishLine  string
	NoLanguage   bool // neither the link nor the embassy names a language
	LinkID       string
	Kid          string
	Expires      string
	Verifier     string
}

// posterHandler serves GET /api/qr/{link}/poster, a printable A4 page for
// the link, to the same people who may fetch its images.
func posterHandler(pages *pageSet) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		link, err := printableLink(e, e.Request.PathValue("link"))
		if err != nil {
			return err
		}
		base, err := setup.PublicURL(e.App)
		if err != nil {
			return setup.PublicURLError(e, err)
		}
		embassy, err := e.App.FindRecordById("embassies", link.GetString("embassy"))
		if err != nil {
			return e.NotFoundError("", err)
		}
		token, kid, err := signLink(e.App, link)
		if err != nil {
			return e.InternalServerError("Failed to sign the link.", err)
		}
		code, err := qrcode.New(base+linkPath+token, posterLevel)
		if err != nil {
			return e.InternalServerError("Failed to draw the code.", err)
		}
		// A link made without a language prints in the embassy's first
		// listed one: a poster for Burmese workers in English alone would
		// look like anyone's.
		lang := link.GetString("language")
		if !knownLanguage(lang) {
			lang = embassyLanguage(embassy)
		}
		p := posterPage{
			page:        newPage(e.App, "en", "Poster: "+embassy.GetString("name"), "/css/poster.css"),
			Code:        template.HTML(codeSVG(code, 0)),
			Contact:     newContact(e.App, embassy, lang),
			EnglishLine: posterLines["en"],
			LinkID:      link.Id,
			Kid:         kid,
			Expires:     linkExpiry(link).UTC().Format("2 January 2006"),
			Verifier:    base + "/verify",
		}
		p.Script = "/js/poster.js"
		if lang != "" && lang != "en" {
			p.Language, p.LanguageLine = lang, posterLines[lang]
			// The poster's other lines too, each with the English under it.
			p.Lang = lang
		}
		p.NoLanguage = lang == ""
		e.Response.Header().Set("Cache-Control", "no-store")
		return pages.render(e, http.StatusOK, "poster", p)
	}
}
