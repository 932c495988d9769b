package xform

import (
	"errors"
	"strings"
	"testing"
)

const good = `<?xml version="1.0"?><data id="homeward_report" version="1.abc"><embassy>e1</embassy>` +
	`<nationality>other</nationality><nationality_other>Atlantis</nationality_other><people_count>2</people_count>` +
	`<needs>medical shelter</needs><left_on>2026-11-20</left_on><follow_up>yes</follow_up>` +
	`<contact><consent_share>yes</consent_share></contact><photo>a.jpg</photo><voice/>` +
	`<meta><instanceID>uuid:1</instanceID></meta></data>`

func TestParseReadsAFilledForm(t *testing.T) {
	s, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s.FormID != FormID || s.Version != "1.abc" || s.InstanceID != "uuid:1" {
		t.Fatalf("parsed %+v", s)
	}
	data, followUp, err := s.Report()
	if err != nil {
		t.Fatal(err)
	}
	if !followUp || data["nationality"] != "Atlantis" || data["people_count"] != 2 || data["consent_share"] != true ||
		data["left_on"] != "2026-11-20 00:00:00.000Z" || strings.Join(data["needs"].([]string), " ") != "medical shelter" {
		t.Fatalf("report data %v, follow-up %v", data, followUp)
	}
	if files := s.Files(); len(files) != 1 || files[0] != "a.jpg" {
		t.Fatalf("files %v", files)
	}
}

// TestParseRefusesWhatIsNotTheForm: each refusal is one of the package's
// errors, which the API answers 400 with.
func TestParseRefusesWhatIsNotTheForm(t *testing.T) {
	for _, c := range []struct {
		name, xml string
		want      error
	}{
		{"empty", ``, ErrNotXML},
		{"cut off", good[:len(good)-10], ErrNotXML},
		{"a DTD", `<!DOCTYPE data [<!ENTITY x "y">]><data id="homeward_report"><meta><instanceID>u</instanceID></meta></data>`, ErrNotXML},
		{"an unknown entity", `<data id="homeward_report"><message>&x;</message><meta><instanceID>u</instanceID></meta></data>`, ErrNotXML},
		{"too deep", `<data id="homeward_report">` + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + `</data>`, ErrNotXML},
		{"another form", strings.Replace(good, "homeward_report", "other", 1), ErrOtherForm},
		{"no instanceID", strings.Replace(good, "<instanceID>uuid:1</instanceID>", "<instanceID/>", 1), ErrNoInstanceID},
		{"a field twice", strings.Replace(good, "<voice/>", "<voice/><embassy>e2</embassy>", 1), ErrBadField},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Parse([]byte(c.xml)); !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestReportRefusesValuesTheFormDoesNotAllow(t *testing.T) {
	for field, value := range map[string]string{
		"people_count": "0", "needs": "medical flying", "language": "xx", "nationality": "ZZ",
		"passport_held": "maybe", "left_on": "20/11/2026", "minors_present": "true",
		"message": strings.Repeat("a", 5001), "unknown_field": "x",
	} {
		s := Submission{FormID: FormID, InstanceID: "uuid:1", Fields: map[string]string{field: value}}
		if _, _, err := s.Report(); !errors.Is(err, ErrBadValue) && !errors.Is(err, ErrBadField) {
			t.Errorf("%s = %q: error %v, want a refusal", field, value, err)
		}
	}
}

// FuzzParse: any bytes give a submission or one of the package's errors,
// never a panic, and a parsed submission's Report never panics either.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`<data id="homeward_report"><meta><instanceID>x</instanceID></meta></data>`))
	f.Add([]byte(`<data/>`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Parse(raw)
		if err != nil {
			for _, known := range []error{ErrNotXML, ErrOtherForm, ErrNoInstanceID, ErrBadField} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		s.Report()
		s.Files()
	})
}
