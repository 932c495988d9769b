package console_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"homeward/hooks/reports"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestSealedDuplicatesAreRankedInTheBrowser: a sealed report's likely
// duplicates are ranked in the console on the text only it opens. Of two
// sealed reports with the same clear fields as the report viewed, the one
// by the same person (the phone number and the message typed otherwise)
// is suggested, for its contact and its message; the other is not, nor a
// report of another embassy with the very same words. Every clear field
// of the three is the same (sealedReport), so a ranking blind to the
// opened text cannot tell them apart. The console's scoring is checked on
// the table Go's is held to (hooks/staff/testdata/duplicates.json).
func TestSealedDuplicatesAreRankedInTheBrowser(t *testing.T) {
	app, _, _, k := keyedConsole(t, 2*time.Minute)
	table, err := os.ReadFile("../testdata/duplicates.json")
	if err != nil {
		t.Fatal(err)
	}
	diffs := evaluate[[]string](k, "score the shared table in the console", `(async () => {
		const { score } = await import('/staff/duplicates.js');
		return `+string(table)+`.flatMap((r) => [[r.a, r.b], [r.b, r.a]].map(([a, b]) => [r, score(a, b)]))
			.filter(([r, s]) => Math.abs(s.score - r.score) > 1e-9 || JSON.stringify(s.reasons) !== JSON.stringify(r.reasons))
			.map(([r, s]) => r.name + ': ' + JSON.stringify(s) + ', the table says ' + r.score + ' ' + JSON.stringify(r.reasons));
	})()`)
	if len(diffs) > 0 {
		t.Fatalf("the console scores otherwise than Go:\n%s", strings.Join(diffs, "\n"))
	}

	const (
		viewed, same, other = "dupviewed00000000001", "dupsame0000000000001", "dupother000000000001"
		otherEmbassy        = "dupembassyy000000001"
		phone, message      = "+000 12 345 678", "We are three women from the Golden Fortune compound, they took our passports"
	)
	sealedReport(t, app, viewed, 1, seal.ReportBody{Message: message, ContactPhone: phone})
	sealedReport(t, app, same, 1, seal.ReportBody{Message: "we are 3 women from golden fortune compound. they took our passport!!", ContactPhone: "(000) 12-345-678", CompoundLocation: "Golden Fortune"})
	sealedReport(t, app, other, 1, seal.ReportBody{Message: "I lost my job in the city and need a ticket home", ContactPhone: "+000 98 765 432"})
	testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
		"id": otherEmbassy, "embassy": fixture.EmbassyY, "channel": "self", "people_count": 2, "nationality": "ID",
		"message": message, "contact_phone": phone,
	})

	k.open("open the sealed report", "#/report/"+viewed)
	k.waitFor("the report opens and its duplicates are ranked", `document.querySelector('#report [data-seal]').dataset.seal === 'open' &&
		!!document.querySelector('#report [data-duplicates] ul, #report [data-duplicates] p:not([data-seal])')`)
	type suggestion struct{ Id, Reasons, Text string }
	got := evaluate[[]suggestion](k, "read the suggestions", `[...document.querySelectorAll('#report [data-duplicates] li')].map((li) => ({
		id: li.dataset.duplicate, reasons: li.querySelector('.reasons').textContent, text: li.textContent }))`)
	if len(got) != 1 || got[0].Id != same {
		t.Fatalf("the console suggests %+v, want only %s", got, same)
	}
	if got[0].Reasons != "Same contact, Similar message" || !strings.Contains(got[0].Text, "Golden Fortune") {
		t.Errorf("the suggestion reads %+v, want its reasons and its opened compound", got[0])
	}
}
