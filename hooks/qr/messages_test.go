package qr

import (
	"strings"
	"testing"

	"homeward/internal/vocab"
)

// TestEveryPhraseIsInEveryLanguage: a page in any language shows every
// line in it; a missing key would leave that line empty.
func TestEveryPhraseIsInEveryLanguage(t *testing.T) {
	t.Parallel()
	en := phrases["en"]
	if len(en) < 40 {
		t.Fatalf("only %d English phrases loaded", len(en))
	}
	for _, lang := range vocab.Languages[1:] {
		d := phrases[lang]
		for k := range en {
			if strings.TrimSpace(d[k]) == "" {
				t.Errorf("%s lacks %q", lang, k)
			}
			if strings.Count(d[k], "{") != strings.Count(en[k], "{") {
				t.Errorf("%s %q has other {places} than the English", lang, k)
			}
		}
		for k := range d {
			if _, ok := en[k]; !ok && k != "_review" {
				t.Errorf("%s has %q, which English has not", lang, k)
			}
		}
		if !strings.Contains(d["_review"], "NEEDS NATIVE REVIEW") {
			t.Errorf("%s is not marked for native review", lang)
		}
	}
	for _, lang := range vocab.Languages {
		if posterLines[lang] == "" {
			t.Errorf("no poster line in %s", lang)
		}
	}
	for lang := range posterLines {
		if !knownLanguage(lang) {
			t.Errorf("a poster line in %q, which is not a language of the app", lang)
		}
	}
}

func TestPageLanguage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ given, accept, want string }{
		{"vi", "th", "vi"},
		{"", "th-TH,en;q=0.8", "th"},
		{"", "tl-PH", "fil"},
		{"", "de, fr", "en"},
		{"xx", "", "en"},
		{"", "zh-Hans-CN;q=0.9", "zh"},
	} {
		if got := pageLanguage(c.given, c.accept); got != c.want {
			t.Errorf("pageLanguage(%q, %q) = %q, want %q", c.given, c.accept, got, c.want)
		}
	}
}
