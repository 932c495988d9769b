package fold_test

import (
	"database/sql"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
	_ "modernc.org/sqlite"

	"homeward/internal/fold"
)

// TestFoldMatchesWhatAReaderTakesForTheSameText: each pair is two ways a
// phone may store the same words; Fold must give both one form, and a
// substring typed the other way must be found in it.
func TestFoldMatchesWhatAReaderTakesForTheSameText(t *testing.T) {
	for _, tc := range []struct {
		script, stored, typed string
	}{
		{"Vietnamese, decomposed (NFD) vs composed", norm.NFD.String("Chúng tôi ở Hà Nội, gần bến xe"), "hà nội"},
		{"Vietnamese, NFD query on composed text", "Chúng tôi ở bến xe Mỹ Đình", norm.NFD.String("bến xe")},
		{"Vietnamese, capitals with diacritics", "ĐÀ NẴNG", "đà nẵng"},
		{"Indonesian, capitals", "KAMI DI TERMINAL BUS", "terminal bus"},
		{"Filipino, typographic apostrophe", "Hindi ko alam kung nasaan ang pasaporte ko’t ID", "ko't id"},
		{"Chinese, full-width Latin and digits", "我们在ＡＢＣ公司３号楼", "abc公司3号楼"},
		{"Chinese, compatibility ideograph", "\uf900", "\u8c48"},
		{"Thai, SARA AM one character vs two", "ผมทำงานที่นั่น", "ท\u0e4d\u0e32งาน"},
		{"Khmer, zero-width spaces between words", "ខ្ញុំ\u200bនៅ\u200bភ្នំពេញ", "ខ្ញុំនៅភ្នំពេញ"},
		{"Burmese, U+1026 vs U+1025 U+102E", "ဦးအောင်", "\u1025\u102eးအောင်"},
		{"Burmese, zero-width non-joiner", "မြန်\u200cမာ", "မြန်မာ"},
		{"any script, spaces and line breaks", "near the\n\u00a0 river", "the river"},
		{"any script, dashes", "Sihanoukville – block C", "sihanoukville - block c"},
		{"German sharp s, full case folding", "STRASSE", "straße"},
	} {
		t.Run(tc.script, func(t *testing.T) {
			stored, typed := fold.Fold(tc.stored), fold.Fold(tc.typed)
			if !containsString(stored, typed) {
				t.Fatalf("Fold(%q) = %q does not contain Fold(%q) = %q", tc.stored, stored, tc.typed, typed)
			}
			if again := fold.Fold(stored); again != stored {
				t.Fatalf("Fold is not stable: %q, then %q", stored, again)
			}
		})
	}
}

func containsString(s, sub string) bool { return len(sub) > 0 && strings.Contains(s, sub) }

func TestFoldIsTheSQLFunction(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := norm.NFD.String("HÀ NỘI\u200b  ＡＢＣ")
	var got string
	var null sql.NullString
	if err := db.QueryRow("SELECT "+fold.SQLFunction+"(?), "+fold.SQLFunction+"(NULL)", in).Scan(&got, &null); err != nil {
		t.Fatal(err)
	}
	if got != fold.Fold(in) || got != "hà nội abc" {
		t.Fatalf("SQL gives %q, Go %q", got, fold.Fold(in))
	}
	if null.String != "" {
		t.Fatalf("NULL folds to %q", null.String)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Hà Nội", norm.NFD.String("bến xe"), "ＡＢＣ", "ท\u0e4d\u0e32", "ខ្ញុំ\u200bនៅ", "\xff", "  a  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := fold.Fold(s)
		if fold.Fold(out) != out {
			t.Fatalf("Fold(%q) = %q is not stable", s, out)
		}
	})
}

// TestFoldTable checks Fold against testdata/fold.json, the table the
// staff console's fold (pb_public/staff/fold.js) is tested on in Chromium
// (hooks/staff TestSealedSearchAndExportInTheBrowser), so the two fold
// alike.
func TestFoldTable(t *testing.T) {
	raw, err := os.ReadFile("testdata/fold.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ In, Out string }
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 30 {
		t.Fatalf("the table has %d rows", len(rows))
	}
	for _, r := range rows {
		if got := fold.Fold(r.In); got != r.Out {
			t.Errorf("Fold(%q) = %q, the table says %q", r.In, got, r.Out)
		}
	}
}
