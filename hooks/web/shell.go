package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/privacy"
	"homeward/hooks/qr"
	"homeward/internal/vocab"
)

// The first screen on 2G: the server sends the reporter's home screen
// whole in the first round trip. The shell (index.html) leaves with its
// stylesheet and a small script (js/first-screen.js) inline, its words
// already in the chosen language, and the embassy contacts written out,
// so the contacts and the Report button work from the first ~14 KB of
// gzipped HTML; app.js and the rest load after it and take over.
//
// Inline code stays under the strict CSP: the shell's policy allows
// exactly the hashes of these two blocks, which are the same for every
// request (only the HTML around them changes).

var (
	stylesheetLink = `<link rel="stylesheet" href="/css/app.css">`
	// i18nText finds an element whose text is a data-i18n key's: in the
	// shell such elements hold text only.
	i18nText  = regexp.MustCompile(`(<[a-z0-9]+\b[^>]*?\sdata-i18n="([^"]+)"[^>]*>)([^<]*)(<)`)
	htmlLang  = regexp.MustCompile(`<html lang="[a-z]+"`)
	langPick  = regexp.MustCompile(`(<option value="([a-z]+)" lang="[a-z]+")>`)
	embassies = `<div id="embassies"></div>`
	needsBox  = regexp.MustCompile(`(<legend data-i18n="f.needs">[^<]*</legend>)`)
	embSelect = `<select id="f-embassy" name="embassy" required></select>`
	// notDialable is what app.js strips from a number or address before
	// making it a link.
	notDialable = regexp.MustCompile(`[^+0-9@.a-zA-Z_-]`)
	noteText    = regexp.MustCompile(`(<p class="hint" id="contacts-note" data-i18n=")home\.contacts_none(">)[^<]*(<)`)
)

// shell renders the reporter app's page.
type shell struct {
	template string                       // index.html with the stylesheet and the script inline
	strings  map[string]map[string]string // i18n/<lang>.json by language
	policy   string                       // the CSP allowing the inline blocks
}

func newShell(fsys fs.FS) (*shell, error) {
	page, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		return nil, fmt.Errorf("read the shell: %w", err)
	}
	css, err := fs.ReadFile(fsys, "css/app.css")
	if err != nil {
		return nil, fmt.Errorf("read the stylesheet: %w", err)
	}
	js, err := fs.ReadFile(fsys, "js/first-screen.js")
	if err != nil {
		return nil, fmt.Errorf("read the first screen's script: %w", err)
	}
	text := string(page)
	if !strings.Contains(text, stylesheetLink) || !strings.Contains(text, "</title>") {
		return nil, fmt.Errorf("the shell has no %s or title", stylesheetLink)
	}
	// The script first, in the head: it only listens on the document, so
	// it works for every button as soon as that button is parsed.
	text = strings.Replace(text, stylesheetLink, "<style>"+string(css)+"</style>\n<script>"+string(js)+"</script>", 1)
	s := &shell{template: text, strings: map[string]map[string]string{}}
	s.policy = privacy.ContentSecurityPolicyWith([]string{hashSource(js)}, []string{hashSource(css)})
	for _, lang := range vocab.Languages {
		raw, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("read the %s strings: %w", lang, err)
		}
		d := map[string]string{}
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("read the %s strings: %w", lang, err)
		}
		s.strings[lang] = d
	}
	return s, nil
}

