// Package xform is Homeward's report form as an ODK XForm (the XForms 1.0
// subset ODK Collect, KoboCollect and ODK's own form engine read), made
// from the one vocabulary (internal/vocab) and the web app's labels in its
// eight languages, and the reading of a filled form back into a report's
// fields. It needs no outside form tool at run time: the form is built
// from data on each request and changes only when its input does.
package xform

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"

	"homeward/internal/vocab"
)

// FormID is the form's id in formList and in every submission's root.
const FormID = "homeward_report"

// revision names this file's form layout. It is part of the version, so a
// change of questions makes a new version even with the same embassies;
// raise it with every change of the questions below.
const revision = "1"

// ConsentVersion is stored as a submitted report's consent_version: the
// consent questions are the web app's, asked through this form.
const ConsentVersion = "odk-" + revision

// Embassy is one choice of the embassy question.
type Embassy struct {
	Id, Name string
}

// Input is what the form is built from.
type Input struct {
	// Embassies are the embassy question's choices, in the order the list
	// shows them: the embassies a report can be sent to now (the server
	// leaves out one with no sealing key yet). The version hashes them.
	Embassies []Embassy
	// Labels are the web app's strings, by language then key
	// (pb_public/i18n/<lang>.json).
	Labels map[string]map[string]string
	// Countries are the nationality list's names, by language then code
	// (pb_public/i18n/countries.json).
	Countries map[string]map[string]string
}

// Form is a built form.
type Form struct {
	XML     []byte
	Version string // changes when the questions or the embassies do
	MD5     string // hex MD5 of XML, as formList's hash carries it
}

// Field limits, the reports collection's (pb_migrations), so Collect
// refuses what the server would.
var maxLength = map[string]int{
	"nationality_other": 60, "compound_location": 500, "current_location": 500, "message": 5000,
	"contact_name": 100, "contact_phone": 40, "contact_app": 120,
}

// photoMaxSide is the longest side of a photo, in pixels, the web app's
// MAX_SIDE.
const photoMaxSide = 1600

// Fields that are yes/no questions; stored as the report's booleans.
var yesNo = []string{"minors_present", "safety_risk_now", "consent_contact", "consent_share", FieldFollowUp}

// FieldFollowUp asks whether the person wants to follow replies: only
// then the server issues a receipt code.
const FieldFollowUp = "follow_up"

// Binary fields: a photo and a voice note, as the web app takes them.
const (
	FieldPhoto = "photo"
	FieldVoice = "voice"
)

// VersionOf is the form's version for a list of embassies: a hash of the
// layout's revision and the embassies' ids and names, so Collect sees a
// new form when the list changes.
func VersionOf(embassies []Embassy) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", revision)
	for _, e := range embassies {
		fmt.Fprintf(h, "%s\x00%s\x00", e.Id, e.Name)
	}
	return revision + "." + hex.EncodeToString(h.Sum(nil))[:12]
}

// Build makes the form.
func Build(in Input) (Form, error) {
	for _, lang := range vocab.Languages {
		if in.Labels[lang] == nil {
			return Form{}, fmt.Errorf("build form: no labels for %q", lang)
		}
	}
	b := &builder{in: in, version: VersionOf(in.Embassies)}
	b.write()
	if b.err != nil {
		return Form{}, b.err
	}
	sum := md5.Sum(b.buf.Bytes())
	return Form{XML: b.buf.Bytes(), Version: b.version, MD5: hex.EncodeToString(sum[:])}, nil
}

type builder struct {
	in      Input
	version string
	buf     bytes.Buffer
	err     error
}

// label returns key's text in lang, English when lang lacks it.
func (b *builder) label(lang, key string) string {
	if s, ok := b.in.Labels[lang][key]; ok && s != "" {
		return s
	}
	if s, ok := b.in.Labels["en"][key]; ok {
		return s
	}
	if b.err == nil {
		b.err = fmt.Errorf("build form: no label %q", key)
	}
	return key
}

// langName is how the form names a language: ODK shows it in Collect's
// language menu and matches the code in brackets to the phone's locale.
func langName(lang string) string {
	return vocab.LanguageNames[lang] + " (" + lang + ")"
}

func esc(s string) string {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(s))
	return sb.String()
}

