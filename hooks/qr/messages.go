package qr

import (
	"embed"
	"encoding/json"
	"html/template"
	"slices"
	"strings"

	"homeward/internal/vocab"
)

// posterLines is the poster's call to action in each language. The English
// line is always printed too; the others need a native speaker's review
// before a campaign (see docs/API.md).
var posterLines = map[string]string{
	"en":  "Scan to contact your embassy.",
	"id":  "Pindai untuk menghubungi kedutaan Anda.",
	"zh":  "扫码联系您的大使馆。",
	"vi":  "Quét mã để liên hệ đại sứ quán của bạn.",
	"th":  "สแกนเพื่อติดต่อสถานทูตของคุณ",
	"my":  "သင့်သံရုံးကို ဆက်သွယ်ရန် စကင်ဖတ်ပါ။",
	"km":  "ស្កេនដើម្បីទាក់ទងស្ថានទូតរបស់អ្នក។",
	"fil": "I-scan para makipag-ugnayan sa inyong embahada.",
}

// knownLanguage reports whether lang is one of the app's languages.
func knownLanguage(lang string) bool {
	return slices.Contains(vocab.Languages, lang)
}

//go:embed i18n/*.json
var phraseFS embed.FS

// phrases are the words of the contact, warning, embassies and verify
// pages and of the offline scan page, by language then key, from
// i18n/<lang>.json. English is the source; the others are drafts marked
// for a native speaker's review (their "_review" line), and every
// language has every key (TestEveryPhraseIsInEveryLanguage), so no safety
// line is ever left in English on a page in another language.
var phrases = loadPhrases()

func loadPhrases() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, lang := range vocab.Languages {
		raw, err := phraseFS.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			panic("qr: no phrases in " + lang + ": " + err.Error())
		}
		d := map[string]string{}
		if err := json.Unmarshal(raw, &d); err != nil {
			panic("qr: phrases in " + lang + ": " + err.Error())
		}
		out[lang] = d
	}
	return out
}

// phrase is one line as a page shows it: in the page's language, and
// the English below it when that is another, so a helper who reads only
// English can follow and a draft translation is never the only text.
type phrase struct {
	Text    template.HTML
	Lang    string
	English template.HTML // set when Text is a translation
}

// translate returns key in lang (with the English alongside), filling
// each {name} of args with its value, escaped and set in bold.
func translate(key, lang string, args ...string) phrase {
	if !knownLanguage(lang) {
		lang = "en"
	}
	p := phrase{Text: fill(phrases[lang][key], args), Lang: lang}
	if lang != "en" {
		p.English = fill(phrases["en"][key], args)
	}
	return p
}

// fill escapes text and puts each value of args (name, value pairs) in
// place of its {name}; addresses and names stand out in bold, the
// service's own name ({app}) does not.
func fill(text string, args []string) template.HTML {
	out := template.HTMLEscapeString(text)
	for i := 0; i+1 < len(args); i += 2 {
		value := template.HTMLEscapeString(args[i+1])
		if args[i] != "app" {
			value = "<strong>" + value + "</strong>"
		}
		out = strings.ReplaceAll(out, "{"+args[i]+"}", value)
	}
	return template.HTML(out)
}

// plain returns key in lang as plain text, for attributes and scripts.
func plain(key, lang string) string {
	if !knownLanguage(lang) {
		lang = "en"
	}
	return phrases[lang][key]
}

// pageLanguage picks a page's language: the one given (a link's or
// ?lang=) if known, else the browser's first known language, else English.
func pageLanguage(given, acceptLanguage string) string {
	if lang, ok := browserLanguage(given, acceptLanguage); ok {
		return lang
	}
	return "en"
}

// browserLanguage is given if known, else the browser's first known
// language; false when neither names one of the app's languages.
func browserLanguage(given, acceptLanguage string) (string, bool) {
	if knownLanguage(given) {
		return given, true
	}
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base := strings.SplitN(tag, "-", 2)[0]
		if base == "tl" { // Tagalog: Filipino speakers' browsers often say so
			base = "fil"
		}
		if knownLanguage(base) {
			return base, true
		}
	}
	return "", false
}
