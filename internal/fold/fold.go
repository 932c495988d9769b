// Package fold gives text the form search compares it in, so that two
// spellings a reader takes for the same words match: the staff console's
// search index and every search query go through Fold.
//
// Importing the package registers Fold with the SQLite driver as the SQL
// function homeward_fold(text), which the search index's update trigger
// (pb_migrations/1764120000_search_fold.go) and the indexing of new reports
// (hooks/reportindex) use, so every write path indexes the folded text. A
// tool that opens the database without Homeward's binary (the sqlite3
// shell) cannot change a report's text while that trigger exists.
package fold

import (
	"database/sql/driver"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
	"modernc.org/sqlite"
)

// SQLFunction is the name Fold has in SQL.
const SQLFunction = "homeward_fold"

// EndMark ends the folded text of each field in the search index
// (pb_migrations/1764120810_search_end_mark.go), so that a field's last
// two characters, too, begin one of its trigrams: every two characters of
// the text then begin an indexed trigram, and a search of two characters
// reads the index's terms that begin with them. U+E000 is a private-use
// character, which no script writes; EndMarkSQL is the same in SQL.
const (
	EndMark    = "\uE000"
	EndMarkSQL = "char(57344)"
)

// IndexedSQL is the SQL of the text of expr as the search index keeps it:
// folded, then EndMark.
func IndexedSQL(expr string) string {
	return SQLFunction + "(" + expr + ") || " + EndMarkSQL
}

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(SQLFunction, 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return Fold(v), nil
		case []byte:
			return Fold(string(v)), nil
		}
		return "", nil
	})
}

// Fold returns s as search compares it:
//
//   - compatibility-normalised (NFKC): a Vietnamese keyboard's decomposed
//     "Hà Nội" (NFD) and the composed one become one spelling, full-width
//     "ＡＢＣ１" and half-width "ABC1" too, Thai SARA AM typed as one
//     character or as NIKHAHIT + SARA AA, Burmese U+1026 or U+1025 U+102E;
//   - case-folded for every script that has case (Unicode full case
//     folding: "ĐÀ NẴNG" and "đà nẵng", "STRASSE" and "straße");
//   - invisible format characters removed (zero-width space, which Khmer,
//     Thai and Burmese text often carries between words; zero-width
//     joiners; soft hyphens; direction marks; byte-order marks);
//   - every run of spaces, tabs and line breaks one space, none at either
//     end; every dash "-";
//     typographic apostrophes "'" and quotes '"'.
//
// Out of scope, because they need dictionaries or a guess, not a
// normalisation: Burmese text in the Zawgyi font encoding, simplified and
// traditional Chinese, Vietnamese tone marks placed on another vowel
// ("hoà"/"hòa"), and text typed without its tone marks or diacritics.
func Fold(s string) string {
	s = norm.NFKC.String(s)
	s = cases.Fold().String(s)
	s = norm.NFKC.String(s) // folding can leave a string not normalised
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		}
		if space {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
		}
		switch {
		case unicode.Is(unicode.Pd, r), r == '\u2212':
			r = '-'
		case r == '\u2018' || r == '\u2019' || r == '\u02bc' || r == '\u2032':
			r = '\''
		case r == '\u201c' || r == '\u201d' || r == '\u2033':
			r = '"'
		}
		b.WriteRune(r)
	}
	return b.String()
}
