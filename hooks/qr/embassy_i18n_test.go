package qr_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/qr"
	"homeward/internal/testserver"
)

// thaiVariant is embassy f.embassy's Thai variant in these tests: a name
// and hours, no notes or what to bring.
var thaiVariant = map[string]any{"th": map[string]string{"name": "สถานทูตอินโดนีเซีย (ทดลอง)", "hours": "จันทร์–ศุกร์ 08:00-16:00"}}

func withThaiVariant(t testing.TB, f *fixture) {
	t.Helper()
	f.embassy.Set("i18n", thaiVariant)
	if err := f.app.Save(f.embassy); err != nil {
		t.Fatal(err)
	}
}

// TestContactPagesReadTheEmbassyInThePageLanguage: the contact page, the
// embassy list and a scanned code's page show an embassy's name and hours
// in the page's language where the embassy gave a variant, and the plain
// fields for what it left out and in other languages.
func TestContactPagesReadTheEmbassyInThePageLanguage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		url        func(t *testing.T, f *fixture) string
		lang       string
		content    []string
		notContent []string
	}{
		{"the contact page in Thai", func(*testing.T, *fixture) string { return "/e/kh-indonesia" }, "th",
			[]string{"สถานทูตอินโดนีเซีย (ทดลอง)", "จันทร์–ศุกร์ 08:00-16:00", "Any ID you still have."},
			[]string{"DEMO Embassy of Indonesia", "Mon-Fri 08:00-16:00"}},
		{"the contact page in Thai by ?lang=", func(*testing.T, *fixture) string { return "/e/kh-indonesia?lang=th" }, "",
			[]string{"สถานทูตอินโดนีเซีย (ทดลอง)"}, []string{"DEMO Embassy of Indonesia"}},
		{"the contact page in Khmer, which has no variant", func(*testing.T, *fixture) string { return "/e/kh-indonesia" }, "km",
			[]string{"DEMO Embassy of Indonesia", "Mon-Fri 08:00-16:00"}, []string{"สถานทูต"}},
		{"the embassy list in Thai", func(*testing.T, *fixture) string { return "/e" }, "th",
			[]string{"สถานทูตอินโดนีเซีย (ทดลอง)", "Embassy of Viet Nam"}, []string{"DEMO Embassy of Indonesia"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, false)
			withThaiVariant(t, f)
			headers := map[string]string{}
			if c.lang != "" {
				headers["Accept-Language"] = c.lang
			}
			(&tests.ApiScenario{
				Method:             http.MethodGet,
				URL:                c.url(t, f),
				Headers:            headers,
				TestAppFactory:     func(testing.TB) *tests.TestApp { return f.app },
				ExpectedStatus:     http.StatusOK,
				ExpectedContent:    append(c.content, "Homeward"),
				NotExpectedContent: c.notContent,
			}).Test(t)
		})
	}

	// A link in Thai shows the Thai variant.
	f := newFixture(t, false)
	withThaiVariant(t, f)
	link := testserver.SaveRecord(t, f.app, "qr_links", map[string]any{"label": "Thai poster", "embassy": f.embassy.Id, "language": "th"})
	(&tests.ApiScenario{
		Method:             http.MethodGet,
		URL:                "/q/" + tokenOf(linkURL(t, f.app, link)),
		TestAppFactory:     func(testing.TB) *tests.TestApp { return f.app },
		ExpectedStatus:     http.StatusOK,
		ExpectedContent:    []string{"สถานทูตอินโดนีเซีย (ทดลอง)"},
		NotExpectedContent: []string{"DEMO Embassy of Indonesia"},
	}).Test(t)
}

// TestEmbassyVariantsKeepTheirShape holds embassies.i18n to its shape on
// save, whichever way the embassy is written.
func TestEmbassyVariantsKeepTheirShape(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	cases := []struct {
		name  string
		value any
		code  string // "" when valid
	}{
		{"empty", nil, ""},
		{"a variant", thaiVariant, ""},
		{"all four fields in two languages", map[string]any{"th": map[string]string{"name": "ก", "hours": "ข", "notes": "ค", "what_to_bring": "ง"}, "my": map[string]string{"notes": "မ"}}, ""},
		{"not an object", []string{"th"}, "validation_embassy_i18n"},
		{"a language of no list", map[string]any{"de": map[string]string{"name": "Botschaft"}}, "validation_embassy_i18n_language"},
		{"a field reporters do not read", map[string]any{"th": map[string]string{"hotline": "+000 1"}}, "validation_embassy_i18n_field"},
		{"a field as a number", map[string]any{"th": map[string]any{"name": 5}}, "validation_embassy_i18n_text"},
		{"a name over its 200 characters", map[string]any{"th": map[string]string{"name": strings.Repeat("ก", 201)}}, "validation_embassy_i18n_text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := f.app.FindRecordById("embassies", f.embassy.Id)
			if err != nil {
				t.Fatal(err)
			}
			rec.Set("i18n", c.value)
			err = f.app.Save(rec)
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := validationCode(err); got != c.code {
				t.Fatalf("want %s, got %v", c.code, err)
			}
		})
	}
}

// validationCode is the code of the i18n field's error in err, if any.
func validationCode(err error) string {
	var errs validation.Errors
	if !errors.As(err, &errs) {
		return ""
	}
	var e validation.Error
	if errors.As(errs["i18n"], &e) {
		return e.Code()
	}
	return ""
}

// TestEmbassyTextFallsBack: a variant's blank field falls back too.
func TestEmbassyTextFallsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.embassy.Set("i18n", map[string]any{"th": map[string]string{"name": "  ", "hours": "เปิด"}})
	for _, c := range []struct{ lang, field, want string }{
		{"th", "name", "DEMO Embassy of Indonesia"},
		{"th", "hours", "เปิด"},
		{"th", "notes", ""},
		{"km", "hours", "Mon-Fri 08:00-16:00"},
	} {
		if got := qr.EmbassyText(f.embassy, c.lang, c.field); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.lang, c.field, got, c.want)
		}
	}
}
