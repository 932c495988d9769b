package qr

import (
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/setup"
)

// phonePattern finds a phone number inside free text such as
// "WhatsApp +000 12 345 678".
var phonePattern = regexp.MustCompile(`\+?[0-9][0-9 ().-]{4,}[0-9]`)

// vcardLineOctets is where RFC 2426 folds content lines.
const vcardLineOctets = 75

// findActiveEmbassy returns the listed embassy with slug, or nil.
func findActiveEmbassy(app core.App, slug string) *core.Record {
	if slug == "" {
		return nil
	}
	embassy, err := app.FindFirstRecordByData("embassies", "slug", slug)
	if err != nil || !embassy.GetBool("active") {
		return nil
	}
	return embassy
}

// vcardHandler serves GET /api/qr/embassy/{slug}/vcard.png, .svg and .vcf:
// the contact card of a listed embassy, public so anyone can save the
// hotline on a phone with no internet.
func vcardHandler(e *core.RequestEvent) error {
	name, ext := splitImageName(e.Request.PathValue("file"))
	if name != "vcard" || (ext != "png" && ext != "svg" && ext != "vcf") {
		return e.NotFoundError("", nil)
	}
	embassy := findActiveEmbassy(e.App, e.Request.PathValue("slug"))
	if embassy == nil {
		return e.NotFoundError("", nil)
	}
	base, err := setup.PublicURL(e.App)
	if err != nil {
		return setup.PublicURLError(e, err)
	}
	card := VCard(base, embassy)
	e.Response.Header().Set("Cache-Control", "public, max-age=300")
	if ext == "vcf" {
		e.Response.Header().Set("Content-Disposition", `attachment; filename="`+embassy.GetString("slug")+`.vcf"`)
		return e.Blob(http.StatusOK, "text/vcard; charset=utf-8", []byte(card))
	}
	opts, err := parseImageOptions(e)
	if err != nil {
		return err
	}
	return writeCode(e, card, ext, opts, embassy.GetString("slug")+"-contact")
}

// VCard returns an embassy's contact card (vCard 3.0, which every phone
// reads): name, hotline, messaging number, e-mail, address, the contact
// page on base (the official public address, see setup.PublicURL), and
// hours and messaging details as a note.
func VCard(base string, embassy *core.Record) string {
	var lines []string
	add := func(name, value string) {
		if value != "" {
			lines = append(lines, name+":"+value)
		}
	}
	name := vcardEscape(embassy.GetString("name"))
	lines = append(lines, "BEGIN:VCARD", "VERSION:3.0")
	add("N", name+";;;;")
	add("FN", name)
	add("ORG", name)
	add("TEL;TYPE=WORK,VOICE", phoneNumber(embassy.GetString("hotline")))
	if number := phoneNumber(embassy.GetString("messaging")); number != "" {
		add("TEL;TYPE=CELL", number)
	}
	add("EMAIL;TYPE=INTERNET", vcardEscape(embassy.GetString("email")))
	if address := embassy.GetString("address"); address != "" {
		add("ADR;TYPE=WORK", ";;"+vcardEscape(address)+";;;;")
	}
	add("URL", base+"/e/"+embassy.GetString("slug"))
	var notes []string
	if m := embassy.GetString("messaging"); m != "" {
		notes = append(notes, m)
	}
	if h := embassy.GetString("hours"); h != "" {
		notes = append(notes, h)
	}
	add("NOTE", vcardEscape(strings.Join(notes, "\n")))
	lines = append(lines, "END:VCARD")
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(foldLine(l))
		b.WriteString("\r\n")
	}
	return b.String()
}

// phoneNumber keeps the "+" and digits of the first number in s, the form
// tel: links and vCards want.
func phoneNumber(s string) string {
	m := phonePattern.FindString(s)
	if m == "" {
		return ""
	}
	var b strings.Builder
	for i, r := range m {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var vcardEscaper = strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func vcardEscape(s string) string {
	return vcardEscaper.Replace(strings.TrimSpace(s))
}

// foldLine folds a content line at 75 octets without splitting a UTF-8
// character; continuation lines start with a space.
func foldLine(line string) string {
	if len(line) <= vcardLineOctets {
		return line
	}
	var b strings.Builder
	limit := vcardLineOctets
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		limit = vcardLineOctets - 1 // the leading space counts
	}
	b.WriteString(line)
	return b.String()
}