func (b *builder) p(format string, args ...any) {
	fmt.Fprintf(&b.buf, format, args...)
}

// question is one question of the body, in the web form's order.
type question struct {
	name  string
	label string   // key in the language files
	kind  string   // string, int, date, select1, select, binary
	items []string // choice values; their labels come from itemLabel
	group string   // the group it sits in, if any
	// mediatype of a binary question.
	mediatype string
}

func (b *builder) questions() []question {
	embassies := make([]string, len(b.in.Embassies))
	for i, e := range b.in.Embassies {
		embassies[i] = e.Id
	}
	nat := append(slices.Clone(vocab.Nationalities), vocab.NationalityOther)
	return []question{
		{name: "embassy", label: "f.embassy", kind: "select1", items: embassies},
		{name: "nationality", label: "f.nationality", kind: "select1", items: nat},
		{name: "nationality_other", label: "nat.which", kind: "string"},
		{name: "people_count", label: "f.people", kind: "int"},
		{name: "minors_present", label: "f.minors", kind: "select1", items: []string{"yes", "no"}},
		{name: "compound_location", label: "f.compound", kind: "string"},
		{name: "current_location", label: "f.current", kind: "string"},
		{name: "left_on", label: "f.left_on", kind: "date"},
		{name: "needs", label: "f.needs", kind: "select", items: vocab.Needs},
		{name: "safety_risk_now", label: "f.risk", kind: "select1", items: []string{"yes", "no"}},
		{name: "passport_held", label: "f.passport", kind: "select1", items: vocab.PassportAnswers},
		{name: "message", label: "f.message", kind: "string"},
		{name: "language", label: "lang", kind: "select1", items: vocab.Languages},
		{name: "contact_name", label: "f.contact_name", kind: "string", group: "contact"},
		{name: "contact_phone", label: "f.contact_phone", kind: "string", group: "contact"},
		{name: "contact_app", label: "f.contact_app", kind: "string", group: "contact"},
		{name: "consent_contact", label: "f.consent_contact", kind: "select1", items: []string{"yes", "no"}, group: "contact"},
		{name: "consent_share", label: "f.consent_share", kind: "select1", items: []string{"yes", "no"}, group: "contact"},
		{name: FieldFollowUp, label: "home.follow", kind: "select1", items: []string{"yes", "no"}},
		{name: FieldPhoto, label: "f.photos", kind: "binary", mediatype: "image/*"},
		{name: FieldVoice, label: "f.voice", kind: "binary", mediatype: "audio/*"},
	}
}

// itemLabel is the label key of a choice, or "" for a choice named the
// same in every language (an embassy, a language).
func itemLabel(q question, value string, lang string, b *builder) string {
	switch q.name {
	case "embassy", "language":
		return ""
	case "nationality":
		if value == vocab.NationalityOther {
			return b.label(lang, "nat.other")
		}
		if n := b.in.Countries[lang][value]; n != "" {
			return n
		}
		return b.in.Countries["en"][value]
	case "needs":
		return b.label(lang, "need."+value)
	}
	return b.label(lang, value) // yes, no, unknown
}

func (q question) path() string {
	if q.group != "" {
		return "/data/" + q.group + "/" + q.name
	}
	return "/data/" + q.name
}

