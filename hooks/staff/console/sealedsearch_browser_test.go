package console_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"golang.org/x/text/unicode/norm"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// TestSealedSearchAndExportInTheBrowser: the console's search finds
// sealed reports by the text only a staff browser can open, folded as
// the server folds (a decomposed accent and full-width letters match the
// term typed composed in capitals), together with a report in clear that
// the server finds; a sealed report without the word is not listed. The
// CSV export is built in the browser with the opened text, and the server
// logs exactly the exported ids; no file of the data dir holds the sealed
// text. The console's fold is checked on Go's table (internal/fold).
func TestSealedSearchAndExportInTheBrowser(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 4*time.Minute)
	k := keysTab{consoleSteps(t, ctx, watchConsole(ctx)), srv.URL}

	const (
		idA, idB, idC = "sealeda0000000000001", "sealedb0000000000001", "sealedc0000000000001"
		idClear       = "clearzz0000000000001"
		markerA       = "Marker-A-Pelican"
		markerB       = "Marker-B-Heron"
		markerC       = "Marker-C-Ibis"
	)
	table, err := os.ReadFile("../../../internal/fold/testdata/fold.json")
	if err != nil {
		t.Fatal(err)
	}
	k.start("#/keys")
	k.signIn("x@example.org")
	diffs := evaluate[[]string](k, "fold the table in the console", `(async () => {
		const { fold } = await import('/staff/fold.js');
		return `+string(table)+`.filter((r) => fold(r.in) !== r.out).map((r) => JSON.stringify(r) + ' → ' + JSON.stringify(fold(r.in)));
	})()`)
	if len(diffs) > 0 {
		t.Fatalf("the console folds otherwise than internal/fold: %s", strings.Join(diffs, "\n"))
	}

	// Saved before the embassy has a key, so it stays in clear: the
	// server seals what arrives in clear once there is one.
	fixture.SaveReport(idClear, fixture.EmbassyX, map[string]any{"message": "zéphyrquill at the front desk", "channel": "self", "created": "2026-01-02 10:00:00.000Z"})(t, app, nil)
	// A search of more than a page: 24 reports in clear newer than the
	// sealed ones, and 6 older.
	var ibisNew, ibisOld []string
	for i := range 30 {
		id, created := fmt.Sprintf("ibisnew%013d", i), fmt.Sprintf("2099-01-01 10:00:%02d.000Z", i)
		if i >= 24 {
			id, created = fmt.Sprintf("ibisold%013d", i), fmt.Sprintf("2025-01-01 10:00:%02d.000Z", i)
			ibisOld = append([]string{id}, ibisOld...)
		} else {
			ibisNew = append([]string{id}, ibisNew...)
		}
		fixture.SaveReport(id, fixture.EmbassyX, map[string]any{"message": "an ibis at the pier", "channel": "self", "created": created})(t, app, nil)
	}
	k.makePersonal(passphraseX)
	k.status("waiting")
	k.click("create the embassy's key", "[data-embassy-create]")
	k.status("unlocked")

	sealedReport(t, app, idA, 1, seal.ReportBody{Message: markerA + " near the " + norm.NFD.String("zéphyrquill") + " gate", ContactPhone: "+000 12 000 111"})
	sealedReport(t, app, idB, 1, seal.ReportBody{Message: "we are safe now", CompoundLocation: markerB + " ＺÉＰＨＹＲＱＵＩＬＬ tower"})
	sealedReport(t, app, idC, 1, seal.ReportBody{Message: markerC + " has nothing to find"})

	k.open("search the list", "#/?queue=all&q="+url.QueryEscape("ZÉPHYRQUILL"))
	k.waitFor("the sealed reports are searched", `document.querySelector('#list').dataset.searched === '3' && document.querySelector('#list').dataset.total === '3'`)
	k.sees(idA, markerA)
	listed := evaluate[[]string](k, "read the list", `[...document.querySelectorAll('#list [data-id]')].map((el) => el.dataset.id)`)
	// A and B are sealed within a millisecond or two: either may be newer.
	if len(listed) != 3 || listed[2] != idClear || !slices.Contains(listed, idA) || !slices.Contains(listed, idB) {
		t.Fatalf("the search lists %v, want %s and %s, then the older %s", listed, idA, idB, idClear)
	}

	k.do("catch the file", chromedp.Evaluate[chromedp.Void](`(() => {
		window.exported = [];
		const make = URL.createObjectURL;
		URL.createObjectURL = (blob) => { window.exported.push(blob); return make(blob); };
	})()`))
	k.open("open the counts and export", "#/stats")
	// The server counts the one report in clear it found; the two sealed
	// ones are found and counted in the browser, by the same keys.
	k.waitFor("the sealed matches are counted", `document.querySelector('[data-counts]').dataset.total === '3'`)
	weeks := evaluate[map[string]int](k, "read the weeks counted", `Object.fromEntries([...document.querySelectorAll('[data-counts] section:last-child tbody tr')].map((tr) => [tr.cells[0].textContent, +tr.cells[1].textContent]))`)
	y, w := time.Now().UTC().ISOWeek()
	if now := fmt.Sprintf("%d-W%02d", y, w); len(weeks) != 2 || weeks["2026-W01"] != 1 || weeks[now] != 2 {
		t.Fatalf("the counts by week are %v, want 2026-W01: 1 and %s: 2", weeks, now)
	}
	var dates []string
	for d := time.Date(2019, 12, 25, 23, 30, 0, 0, time.UTC); d.Year() < 2028; d = d.Add(61 * time.Hour) {
		dates = append(dates, d.Format("2006-01-02 15:04:05.000Z"))
	}
	js, err := json.Marshal(dates)
	if err != nil {
		t.Fatal(err)
	}
	got := evaluate[[]string](k, "weeks of dates over eight new years", `import('/staff/stats.js').then((m) => `+string(js)+`.map(m.isoWeek))`)
	for i, d := range dates {
		at, _ := time.Parse("2006-01-02 15:04:05.000Z", d)
		y, w := at.ISOWeek()
		if want := fmt.Sprintf("%d-W%02d", y, w); got[i] != want {
			t.Fatalf("the console puts %s in week %s, Go (and SQLite's %%G-W%%V) in %s", d, got[i], want)
		}
	}
	k.click("ask for contact details", `[data-export] [name="contact"]`)
	k.click("export", `[data-export] button[type="submit"]`)
	k.waitFor("the file is made", `document.querySelector('[data-export]').dataset.exported === '3'`)
	csv := evaluate[string](k, "read the file", `window.exported[0].arrayBuffer().then((b) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b))`)
	rows := fixture.ReadExport(t, strings.NewReader(csv))
	if len(rows) != 4 || strings.Join(rows[0], ",") != "id,created,status,urgent,safety_risk_now,minors_present,needs,people_count,nationality,nationality_original,language,gender,age_band,compound_location,current_location,left_on,passport_held,channel,duplicate_of,consent_contact,consent_share,message,contact_name,contact_phone,contact_app" {
		t.Fatalf("the file is %q", rows)
	}
	if !strings.Contains(csv, markerA) || !strings.Contains(csv, markerB) || !strings.Contains(csv, "+000 12 000 111") || strings.Contains(csv, markerC) {
		t.Fatalf("the file does not hold the opened text of the reports found:\n%s", csv)
	}
	ev := fixture.FindEvents(t, app, dbx.HashExp{"kind": "export", "embassy": fixture.EmbassyX})
	if len(ev) != 1 || ev[0].GetString("actor") != fixture.StaffX || !strings.Contains(ev[0].GetString("note"), "WITH contact") {
		t.Fatalf("want one export event by staff X with contact fields, got %d", len(ev))
	}
	note := ev[0].GetString("note")
	logged := strings.Fields(note[strings.LastIndex(note, ": ")+2:])
	slices.Sort(logged)
	if want := []string{idClear, idA, idB}; !slices.Equal(logged, want) { // sorted
		t.Fatalf("the export event lists %v, want %v", logged, want)
	}
	// Page by page (the server's matches in clear read a page at a time),
	// the sealed match falls in its place among them.
	listedOn := func(page int) []string {
		k.t.Helper()
		k.open(fmt.Sprintf("search page %d", page), fmt.Sprintf("#/?queue=all&q=ibis&per=25&page=%d", page))
		k.waitFor("the page shows", fmt.Sprintf(`document.querySelector('#list').dataset.total === '31' && document.querySelector('#list [data-page]')?.textContent.includes('%d of')`, page))
		return evaluate[[]string](k, "read the list", `[...document.querySelectorAll('#list [data-id]')].map((el) => el.dataset.id)`)
	}
	if got, want := listedOn(1), append(slices.Clone(ibisNew), idC); !slices.Equal(got, want) {
		t.Fatalf("the search's first page lists %v, want %v", got, want)
	}
	if got := listedOn(2); !slices.Equal(got, ibisOld) {
		t.Fatalf("the search's second page lists %v, want %v", got, ibisOld)
	}

	for _, m := range []string{markerA, markerB, markerC, "ＺÉＰＨＹＲＱＵＩＬＬ", "+000 12 000 111"} {
		testserver.NoFileHolds(t, srv.App.DataDir(), m)
	}
}

// evaluate runs js (an expression or a promise) in the tab and returns
// its value.
func evaluate[T any](k keysTab, step, js string) T {
	k.t.Helper()
	v, err := chromedp.Run(k.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		k.t.Fatalf("%s: %v\nconsole: %v", step, err, k.problems())
	}
	return v
}