// hashSource is a CSP source allowing one inline block.
func hashSource(block []byte) string {
	sum := sha256.Sum256(block)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// language picks the page's language as js/i18n.js does, from what the
// server can see: ?lang=, else the browser's list, else English. A choice
// saved on the phone is applied by app.js once it starts.
func language(query, acceptLanguage string) string {
	for _, w := range append([]string{query}, strings.Split(acceptLanguage, ",")...) {
		l := strings.ToLower(strings.TrimSpace(strings.SplitN(w, ";", 2)[0]))
		base := strings.SplitN(l, "-", 2)[0]
		switch {
		case slices.Contains(vocab.Languages, l):
			return l
		case base == "tl":
			return "fil"
		case base == "in":
			return "id"
		case slices.Contains(vocab.Languages, base):
			return base
		}
	}
	return "en"
}

// render returns the shell in lang with the active embassies written out
// (preset, by slug, first and open).
func (s *shell) render(app core.App, lang, preset string) string {
	d := s.strings[lang]
	t := func(key string) string {
		if v := d[key]; v != "" {
			return v
		}
		return key
	}
	page := i18nText.ReplaceAllStringFunc(s.template, func(m string) string {
		p := i18nText.FindStringSubmatch(m)
		if v, ok := d[p[2]]; ok && v != "" {
			return p[1] + html.EscapeString(v) + p[4]
		}
		return m
	})
	page = htmlLang.ReplaceAllString(page, `<html lang="`+lang+`"`)
	page = langPick.ReplaceAllStringFunc(page, func(m string) string {
		if langPick.FindStringSubmatch(m)[2] == lang {
			return strings.TrimSuffix(m, ">") + " selected>"
		}
		return m
	})

	records, err := app.FindRecordsByFilter("embassies", "active = true", "country,name", 500, 0)
	if err != nil {
		app.Logger().Warn("web: failed to list embassies for the shell", "error", err)
	}
	ordered := orderEmbassies(records, lang, preset)
	var cards, options strings.Builder
	options.WriteString(`<option value="">` + html.EscapeString(t("f.choose")) + `</option>`)
	for _, r := range records {
		sel := ""
		if r.GetString("slug") == preset {
			sel = " selected"
		}
		options.WriteString(`<option value="` + html.EscapeString(r.Id) + `"` + sel + `>` + html.EscapeString(qr.EmbassyText(r, lang, "name")) + `</option>`)
	}
	for _, r := range ordered {
		cards.WriteString(card(r, lang, r.GetString("slug") == preset, t))
	}
	page = strings.Replace(page, embassies, `<div id="embassies">`+cards.String()+`</div>`, 1)
	page = strings.Replace(page, embSelect, strings.TrimSuffix(embSelect, "</select>")+options.String()+"</select>", 1)
	if len(records) > 0 {
		note := strings.ReplaceAll(html.EscapeString(t("home.contacts_offline")), "$", "$$")
		page = noteText.ReplaceAllString(page, "${1}home.contacts_offline${2}"+note+"${3}")
	}
	var needs strings.Builder
	for _, n := range vocab.Needs {
		needs.WriteString(`<label class="check"><input type="checkbox" name="needs" value="` + n + `"> <span data-i18n="need.` + n + `">` +
			html.EscapeString(t("need."+n)) + `</span></label>`)
	}
	return needsBox.ReplaceAllString(page, "${1}"+strings.ReplaceAll(needs.String(), "$", "$$"))
}

// orderEmbassies puts the embassies answering in lang first, as app.js
// does, and the preset one before all.
func orderEmbassies(records []*core.Record, lang, preset string) []*core.Record {
	speaks := func(r *core.Record) bool { return slices.Contains(r.GetStringSlice("languages"), lang) }
	var out []*core.Record
	for _, first := range []bool{true, false} {
		for _, r := range records {
			if speaks(r) == first {
				out = append(out, r)
			}
		}
	}
	for i, r := range out {
		if r.GetString("slug") == preset {
			out = append([]*core.Record{r}, append(out[:i:i], out[i+1:]...)...)
			break
		}
	}
	return out
}

// card is an embassy's contact card as app.js draws it (card()), so the
// page does not change when the app takes over: its texts in lang where
// the embassy has them (qr.EmbassyText, as app.js's embassyText).
func card(r *core.Record, lang string, open bool, t func(string) string) string {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<details class="card"`)
	if open {
		b.WriteString(` open`)
	}
	b.WriteString(`><summary>` + esc(qr.EmbassyText(r, lang, "name")) + `</summary>`)
	demo := r.GetBool("demo")
	if demo {
		b.WriteString(`<p class="demo">` + esc(t("emb.demo")) + `</p>`)
	}
	b.WriteString(`<dl>`)
	for _, row := range []struct{ key, value, href string }{
		{"emb.hotline", r.GetString("hotline"), "tel:" + notDialable.ReplaceAllString(r.GetString("hotline"), "")},
		{"emb.messaging", r.GetString("messaging"), qr.MessagingHref(r)},
		{"emb.email", r.GetString("email"), "mailto:" + notDialable.ReplaceAllString(r.GetString("email"), "")},
		{"emb.address", r.GetString("address"), ""},
		{"emb.hours", qr.EmbassyText(r, lang, "hours"), ""},
		{"emb.bring", qr.EmbassyText(r, lang, "what_to_bring"), ""},
		{"", qr.EmbassyText(r, lang, "notes"), ""},
	} {
		if row.value == "" {
			continue
		}
		if row.key != "" {
			b.WriteString(`<dt>` + esc(t(row.key)) + `</dt>`)
		}
		if row.href != "" && !demo {
			b.WriteString(`<dd><a class="big-link" href="` + esc(row.href) + `">` + esc(row.value) + `</a></dd>`)
		} else {
			b.WriteString(`<dd>` + esc(row.value) + `</dd>`)
		}
	}
	b.WriteString(`</dl><button type="button" class="big primary" data-go="report" data-embassy="` + esc(r.Id) + `">` + esc(t("emb.report")) + `</button></details>`)
	return b.String()
}
