package staff_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// readerSpellings are, per language of the app, a report's text as a phone
// may store it and a search typed another way that a reader takes for the
// same words. Each search must find its report, and only it, in the list,
// the counts and the export.
var readerSpellings = []struct {
	lang, stored, typed string
}{
	{"vi: decomposed (NFD) text, composed search", norm.NFD.String("Chúng tôi đang ở Hà Nội"), "Hà Nội"},
	{"vi: composed text, decomposed search", "Chúng tôi ở bến xe Mỹ Đình", norm.NFD.String("bến xe")},
	{"vi: capitals with diacritics", "GẦN CẦU ĐÀ NẴNG", "đà nẵng"},
	{"id: capitals", "KAMI DI PELABUHAN SIHANOUKVILLE", "pelabuhan"},
	{"fil: typographic apostrophe", "Nasa amo ko’t hindi ko makuha", "ko't hindi"},
	{"en: line breaks and no-break spaces", "we are near the\n\u00a0Bavet casino", "the bavet casino"},
	{"zh: full-width Latin and digits", "我们在ＫＫ园区５号楼", "kk园区5号楼"},
	{"th: SARA AM as one character, searched as two", "พวกเราทำงานในตึกนั้น", "ท\u0e4d\u0e32งานในตึก"},
	{"km: zero-width spaces between words", "យើង\u200bនៅ\u200bបាវិត", "យើងនៅបាវិត"},
	{"my: U+1026 searched as U+1025 U+102E", "ဦးဇော် ကုမ္ပဏီ", "\u1025\u102eးဇော်"},
	// Shorter than a trigram: looked for in the index's folded text.
	{"zh: a two-character word", "他们拿走了护照", "护照"},
	{"zh: two full-width capitals, searched as two small letters", "住在ＱＺ楼", "qz"},
}

func TestSearchMatchesTextAsAReaderSeesIt(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	ids := make([]string, len(readerSpellings))
	for i, c := range readerSpellings {
		ids[i] = fmt.Sprintf("searchx%013d", i)
		field := []string{"message", "compound_location", "current_location"}[i%3]
		saveReport(ids[i], embassyX, map[string]any{"people_count": 1, field: c.stored})(t, app, nil)
	}
	srv := startServer(t, app)
	tok := token(t, app, staffX)
	for i, c := range readerSpellings {
		t.Run(c.lang, func(t *testing.T) {
			q := url.QueryEscape(c.typed)
			var list struct{ Items []struct{ Id string } }
			getJSON(t, srv+"/api/staff/reports?fields=id&q="+q, tok, &list)
			if len(list.Items) != 1 || list.Items[0].Id != ids[i] {
				t.Errorf("list: %q finds %v, want [%s]", c.typed, list.Items, ids[i])
			}
			var counts struct{ Total int }
			getJSON(t, srv+"/api/staff/counts?q="+q, tok, &counts)
			if counts.Total != 1 {
				t.Errorf("counts: %q counts %d reports, want 1", c.typed, counts.Total)
			}
			res := get(t, srv+"/api/staff/export.csv?q="+q, tok)
			rows := readExport(t, res.Body)
			res.Body.Close()
			if len(rows) != 2 || rows[1][0] != ids[i] {
				t.Errorf("export: %q exports %d rows, want %s", c.typed, len(rows)-1, ids[i])
			}
		})
	}
}

func TestTextIsStoredComposed(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	saveReport("composedx00000000001", embassyX, map[string]any{"people_count": 1,
		"message": norm.NFD.String("Hà Nội"), "contact_name": norm.NFD.String("Nguyễn")})(t, app, nil)
	r, err := app.FindRecordById("reports", "composedx00000000001")
	if err != nil {
		t.Fatal(err)
	}
	if r.GetString("message") != "Hà Nội" || r.GetString("contact_name") != "Nguyễn" {
		t.Fatalf("stored %q, %q: not composed", r.GetString("message"), r.GetString("contact_name"))
	}
}

func getJSON(t testing.TB, url, token string, out any) {
	t.Helper()
	res := get(t, url, token)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %v: %s", url, err, strings.TrimSpace(string(raw)))
	}
}
