package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// TestReportStatesAreHonestOnASlowLink: on a slow link (300 ms each way,
// 200 kbit/s up), a report with a photo shows "Sending…" while its push is
// in flight and "Sent to the embassy" as soon as the server has it, while
// its photo is still on its way; the photo, sealed on the phone to the
// embassy's key, shows its own progress; and the home screen says there is
// no connection as soon as the network goes.
func TestReportStatesAreHonestOnASlowLink(t *testing.T) {
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	testserver.AddEmbassyKey(t, srv.App, embassy, nil)
	// A photo of noise, which JPEG cannot shrink: more than one 64 KiB
	// chunk even after the phone re-encodes it.
	img := image.NewRGBA(image.Rect(0, 0, 900, 700))
	for i := range img.Pix {
		img.Pix[i] = uint8(rand.IntN(256))
	}
	img.Set(0, 0, color.RGBA{A: 255})
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "noise.jpg")
	if err := os.WriteFile(photo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, 120*time.Second)
	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en")
	waitFor(t, ctx, "the key pinned", `self.homeward.db.get('meta', 'keys:`+embassy+`').then((k) => !!k && !k.broken)`)
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Latency: 600, DownloadThroughput: 500_000 / 8, UploadThroughput: 200_000 / 8,
	}); err != nil {
		t.Fatal(err)
	}
	// Chromium 156 slows requests only for conditions set by rule (the
	// override above sets navigator's view of the link); both, so the page
	// and its service worker see one slow link.
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Latency: 600, DownloadThroughput: 500_000 / 8, UploadThroughput: 200_000 / 8}},
	}); err != nil {
		t.Fatal(err)
	}
	if ms := eval[float64](t, ctx, `(async () => { const t0 = performance.now();
		await fetch('/api/health?slow=' + Date.now(), { cache: 'no-store' }); return performance.now() - t0; })()`); ms < 600 {
		t.Fatalf("a request took %.0f ms: the link is not slow", ms)
	}
	// Every state the report's line shows, with whether its photo was still
	// waiting then, and every progress line.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.seen = [];
		new MutationObserver(() => {
			const li = document.querySelector('#mine li');
			if (!li) return;
			const st = li.querySelector('.state');
			const files = li.querySelector('.hint') ? 'waiting' : 'none';
			const p = Array.from(li.querySelectorAll('.file-progress')).map((e) => e.textContent).join('|');
			window.seen.push((st ? st.textContent : '') + ' / ' + files + (p ? ' / ' + p : ''));
		}).observe(document.body, { childList: true, subtree: true, characterData: true })`))
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)))
	fillReport(t, ctx, "report on a slow link", photo)
	do(t, ctx, chromedp.Click(chromedp.ID("receipt-ok")), chromedp.Click(chromedp.ID("receipt-done")))
	waitFor(t, ctx, "the photo sent", `self.homeward.db.all('files').then((f) => f.length === 1 && f[0].state === 'sent' && f[0].sealed)`)
	seen := eval[[]string](t, ctx, `window.seen`)
	has := func(pred func(string) bool) bool {
		for _, s := range seen {
			if pred(s) {
				return true
			}
		}
		return false
	}
	if !has(func(s string) bool { return strings.HasPrefix(s, "Sending…") }) {
		t.Errorf("the report never showed Sending… (%q)", seen)
	}
	if !has(func(s string) bool { return strings.HasPrefix(s, "Sent to the embassy / waiting") }) {
		t.Errorf("the report did not show as sent while its photo was still on its way (%q)", seen)
	}
	if !has(func(s string) bool { return strings.Contains(s, "File 1 of 1: ") && !strings.Contains(s, ": 0%") }) {
		t.Errorf("the photo's progress was never shown (%q)", seen)
	}

	// The network goes: the home screen says so at once.
	setOffline(t, ctx, true)
	waitFor(t, ctx, "the offline notice", `!document.getElementById('net').hidden`)
}
