package xform

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"homeward/internal/vocab"
)

func webLabels(t *testing.T) Input {
	t.Helper()
	in := Input{Labels: map[string]map[string]string{}}
	for _, lang := range vocab.Languages {
		raw, err := os.ReadFile(filepath.Join("..", "..", "pb_public", "i18n", lang+".json"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		in.Labels[lang] = m
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "pb_public", "i18n", "countries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Names map[string]map[string]string }
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	in.Countries = c.Names
	in.Embassies = []Embassy{{Id: "e1", Name: "Embassy <One> & Co"}}
	return in
}

// TestEveryLabelIsInEveryLanguage builds the form from the web app's
// files and checks it is well-formed XML whose every itext reference has
// a text in each of the eight translations.
func TestEveryLabelIsInEveryLanguage(t *testing.T) {
	form, err := Build(webLabels(t))
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(form.XML))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the form is not well-formed: %v", err)
		}
	}
	doc := string(form.XML)
	refs := regexp.MustCompile(`jr:itext\('([^']+)'\)`).FindAllStringSubmatch(doc, -1)
	if len(refs) < 50 {
		t.Fatalf("only %d itext references", len(refs))
	}
	translations := strings.Split(doc, "<translation ")[1:]
	if len(translations) != len(vocab.Languages) {
		t.Fatalf("%d translations, want %d", len(translations), len(vocab.Languages))
	}
	for _, tr := range translations {
		for _, r := range refs {
			if !strings.Contains(tr, `<text id="`+r[1]+`"><value>`) {
				t.Errorf("translation %.30s has no text %s", tr, r[1])
			}
		}
	}
	for _, n := range vocab.Needs {
		if !strings.Contains(doc, "<value>"+n+"</value>") {
			t.Errorf("need %s is not a choice", n)
		}
	}
}

func TestTheVersionChangesWithTheEmbassies(t *testing.T) {
	a := VersionOf([]Embassy{{Id: "e1", Name: "One"}})
	for _, other := range [][]Embassy{nil, {{Id: "e1", Name: "One!"}}, {{Id: "e1", Name: "One"}, {Id: "e2", Name: "Two"}}} {
		if VersionOf(other) == a {
			t.Errorf("embassies %v give the same version as before", other)
		}
	}
	if VersionOf([]Embassy{{Id: "e1", Name: "One"}}) != a {
		t.Error("the same embassies give another version")
	}
}

// TestPhotosAreShrunkOnThePhoneAsInTheWebApp holds the form's max-pixels
// to the web app's MAX_SIDE.
func TestPhotosAreShrunkOnThePhoneAsInTheWebApp(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "pb_public", "js", "media.js"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const MAX_SIDE = (\d+);`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("media.js has no MAX_SIDE")
	}
	form, err := Build(webLabels(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := `<bind nodeset="/data/photo" type="binary" orx:max-pixels="` + string(m[1]) + `"/>`; !strings.Contains(string(form.XML), want) {
		t.Fatalf("the form has no %s", want)
	}
}
