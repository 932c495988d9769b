package vocab_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"homeward/internal/vocab"
)

// TestWebCopyIsGenerated fails when pb_public/js/vocabulary.js, the web
// apps' copy of the vocabulary, differs from what this package makes, e.g.
// after a status was added here and `go generate ./internal/vocab` forgot.
func TestWebCopyIsGenerated(t *testing.T) {
	got, err := os.ReadFile("../../pb_public/js/vocabulary.js")
	if err != nil {
		t.Fatal(err)
	}
	if want := vocab.JS(); !bytes.Equal(got, want) {
		t.Fatalf("pb_public/js/vocabulary.js is out of date: run go generate ./internal/vocab\n--- file\n%s\n--- want\n%s", got, want)
	}
}

// TestWebCopyNamesEveryList checks that the generated module exports each
// list with exactly its values, so a list added to the generator's table
// with the wrong slice shows.
func TestWebCopyNamesEveryList(t *testing.T) {
	js := string(vocab.JS())
	for name, values := range map[string][]string{
		"STATUSES": vocab.Statuses, "WORKFLOW": vocab.Workflow, "NEEDS": vocab.Needs,
		"LANGUAGES": vocab.Languages, "URGENT_ANSWERS": vocab.UrgentAnswers, "URGENT_NEEDS": vocab.UrgentNeeds,
	} {
		want := `export const ` + name + ` = Object.freeze(["` + strings.Join(values, `","`) + `"]);`
		if !strings.Contains(js, want) {
			t.Errorf("vocabulary.js lacks %s", want)
		}
	}
}

func TestUrgent(t *testing.T) {
	for _, c := range []struct {
		name    string
		answers []string
		needs   []string
		want    bool
	}{
		{"nothing", nil, nil, false},
		{"needs that can wait", nil, []string{"shelter", "documents"}, false},
		{"a safety risk now", []string{"safety_risk_now"}, nil, true},
		{"minors present", []string{"minors_present"}, []string{"food_money"}, true},
		{"a medical need among others", nil, []string{"shelter", vocab.NeedMedical}, true},
		{"a yes to a question outside the rule", []string{"consent_contact"}, nil, false},
		{"an unknown need", nil, []string{"urgent"}, false},
	} {
		got := vocab.Urgent(func(f string) bool { return slices.Contains(c.answers, f) }, c.needs)
		if got != c.want {
			t.Errorf("%s: urgent %v, want %v", c.name, got, c.want)
		}
	}
}

// TestListsHaveNoRepeats: a repeated value would be one choice shown twice
// and one select value stored under two labels.
func TestListsHaveNoRepeats(t *testing.T) {
	for name, l := range map[string][]string{
		"Statuses": vocab.Statuses, "Needs": vocab.Needs, "Languages": vocab.Languages, "Genders": vocab.Genders,
		"AgeBands": vocab.AgeBands, "PassportAnswers": vocab.PassportAnswers, "Channels": vocab.Channels,
		"Directions": vocab.Directions, "EventKinds": vocab.EventKinds, "Nationalities": vocab.Nationalities,
	} {
		seen := map[string]bool{}
		for _, v := range l {
			if seen[v] || v == "" {
				t.Errorf("%s holds %q twice or empty", name, v)
			}
			seen[v] = true
		}
	}
	if len(vocab.LanguageNames) != len(vocab.Languages) {
		t.Errorf("LanguageNames names %d languages, Languages lists %d", len(vocab.LanguageNames), len(vocab.Languages))
	}
	for _, l := range vocab.Languages {
		if vocab.LanguageNames[l] == "" {
			t.Errorf("LanguageNames has no name for %s", l)
		}
	}
	if slices.Contains(vocab.Nationalities, vocab.NationalityOther) {
		t.Errorf("NationalityOther is also a code of the list")
	}
}
