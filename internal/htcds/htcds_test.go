package htcds_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"homeward/internal/htcds"
	"homeward/internal/htcds/htcdstest"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// TestEveryColumnAndValueIsTheStandards fills a report with every value
// each mapped field can take and holds every column name and every value
// written to the standard's field list and value lists.
func TestEveryColumnAndValueIsTheStandards(t *testing.T) {
	std := htcdstest.Standard(t)
	for _, c := range htcds.Columns {
		if _, ok := std[c]; !ok {
			t.Errorf("column %s is not a field of HTCDS 2.0", c)
		}
	}
	for _, l := range vocab.Languages {
		if htcds.Languages[l] == "" {
			t.Errorf("language %s has no ISO 639-2 code", l)
		}
	}
	for _, g := range vocab.Genders {
		if htcds.Genders[g] == "" {
			t.Errorf("gender %s has no prs_Gender", g)
		}
	}
	for _, n := range vocab.Needs {
		if _, unmapped := htcds.Unmapped["needs"]; htcds.Needs[n] == "" && !unmapped {
			t.Errorf("need %s is neither mapped nor listed as unmapped", n)
		}
	}
	var reports []htcds.Report
	for _, s := range vocab.Statuses {
		if htcds.Statuses[s] == "" && s != vocab.StatusDuplicate && s != vocab.StatusSpam {
			t.Errorf("status %s has no cas_Status", s)
		}
	}
	for i := range 64 {
		r := htcds.Report{
			Id: "report", Created: time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), Embassy: "Embassy X",
			Status:       vocab.Workflow[i%len(vocab.Workflow)],
			Gender:       pick(append(vocab.Genders, ""), i),
			Nationality:  pick(append(slices.Clone(vocab.Nationalities), vocab.NationalityOther, ""), i),
			Language:     pick(append(slices.Clone(vocab.Languages), ""), i),
			Needs:        vocab.Needs[:i%len(vocab.Needs)],
			PassportHeld: pick(append(vocab.PassportAnswers, ""), i),
			Compound:     pick([]string{"", "KK Park"}, i),
			HasPoint:     i%3 == 0, Lat: 16.69, Lon: 98.51,
			ConsentShare: true, ConsentContact: i%2 == 0, ContactName: "Ani", ContactPhone: "+000 555 0101",
		}
		reports = append(reports, r)
	}
	iso6392 := regexp.MustCompile(`^[a-z]{3}$`)
	for _, r := range reports {
		row := htcds.Row(r)
		if len(row) != len(htcds.Columns) {
			t.Fatalf("row of %d cells, want %d", len(row), len(htcds.Columns))
		}
		for i, c := range htcds.Columns {
			f := std[c]
			if row[i] == "" || len(f.Values) == 0 {
				continue
			}
			values := []string{row[i]}
			if strings.Contains(f.Type, "Multiselect") || c == "spl_Type" {
				values = strings.Split(row[i], htcds.MultiSeparator)
			}
			for _, v := range values {
				if !slices.Contains(f.Values, v) {
					t.Errorf("%s = %q is not a value of the standard's list %v", c, v, f.Values)
				}
			}
		}
		for i, c := range htcds.Columns {
			switch {
			case c == "prs_Citizenship" && row[i] != "" && !slices.Contains(vocab.Nationalities, row[i]):
				t.Errorf("prs_Citizenship %q is not an ISO 3166 alpha-2 code of the list", row[i])
			case c == "prs_PrimaryLanguage" && row[i] != "" && !iso6392.MatchString(row[i]):
				t.Errorf("prs_PrimaryLanguage %q is not an ISO 639-2 code", row[i])
			case (c == "prs_FirstName" || c == "prs_MobilePhone") && row[i] != "" && !r.ConsentContact:
				t.Errorf("%s filled without consent to be contacted", c)
			}
		}
	}
}

func pick(list []string, i int) string { return list[i%len(list)] }

// TestDocsNameTheColumnsAsExported holds docs/API.md's example header of
// the HTCDS export to Columns.
func TestDocsNameTheColumnsAsExported(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(htcds.Columns, ",")
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "cas_ReferringOrganisation,") {
			if line != want {
				t.Fatalf("docs/API.md shows the header\n%s\nthe export writes\n%s", line, want)
			}
			return
		}
	}
	t.Fatal("docs/API.md shows no HTCDS header")
}

// TestTheSealedColumnsAreThoseOfThePrivateFields holds SealedCells, the
// table the staff browser fills a sealed report's columns by, to the
// columns Mapped gives the private fields: no column filled from a
// private field is left to the server alone, which cannot open it.
func TestTheSealedColumnsAreThoseOfThePrivateFields(t *testing.T) {
	var want []string
	for _, f := range seal.SealedReportFields {
		want = append(want, htcds.Mapped[f]...)
	}
	var got []string
	for _, c := range htcds.SealedCells {
		if !slices.Contains(htcds.Columns, c.Column) {
			t.Errorf("%s is not an exported column", c.Column)
		}
		got = append(got, c.Column)
	}
	slices.Sort(want)
	slices.Sort(got)
	if want, got = slices.Compact(want), slices.Compact(got); !slices.Equal(want, got) {
		t.Fatalf("sealed columns %v, want the private fields' %v", got, want)
	}
}
