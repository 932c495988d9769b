package console_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/reports"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// TestConsoleNamesUrgencyAsTheServerDecidesIt saves reports with every
// mix of urgent answers and each need (and all needs) through the server's
// hooks, then asks the console's own labels.js, in Chromium, why each is
// urgent: it must name a reason exactly for the reports the server marked
// urgent, each reason in words. The console reads the rule's data from
// the generated /js/vocabulary.js, so this proves the copy and the code
// using it agree with vocab.Urgent. It also checks the console has a word
// for every value of the vocabulary it shows.
func TestConsoleNamesUrgencyAsTheServerDecidesIt(t *testing.T) {
	app := fixture.NewApp(t)
	needSets := [][]string{nil, vocab.Needs}
	for _, n := range vocab.Needs {
		needSets = append(needSets, []string{n})
	}
	var saved []map[string]any
	urgent := map[string]bool{}
	for i := range 4 {
		for j, needs := range needSets {
			rec := testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
				"id": fmt.Sprintf("urgency%06d%07d", i, j), "embassy": fixture.EmbassyX,
				"safety_risk_now": i&1 != 0, "minors_present": i&2 != 0, "needs": needs,
			})
			urgent[rec.Id] = rec.GetBool("urgent")
			var public map[string]any // the record as the records API sends it
			b, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &public); err != nil {
				t.Fatal(err)
			}
			saved = append(saved, public)
		}
	}
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 60*time.Second)
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible("#login-email")); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	evaluate := func(js string, out any) {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate: %v\nconsole: %v", err, problems())
		}
		if err := json.Unmarshal([]byte(s), out); err != nil {
			t.Fatal(err)
		}
	}

	records, _ := json.Marshal(saved)
	var reasons [][]string
	evaluate(`import('/staff/labels.js').then((m) => JSON.stringify(`+string(records)+`.map((r) => m.urgencyReasons(r))))`, &reasons)
	if len(reasons) != len(saved) {
		t.Fatalf("got reasons for %d reports, want %d", len(reasons), len(saved))
	}
	marked := 0
	for i, r := range saved {
		id := r["id"].(string)
		if urgent[id] {
			marked++
		}
		if got := len(reasons[i]) > 0; got != urgent[id] {
			t.Errorf("%s (safety %v, minors %v, needs %v): the console gives reasons %q, the server stored urgent %v",
				id, r["safety_risk_now"], r["minors_present"], r["needs"], reasons[i], urgent[id])
		}
		for _, why := range reasons[i] {
			if slices.Contains(vocab.UrgentAnswers, why) || slices.Contains(vocab.UrgentNeeds, why) {
				t.Errorf("%s: the console names the reason %q, not a word", id, why)
			}
		}
	}
	if marked == 0 || marked == len(saved) {
		t.Fatalf("%d of %d reports urgent: the cases do not tell the rule apart", marked, len(saved))
	}

	values := map[string][]string{
		"statuses": vocab.Statuses, "needs": vocab.Needs, "languages": vocab.Languages, "genders": vocab.Genders,
		"age bands": vocab.AgeBands, "passport answers": vocab.PassportAnswers, "channels": vocab.Channels,
		"event kinds": vocab.EventKinds,
	}
	lists, _ := json.Marshal(values)
	var unnamed map[string][]string
	evaluate(`import('/staff/labels.js').then((m) => { const l = `+string(lists)+`; const out = {};
		for (const k of Object.keys(l)) out[k] = l[k].filter((v) => m.label(v) === v);
		return JSON.stringify(out); })`, &unnamed)
	for list, vs := range unnamed {
		if len(vs) > 0 {
			t.Errorf("the console has no word for the %s %v", list, vs)
		}
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors: %v", p)
	}
}
