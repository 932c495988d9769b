// Package i18ntest holds a translation file to its English original, for
// the reporter app's, the console's and the QR pages' language files.
package i18ntest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ReviewKey is the key whose text says a file awaits a native speaker's
// review; every translation must say NEEDS NATIVE REVIEW there until then.
const ReviewKey = "_review"

var placeholders = regexp.MustCompile(`\{\w+\}`)

// CompareUsed fails t for each key the code uses (used) that en, the
// English file called name, lacks, and each key of en nothing uses.
func CompareUsed(t *testing.T, name string, en map[string]string, used map[string]bool) {
	t.Helper()
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("the code uses %q but %s lacks it", k, name)
		}
	}
	for k := range en {
		if !used[k] && k != ReviewKey {
			t.Errorf("%s has %q, which nothing uses", name, k)
		}
	}
}

// Compare fails t for each key of en that name (a translation) lacks or
// leaves empty, each key of name that en lacks, each text whose {name}
// placeholders differ from the English, and a file not marked for native
// review.
func Compare(t *testing.T, name string, en, tr map[string]string) {
	t.Helper()
	for k, v := range en {
		if k == ReviewKey {
			continue
		}
		if strings.TrimSpace(tr[k]) == "" {
			t.Errorf("%s lacks %q", name, k)
			continue
		}
		want := slices.Compact(slices.Sorted(slices.Values(placeholders.FindAllString(v, -1))))
		got := slices.Compact(slices.Sorted(slices.Values(placeholders.FindAllString(tr[k], -1))))
		if !slices.Equal(got, want) {
			t.Errorf("%s %q has the placeholders %v, the English %v", name, k, got, want)
		}
	}
	for k := range tr {
		if _, ok := en[k]; !ok {
			t.Errorf("%s has %q, which the English does not", name, k)
		}
	}
	if !strings.Contains(tr[ReviewKey], "NEEDS NATIVE REVIEW") {
		t.Errorf("%s is not marked for native review", name)
	}
}
