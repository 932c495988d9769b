package staff_test

import (
	"encoding/json"
	"fmt"
	"homeward/internal/fold"
	"io"
	"maps"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
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

// TestTwoCharacterSearchFindsWhatTheTextHas: a search of two characters
// is answered from the trigram index's terms (each field ends with
// fold.EndMark, so its last two characters begin a trigram too). For every
// two characters of some report's text, and some of none, the list, its
// count and the counts find exactly the embassy's reports whose folded
// text holds them, at the start, the middle or the end of a field, in a
// field of two characters, in any script, typed in capitals or not. So do
// three and four characters, which the counts take from the index's
// matches without testing the text again (cube.matches).
func TestTwoCharacterSearchFindsWhatTheTextHas(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	rng := rand.New(rand.NewPCG(3, 5))
	pool := []rune("abAB xyz护照丢了我的ทำงานตึกယើងនៅ-'")
	randomText := func(n int) string {
		r := make([]rune, n)
		for i := range r {
			r[i] = pool[rng.IntN(len(pool))]
		}
		return string(r)
	}
	fields := []string{"message", "compound_location", "current_location"}
	texts := map[string][]string{} // report id: its three fields
	for i := range 60 {
		id := fmt.Sprintf("pairsx%014d", i)
		embassy := embassyX
		if i%6 == 5 {
			embassy = embassyY
		}
		data := map[string]any{"people_count": 1}
		var own []string
		for _, f := range fields {
			text := randomText([]int{0, 2, 3, 9}[rng.IntN(4)])
			data[f] = text
			own = append(own, text)
		}
		saveReport(id, embassy, data)(t, app, nil)
		if embassy == embassyX {
			texts[id] = own
		}
	}
	needles := map[string]bool{"qq": true, "护x": true, "Ab": true, "ĀB": true}
	for _, own := range texts {
		for _, text := range own {
			r := []rune(text)
			for i := 0; i+2 <= len(r); i++ {
				needles[string(r[i:i+2])] = true
			}
			// Three and four characters: the index's phrases, which
			// the counts take without testing the text again.
			for i := 0; i+4 <= len(r); i += 2 {
				needles[string(r[i:i+3])] = true
				needles[string(r[i:i+4])] = true
			}
		}
	}
	// The embassy's other reports, which the fixture saves, count too.
	all, err := app.FindAllRecords("reports", dbx.HashExp{"embassy": embassyX})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		texts[r.Id] = []string{r.GetString("message"), r.GetString("compound_location"), r.GetString("current_location")}
	}
	srv := startServer(t, app)
	tok := token(t, app, staffX)
	for needle := range needles {
		want := map[string]bool{}
		for id, own := range texts {
			for _, text := range own {
				if strings.Contains(fold.Fold(text), fold.Fold(needle)) {
					want[id] = true
				}
			}
		}
		q := url.QueryEscape(needle)
		var list struct {
			TotalItems int
			Items      []struct{ Id string }
		}
		getJSON(t, srv+"/api/staff/reports?fields=id&perPage=500&total=1&q="+q, tok, &list)
		got := map[string]bool{}
		for _, it := range list.Items {
			got[it.Id] = true
		}
		if !maps.Equal(got, want) || list.TotalItems != len(want) {
			t.Errorf("%q: the list finds %d (totalItems %d), the texts hold it in %d: %v, want %v", needle, len(got), list.TotalItems, len(want), got, want)
		}
		var counts struct{ Total int }
		getJSON(t, srv+"/api/staff/counts?q="+q, tok, &counts)
		if counts.Total != len(want) {
			t.Errorf("%q: the counts count %d reports, the texts hold it in %d", needle, counts.Total, len(want))
		}
	}
}