func (b *builder) write() {
	qs := b.questions()
	b.p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.p(`<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms" xmlns:orx="http://openrosa.org/xforms">` + "\n")
	b.p("<h:head>\n<h:title>%s</h:title>\n", esc(b.label("en", "f.title")+" (Homeward)"))
	b.p(`<model odk:xforms-version="1.0.0">` + "\n<itext>\n")
	for _, lang := range vocab.Languages {
		def := ""
		if lang == "en" {
			def = ` default="true()"`
		}
		b.p(`<translation lang="%s"%s>`+"\n", esc(langName(lang)), def)
		b.text("/data/contact:label", b.label(lang, "f.contact"))
		for _, q := range qs {
			b.text(q.path()+":label", b.label(lang, q.label))
			if q.name == FieldPhoto {
				b.text(q.path()+":hint", b.label(lang, "f.photos_hint"))
			}
			for _, v := range q.items {
				if l := itemLabel(q, v, lang, b); l != "" {
					b.text(q.path()+"/"+v+":label", l)
				}
			}
		}
		b.p("</translation>\n")
	}
	b.p("</itext>\n<instance>\n")
	b.p(`<data id="%s" version="%s">`+"\n", FormID, b.version)
	group := ""
	for _, q := range qs {
		if q.group != group {
			if group != "" {
				b.p("</%s>\n", group)
			}
			if q.group != "" {
				b.p("<%s>\n", q.group)
			}
			group = q.group
		}
		if q.name == "people_count" {
			b.p("<%s>1</%s>\n", q.name, q.name)
			continue
		}
		b.p("<%s/>\n", q.name)
	}
	b.p("<meta>\n<instanceID/>\n</meta>\n</data>\n</instance>\n")
	for _, q := range qs {
		b.bind(q)
	}
	b.p(`<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>` + "\n")
	b.p("</model>\n</h:head>\n<h:body>\n")
	group = ""
	for _, q := range qs {
		if q.group != group {
			if group != "" {
				b.p("</group>\n")
			}
			if q.group != "" {
				b.p(`<group ref="/data/%s"><label ref="jr:itext('/data/%s:label')"/>`+"\n", q.group, q.group)
			}
			group = q.group
		}
		b.control(q)
	}
	if group != "" {
		b.p("</group>\n")
	}
	b.p("</h:body>\n</h:html>\n")
}

func (b *builder) text(id, value string) {
	b.p(`<text id="%s"><value>%s</value></text>`+"\n", esc(id), esc(value))
}

func (b *builder) bind(q question) {
	attrs := ""
	switch q.kind {
	case "select1", "select":
		attrs = ` type="string"`
		if q.name == "embassy" {
			attrs += ` required="true()"`
		}
	case "int":
		attrs = ` type="int" constraint=". &gt;= 1 and . &lt;= 1000"`
	case "date":
		attrs = ` type="date"`
	case "binary":
		attrs = ` type="binary"`
		if q.name == FieldPhoto {
			// Collect shrinks the photo on the phone to this longest side,
			// as the web app does (pb_public/js/media.js), so a photo costs
			// a 2G link a few hundred kB rather than megabytes.
			attrs += fmt.Sprintf(` orx:max-pixels="%d"`, photoMaxSide)
		}
	default:
		attrs = fmt.Sprintf(` type="string" constraint="string-length(.) &lt;= %d"`, maxLength[q.name])
	}
	if q.name == "nationality_other" {
		attrs += ` relevant="/data/nationality = 'other'"`
	}
	b.p(`<bind nodeset="%s"%s/>`+"\n", q.path(), attrs)
}

func (b *builder) control(q question) {
	label := fmt.Sprintf(`<label ref="jr:itext('%s:label')"/>`, q.path())
	switch q.kind {
	case "select1", "select":
		b.p(`<%s ref="%s">%s`+"\n", q.kind, q.path(), label)
		for _, v := range q.items {
			switch q.name {
			case "embassy":
				b.p("<item><label>%s</label><value>%s</value></item>\n", esc(b.embassyName(v)), esc(v))
			case "language":
				b.p("<item><label>%s</label><value>%s</value></item>\n", esc(vocab.LanguageNames[v]), esc(v))
			default:
				b.p(`<item><label ref="jr:itext('%s/%s:label')"/><value>%s</value></item>`+"\n", q.path(), esc(v), esc(v))
			}
		}
		b.p("</%s>\n", q.kind)
	case "binary":
		hint := ""
		if q.name == FieldPhoto {
			hint = fmt.Sprintf(`<hint ref="jr:itext('%s:hint')"/>`, q.path())
		}
		b.p(`<upload ref="%s" mediatype="%s">%s%s</upload>`+"\n", q.path(), q.mediatype, label, hint)
	default:
		appearance := ""
		if q.name == "message" || q.name == "compound_location" || q.name == "current_location" {
			appearance = ` appearance="multiline"`
		}
		b.p(`<input ref="%s"%s>%s</input>`+"\n", q.path(), appearance, label)
	}
}

func (b *builder) embassyName(id string) string {
	for _, e := range b.in.Embassies {
		if e.Id == id {
			return e.Name
		}
	}
	return id
}
