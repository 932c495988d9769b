package reports_test

import (
	"bytes"
	"os"
	"testing"

	"homeward/hooks/reports"
)

// TestCountriesFileIsGenerated fails when pb_public/i18n/countries.json,
// the apps' nationality list and its names, differs from what
// internal/vocab's list and CLDR make: run go generate ./hooks/reports.
func TestCountriesFileIsGenerated(t *testing.T) {
	t.Parallel()
	got, err := os.ReadFile("../../pb_public/i18n/countries.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, reports.CountriesJSON()) {
		t.Fatal("pb_public/i18n/countries.json is out of date: run go generate ./hooks/reports")
	}
}
