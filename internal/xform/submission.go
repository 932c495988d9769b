package xform

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"homeward/internal/vocab"
)

// Errors of Parse and Submission.Report, checked with errors.Is. Each says
// what is wrong with the submission; the caller answers 400 with it.
var (
	ErrNotXML       = errors.New("the submission is not well-formed XML")
	ErrOtherForm    = errors.New("the submission is not of Homeward's report form")
	ErrNoInstanceID = errors.New("the submission has no meta/instanceID")
	ErrBadField     = errors.New("the submission has a field Homeward does not take")
	ErrBadValue     = errors.New("the submission has a value the form does not allow")
)

// maxDepth and maxElements bound what Parse reads: the form nests three
// deep and has a few dozen fields.
const (
	maxDepth    = 8
	maxElements = 200
)

// Submission is a filled form as Collect sends it: the root's form id and
// version, meta/instanceID, and the text of every other leaf element by
// its name (the form's names are unique, whatever group they sit in).
type Submission struct {
	FormID     string
	Version    string
	InstanceID string
	Fields     map[string]string
}

// metaFields are leaves of meta Collect or the engine may add; only
// instanceID is read.
var metaFields = []string{"instanceID", "deprecatedID", "instanceName", "timeStart", "timeEnd", "audit"}

// Parse reads a submission's XML. It reads no DTD or external entity
// (encoding/xml does not) and refuses deep or long documents.
func Parse(raw []byte) (Submission, error) {
	d := xml.NewDecoder(bytes.NewReader(raw))
	d.Strict = true
	s := Submission{Fields: map[string]string{}}
	var path []string
	var text strings.Builder
	leaf := false
	n := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Submission{}, fmt.Errorf("%w: %v", ErrNotXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n++
			if len(path) >= maxDepth || n > maxElements {
				return Submission{}, fmt.Errorf("%w: too deep or too long", ErrNotXML)
			}
			if len(path) == 0 {
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "id":
						s.FormID = a.Value
					case "version":
						s.Version = a.Value
					}
				}
			}
			path = append(path, t.Name.Local)
			text.Reset()
			leaf = true
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			name := path[len(path)-1]
			if leaf && len(path) > 1 {
				v := strings.TrimSpace(text.String())
				if len(path) >= 2 && path[len(path)-2] == "meta" {
					if name == "instanceID" {
						s.InstanceID = v
					} else if !slices.Contains(metaFields, name) {
						return Submission{}, fmt.Errorf("%w: meta/%s", ErrBadField, name)
					}
				} else {
					if _, dup := s.Fields[name]; dup {
						return Submission{}, fmt.Errorf("%w: %s given twice", ErrBadField, name)
					}
					s.Fields[name] = v
				}
			}
			path = path[:len(path)-1]
			leaf = false
		case xml.Directive:
			return Submission{}, fmt.Errorf("%w: a DTD or directive", ErrNotXML)
		}
	}
	if s.FormID == "" && len(s.Fields) == 0 && s.InstanceID == "" {
		return Submission{}, fmt.Errorf("%w: empty", ErrNotXML)
	}
	if s.FormID != FormID {
		return Submission{}, fmt.Errorf("%w: its form id is %q", ErrOtherForm, s.FormID)
	}
	if !validInstanceID(s.InstanceID) {
		return Submission{}, ErrNoInstanceID
	}
	return s, nil
}

// validInstanceID accepts the ids Collect and ODK's engine make
// ("uuid:" and a UUID) and any other short printable id a client makes.
func validInstanceID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// reportFields are the form's fields that are a report's field of the
// same name, as they are.
var textFields = []string{"compound_location", "current_location", "message", "contact_name", "contact_phone", "contact_app"}

// Report returns the report fields the submission sets, as a push would
// send them, and whether the person asked for a receipt. Every field is
// checked against the form's choices; an empty answer is left out.
func (s Submission) Report() (data map[string]any, followUp bool, err error) {
	data = map[string]any{"consent_version": ConsentVersion}
	bad := func(field string) error { return fmt.Errorf("%w: %s", ErrBadValue, field) }
	for name, v := range s.Fields {
		switch {
		case v == "":
		case slices.Contains(textFields, name):
			if len([]rune(v)) > maxLength[name] {
				return nil, false, bad(name)
			}
			data[name] = v
		case slices.Contains(yesNo, name):
			if v != "yes" && v != "no" {
				return nil, false, bad(name)
			}
			if name == FieldFollowUp {
				followUp = v == "yes"
			} else {
				data[name] = v == "yes"
			}
		case name == "embassy":
			data[name] = v
		case name == "nationality":
			if v != vocab.NationalityOther && !slices.Contains(vocab.Nationalities, v) {
				return nil, false, bad(name)
			}
			data[name] = v
		case name == "nationality_other":
			if len([]rune(v)) > maxLength[name] {
				return nil, false, bad(name)
			}
		case name == "people_count":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return nil, false, bad(name)
			}
			data[name] = n
		case name == "left_on":
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return nil, false, bad(name)
			}
			data[name] = d.Format("2006-01-02") + " 00:00:00.000Z"
		case name == "needs":
			needs := strings.Fields(v)
			for _, n := range needs {
				if !slices.Contains(vocab.Needs, n) {
					return nil, false, bad(name)
				}
			}
			data[name] = needs
		case name == "passport_held":
			if !slices.Contains(vocab.PassportAnswers, v) {
				return nil, false, bad(name)
			}
			data[name] = v
		case name == "language":
			if !slices.Contains(vocab.Languages, v) {
				return nil, false, bad(name)
			}
			data[name] = v
		case name == FieldPhoto, name == FieldVoice:
			// File names; the files come as attachments (Files).
		default:
			return nil, false, fmt.Errorf("%w: %s", ErrBadField, name)
		}
	}
	// "Another country" keeps what was typed, as the web app sends it: the
	// server finds the country in its list or keeps the words for staff.
	if data["nationality"] == vocab.NationalityOther && s.Fields["nationality_other"] != "" {
		data["nationality"] = s.Fields["nationality_other"]
	}
	return data, followUp, nil
}

// Files are the file names the submission's binary questions name, each
// once, in the form's order.
func (s Submission) Files() []string {
	var out []string
	for _, f := range []string{FieldPhoto, FieldVoice} {
		if name := s.Fields[f]; name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
