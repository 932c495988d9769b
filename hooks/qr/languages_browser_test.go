package qr_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// englishFragments are the pieces of every English line of the pages
// (split at their {places}) whose translation into lang differs, so a line
// left in English on a page in lang is found by its words.
func englishFragments(t *testing.T, lang string) []string {
	t.Helper()
	read := func(l string) map[string]string {
		raw, err := os.ReadFile("i18n/" + l + ".json")
		if err != nil {
			t.Fatal(err)
		}
		d := map[string]string{}
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	en, tr := read("en"), read(lang)
	var out []string
	for k, v := range en {
		if tr[k] == v {
			continue
		}
		for _, part := range regexp.MustCompile(`\{[a-z]+\}`).Split(v, -1) {
			if part = strings.TrimSpace(strings.Trim(part, ".:")); len(part) >= 6 {
				out = append(out, part)
			}
		}
	}
	return out
}

// pageProblems reads the open page as a person would: every line outside
// the English echoes must be in the page's language (no English line left
// when the page is not English; scripts without Latin letters must show
// none beyond the embassy's own data), every English echo must follow its
// translation, every tap target is 44 px or more, and the quick exit is
// there.
const pageProblems = `((lang, fragments, data) => {
	const problems = [];
	if (document.documentElement.scrollWidth > 360) problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide at 360 px');
	if (document.documentElement.lang !== lang) problems.push('html lang is ' + document.documentElement.lang);
	const exit = document.getElementById('exit');
	if (!exit || exit.offsetParent === null) problems.push('no visible quick exit: ' + location.href + ' ' + (exit ? getComputedStyle(exit).display : document.body.innerHTML.slice(0, 300)));
	document.querySelectorAll('a, button, input, select, textarea, summary').forEach((e) => {
		if (e.offsetParent === null) return;
		const r = e.getBoundingClientRect();
		if (r.height < 44 || r.width < 44) problems.push('tap target ' + Math.round(r.width) + 'x' + Math.round(r.height) + ': ' + e.outerHTML.slice(0, 80));
	});
	document.querySelectorAll('.en').forEach((e) => {
		const prev = e.previousElementSibling;
		if (!prev || prev.lang !== lang) problems.push('an English echo without its translation: ' + e.textContent);
	});
	const clone = document.body.cloneNode(true);
	clone.querySelectorAll('.en, script, textarea').forEach((e) => e.remove());
	let text = clone.textContent;
	if (lang === 'en') return problems;
	for (const f of fragments) if (text.indexOf(f) >= 0) problems.push('English left: ' + f);
	if (['th', 'my', 'km', 'zh'].indexOf(lang) >= 0) {
		clone.querySelectorAll('h1, .country, .number, .fingerprint, dd, strong, .languages, .site-name, .embassy-list a').forEach((e) => e.remove());
		text = clone.textContent;
		for (const d of data) text = text.split(d).join(' ');
		const latin = text.match(/[A-Za-z]{4,}/g);
		if (latin) problems.push('Latin words on a ' + lang + ' page: ' + latin.join(' '));
	}
	return problems;
})`

// TestQRPagesSpeakThePagesLanguageWithAQuickExit opens each page of the QR
// flow in each of the eight languages (a scanned code's own language, a
// revoked code's warning, a tampered code's warning in the browser's
// language, an embassy's contact page, the list, and /verify after a check
// made by its script) and holds every one to pageProblems; then leaves
// each with the quick exit, which must not add a history entry.
func TestQRPagesSpeakThePagesLanguageWithAQuickExit(t *testing.T) {
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	f.app.Settings().Meta.AppURL = srv.URL
	ctx := browsertest.New(t, 240*time.Second)
	do := func(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	do(t, chromedp.EmulateViewport(360, 740))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	// The quick exit's website is not fetched: leaving is what counts.
	if _, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "https://www.google.com/*", Block: true}},
	}); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal([]string{"Homeward", "DEMO Embassy of Indonesia", "Embassy of Viet Nam", "kh-indonesia", "QR"})
	tampered := "/q/" + tamper(t, tokenOf(linkURL(t, f.app, f.link)), f.expired.Id)

	for _, lang := range vocab.Languages {
		link := saveRecord(t, f.app, "qr_links", map[string]any{"label": "poster " + lang, "embassy": f.embassy.Id, "language": lang})
		revoked := saveRecord(t, f.app, "qr_links", map[string]any{"label": "old " + lang, "embassy": f.embassy.Id, "language": lang, "revoked": true})
		fragments, _ := json.Marshal(englishFragments(t, lang))
		pages := []struct{ name, url, ready string }{
			{"scanned code", linkURL(t, f.app, link), "a.call"},
			{"revoked code", linkURL(t, f.app, revoked), ".warning .reason"},
			{"tampered code", srv.URL + tampered, ".warning .reason"},
			{"contact page", srv.URL + "/e/kh-indonesia?lang=" + lang, "a.call"},
			{"embassy list", srv.URL + "/e?lang=" + lang, ".embassy-list"},
			{"verify", srv.URL + "/verify?lang=" + lang, "#verify-form"},
		}
		for _, p := range pages {
			t.Run(lang+"/"+p.name, func(t *testing.T) {
				if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
					Headers: network.Headers{"Accept-Language": lang + ";q=0.9"},
				}); err != nil {
					t.Fatal(err)
				}
				do(t, chromedp.Navigate(p.url), chromedp.WaitVisible(p.ready))
				if p.name == "verify" {
					// The script's own lines: a verdict and the keys note.
					do(t, chromedp.SetValue("#verify-input", linkURL(t, f.app, link)), chromedp.Click("#verify-form button"),
						chromedp.WaitVisible("#verify-result p[data-verdict]"), chromedp.WaitVisible("#verify-keys span"))
				}
				problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageProblems+"("+`"`+lang+`", `+string(fragments)+", "+string(data)+")"))
				if err != nil {
					t.Fatal(err)
				}
				for _, pr := range problems {
					t.Error(pr)
					if strings.HasPrefix(pr, "no visible quick exit") {
						t.FailNow()
					}
				}
				if name := screenshots[lang+"/"+p.name]; name != "" && os.Getenv("HOMEWARD_SCREENSHOTS") != "" {
					buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(testserver.RepoRoot(), "docs", "screenshots", name), buf, 0o644); err != nil {
						t.Fatal(err)
					}
				}

				before, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`history.length`))
				do(t, chromedp.Click("#exit"))
				loc := ""
				for range 100 {
					loc, _ = chromedp.Run(ctx, chromedp.Location())
					if !strings.HasPrefix(loc, srv.URL) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				if strings.HasPrefix(loc, srv.URL) {
					t.Fatalf("the quick exit stayed on %s", loc)
				}
				if after, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`history.length`)); after != before {
					t.Errorf("the quick exit added a history entry: %d -> %d", before, after)
				}
			})
		}
	}
}

// screenshots are the pages saved to docs/screenshots when
// HOMEWARD_SCREENSHOTS is set.
var screenshots = map[string]string{
	"vi/scanned code": "qr-contact.png",
	"id/revoked code": "qr-warning.png",
	"fil/verify":      "qr-verify.png",
}
