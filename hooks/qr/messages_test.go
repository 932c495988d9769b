package qr

import (
	"testing"

	"homeward/internal/vocab"
)

func TestEveryPhraseHasEnglishAndOnlyKnownLanguages(t *testing.T) {
	t.Parallel()
	for key, byLang := range phrases {
		if byLang["en"] == "" {
			t.Errorf("%s has no English", key)
		}
		for lang := range byLang {
			if !knownLanguage(lang) {
				t.Errorf("%s has unknown language %q", key, lang)
			}
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
