// Package htcdstest reads the HTCDS 2.0 field list kept as test data
// (internal/htcds/testdata, with its source and licence), so tests hold
// every export to the standard itself rather than to a copy in Go.
package htcdstest

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Field is one field of the standard.
type Field struct {
	Type   string   // Text, Picklist, Multiselect Picklist, ...
	Values []string // the value names of a picklist; none for another standard's codes
}

// Standard returns the standard's fields by name.
func Standard(t testing.TB) map[string]Field {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "testdata", "htcds_fields_2.0.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Field{}
	for _, r := range rows[1:] {
		var values []string
		if r[3] != "" {
			values = strings.Split(r[3], "|")
		}
		out[r[0]] = Field{Type: r[1], Values: values}
	}
	return out
}
