package reports

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/pocketbase/pocketbase/core"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"homeward/internal/fold"
	"homeward/internal/vocab"
)

// The names of vocab.Nationalities in the app's languages are CLDR's
// (golang.org/x/text/language/display), written to
// pb_public/i18n/countries.json by `go generate`.
//go:generate go run ./gencountries ../../pb_public/i18n/countries.json

// CountryName returns the CLDR name of an ISO 3166-1 alpha-2 code in lang.
func CountryName(code, lang string) string {
	return display.Regions(language.MustParse(lang)).Name(language.MustParseRegion(code))
}

// otherNames are names that CLDR's do not cover: short and older names,
// English demonyms, the countries' own names in their own scripts, and the
// forms found in the free-text nationalities stored before the list.
var otherNames = map[string][]string{
	"KH": {"Cambodian", "Khmer", "Kampuchea", "Kingdom of Cambodia"},
	"CN": {"Chinese", "PRC", "People's Republic of China", "Mainland China", "Zhongguo", "中國", "中华人民共和国"},
	"HK": {"Hong Kong SAR", "Hongkong", "Hong Kong China", "香港"},
	"TW": {"Taiwanese", "Republic of China", "Chinese Taipei", "台灣"},
	"VN": {"Vietnam", "Viet Nam", "Vietnamese", "Việt Nam", "Viet", "người Việt"},
	"TH": {"Thai", "Thailand", "ไทย", "ประเทศไทย", "คนไทย", "Siam"},
	"LA": {"Lao", "Laotian", "Lao PDR", "ລາວ"},
	"MM": {"Burma", "Burmese", "Myanmar", "Myanma", "မြန်မာ", "ဗမာ", "မြန်မာနိုင်ငံ"},
	"MY": {"Malaysian", "Malay"},
	"ID": {"Indonesian", "WNI", "orang Indonesia"},
	"PH": {"Filipino", "Filipina", "Philippine", "Pilipino", "Pilipinas"},
	"SG": {"Singaporean"},
	"TL": {"East Timor", "Timorese", "Timor Leste"},
	"IN": {"Indian", "Bharat", "भारत"},
	"BD": {"Bangladeshi", "বাংলাদেশ"},
	"NP": {"Nepali", "Nepalese", "नेपाल"},
	"PK": {"Pakistani", "پاکستان"},
	"LK": {"Sri Lankan", "Ceylon", "ශ්\u200dරී ලංකාව"},
	"KR": {"South Korea", "Korean", "South Korean", "Republic of Korea", "한국", "대한민국"},
	"JP": {"Japanese", "日本"},
	"MN": {"Mongolian", "Монгол"},
	"KG": {"Kyrgyz", "Kyrgyzstani", "Кыргызстан"},
	"RU": {"Russian", "Россия"},
	"TR": {"Turkish", "Türkiye", "Turkey"},
	"BR": {"Brazilian", "Brasil"},
	"KE": {"Kenyan"},
	"UG": {"Ugandan"},
	"ET": {"Ethiopian"},
	"NG": {"Nigerian"},
}

// parenthesised matches a name's part in brackets: CLDR writes
// "Myanmar (Burma)", and either part alone names the country.
var parenthesised = regexp.MustCompile(`^(.*?)\s*[(（](.*)[)）]\s*$`)

// nationalityIndex maps the folded names of each listed country, in every
// language of the app, its ISO codes and otherNames, to its code.
var nationalityIndex = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	add := func(name, code string) {
		if k := fold.Fold(name); k != "" {
			if _, taken := idx[k]; !taken {
				idx[k] = code
			}
		}
	}
	for _, code := range vocab.Nationalities {
		add(code, code)
		add(language.MustParseRegion(code).ISO3(), code)
		for _, lang := range vocab.Languages {
			name := CountryName(code, lang)
			add(name, code)
			if m := parenthesised.FindStringSubmatch(name); m != nil {
				add(m[1], code)
				add(m[2], code)
			}
		}
		for _, name := range otherNames[code] {
			add(name, code)
		}
	}
	return idx
})

// NationalityOf reads a nationality as a client or an older record holds
// it: a code of the list (any case, alpha-2 or alpha-3), "other", or a
// country's name or demonym in any of the app's languages. It returns the
// code, or vocab.NationalityOther with the text as written when it names no
// listed country; empty text is unknown.
func NationalityOf(text string) (code, original string) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", ""
	case text == vocab.NationalityOther || slices.Contains(vocab.Nationalities, text):
		return text, ""
	}
	if c, ok := nationalityIndex()[fold.Fold(text)]; ok {
		return c, ""
	}
	return vocab.NationalityOther, text
}

// registerNationality makes every write of a report, whichever way it
// comes, store a nationality of the list: a name (from a phone with an
// older app, a volunteer's tool, the dashboard) becomes its code, and text
// that names no listed country becomes vocab.NationalityOther with the text kept
// in nationality_original for staff. A report is never refused for how its
// nationality was written; the field's pattern guards the stored value.
func registerNationality(app core.App) {
	app.OnRecordCreate(CollectionReports).BindFunc(setNationality)
	app.OnRecordUpdate(CollectionReports).BindFunc(setNationality)
}

func setNationality(e *core.RecordEvent) error {
	raw := e.Record.GetString("nationality")
	if !e.Record.IsNew() && raw == e.Record.Original().GetString("nationality") {
		return e.Next()
	}
	code, original := NationalityOf(raw)
	e.Record.Set("nationality", code)
	if original != "" {
		e.Record.Set("nationality_original", truncateRunes(original, 60))
	}
	return e.Next()
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// CountriesJSON is pb_public/i18n/countries.json: the codes in list order
// and, per language, each code's name.
func CountriesJSON() []byte {
	names := map[string]map[string]string{}
	for _, lang := range vocab.Languages {
		names[lang] = map[string]string{}
		for _, code := range vocab.Nationalities {
			names[lang][code] = CountryName(code, lang)
		}
	}
	out, err := json.MarshalIndent(struct {
		Source string                       `json:"source"`
		Codes  []string                     `json:"codes"`
		Names  map[string]map[string]string `json:"names"`
	}{"CLDR via golang.org/x/text/language/display; made by go generate ./hooks/reports", vocab.Nationalities, names}, "", " ")
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return append(out, '\n')
}
