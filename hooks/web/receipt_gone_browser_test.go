package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"homeward/internal/testserver"
)

// TestADeletedReportDoesNotHideTheOthersReplies: a reporter's phone holds
// two reports, and the embassy deletes the first (its receipt is then
// unknown to the server, 404) and replies to the second. The phone's next
// sync still brings the reply, marks the deleted report closed, and asks
// no more for its receipt: each ask would count as a wrong guess against
// the phone's network, which a shelter's whole Wi-Fi shares. A 404 that is
// not the server's (a proxy's, a captive portal's) marks nothing.
func TestADeletedReportDoesNotHideTheOthersReplies(t *testing.T) {
	srv, ctx := testlandReporter(t)

	var ids []string
	for _, msg := range []string{"deleted later", "answered later"} {
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
		fillReport(t, ctx, msg, "")
		do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
		waitFor(t, ctx, "the report on the server", fmt.Sprintf(`self.homeward.db.all('reports').then((all) => all.filter((r) => r.state === 'sent').length === %d)`, len(ids)+1))
		rec, err := srv.App.FindFirstRecordByFilter("reports", "message = {:m}", map[string]any{"m": msg})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.Id)
	}
	goneCode := eval[string](t, ctx, fmt.Sprintf(`self.homeward.db.get('reports', %q).then((r) => self.homeward.ids.normalizeReceipt(r.receipt))`, ids[0]))

	// First a proxy on the way answers the deleted report's receipt with a
	// 404 page of its own: that says nothing of the report, which stays.
	var proxy atomic.Bool
	proxy.Store(true)
	var asked atomic.Int32 // pulls that ask for the deleted report's receipt
	watch := func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/sync/pull" || strings.ReplaceAll(r.Header.Get("X-Receipt"), " ", "") != goneCode {
			return false
		}
		asked.Add(1)
		if !proxy.Load() {
			return false
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<h1>Not Found</h1>"))
		return true
	}
	srv.intercept.Store(&watch)
	gone, err := srv.App.FindRecordById("reports", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.App.Delete(gone); err != nil {
		t.Fatal(err)
	}
	reply := testserver.SaveRecord(t, srv.App, "messages", map[string]any{"report": ids[1], "direction": "staff", "body": "Come to the embassy at nine."})

	openApp(t, ctx, srv.URL+"/?lang=en")
	waitFor(t, ctx, "the reply on the phone", fmt.Sprintf(`self.homeward.db.get('messages', %q).then((m) => !!m)`, reply.Id))
	eval[bool](t, ctx, `self.homeward.sync.run().then(() => true, () => true)`)
	if asked.Load() == 0 {
		t.Fatal("the deleted report's receipt was not asked")
	}
	if eval[bool](t, ctx, fmt.Sprintf(`self.homeward.db.get('reports', %q).then((g) => g.status === 'closed' || !!g.gone)`, ids[0])) {
		t.Fatal("a proxy's 404 marked the report deleted")
	}

	proxy.Store(false)
	eval[bool](t, ctx, `self.homeward.sync.run().then(() => true, () => true)`)
	waitFor(t, ctx, "the deleted report closed", fmt.Sprintf(`self.homeward.db.get('reports', %q).then((g) => g && g.status === 'closed')`, ids[0]))
	// The next syncs leave the deleted report's receipt alone.
	before := asked.Load()
	openApp(t, ctx, srv.URL+"/?lang=en")
	for range 2 {
		eval[bool](t, ctx, `self.homeward.sync.run().then(() => true, () => true)`)
	}
	if n := asked.Load() - before; n != 0 {
		t.Fatalf("the deleted report's receipt was asked %d more times once the phone knew it was gone, want none", n)
	}
}
