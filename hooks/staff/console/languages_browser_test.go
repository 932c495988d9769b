package console_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// englishLeft is run in the page with the English strings and the page's
// own: it returns each English string (or the part of one between its
// {placeholders}, of three letters or more) that the page shows as a
// whole word in its text, its title or its elements' titles, labels,
// placeholders and alternative texts. Strings a language keeps as they are
// in English (a name, "Status" in Indonesian) are not looked for, and
// elements marked as another language (the language menu's own names) are
// left out. Report content, names and ids are data: the test's data has
// no English words of the console in them.
const englishLeft = `(en, own) => {
	const lang = document.documentElement.lang;
	const texts = [document.title];
	const foreign = (el) => { const l = el.closest('[lang]'); return l && l.getAttribute('lang') !== lang; };
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!el || foreign(el) || !n.textContent.trim()) continue;
		if (!el.checkVisibility() && !el.closest('option')) continue;
		texts.push(n.textContent);
	}
	for (const el of document.body.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
		if (foreign(el) || !el.checkVisibility()) continue;
		for (const a of ['title', 'aria-label', 'placeholder', 'alt']) if (el.getAttribute(a)) texts.push(el.getAttribute(a));
	}
	for (const el of document.querySelectorAll('[data-no-mail-text]')) texts.push(el.dataset.noMailText);
	const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const found = [];
	for (const [key, text] of Object.entries(en)) {
		if (key === '_review' || own[key] === text) continue;
		for (const part of text.split(/\{\w+\}/)) {
			const p = part.trim();
			if (!/[A-Za-z]{3,}/.test(p)) continue;
			const re = new RegExp('(^|[^A-Za-z])' + esc(p) + '([^A-Za-z]|$)');
			const where = texts.find((t) => re.test(t));
			if (where) found.push(key + ': "' + p + '" in "' + where.trim().slice(0, 80) + '"');
		}
	}
	return found;
}`

// englishMonths are month names a date in English shows; a date in the
// page's language shows none (checked where the language's own short
// names differ from all of them).
const englishMonths = `/\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b/`

// TestConsoleSpeaksEachLanguage walks every screen of the staff console in
// a real headless Chromium against the whole app, once per language other
// than English: the sign-in form in the browser's language, then signed in
// with the language on the staff member's profile, the waiting queue as a
// table with a bulk change started and the notice that no mail server is
// set (its fix, for the administrator, is marked as English), all reports as cards, the keyboard
// shortcuts, a report, its case sheet, and the counts. On each, no string
// of the English file is left (see englishLeft), no date shows an English
// month, and no string is missing (a missing key is a logged error). Then
// the language menu sets the profile back to English. With
// HOMEWARD_SCREENSHOTS=1 it writes docs/screenshots/staff-report-th.png
// and staff-waiting-my.png.
func TestConsoleSpeaksEachLanguage(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.QueueReports(t, app, nil)
	// No mail server: the setup notice and On duty say so, in words of
	// the console's.
	app.Settings().Meta.AppURL = "https://homeward.example.org"
	app.Settings().Backups.S3.Enabled = true
	// Names and the reporters' words are data: none of them English words
	// the console uses.
	for id, name := range map[string]string{fixture.StaffX: "Dewi Lestari", fixture.StaffX2: "Budi Santoso"} {
		rec, err := app.FindRecordById("staff", id)
		if err != nil {
			t.Fatal(err)
		}
		rec.Set("name", name)
		if err := app.Save(rec); err != nil {
			t.Fatal(err)
		}
	}
	emb, err := app.FindRecordById("embassies", fixture.EmbassyX)
	if err != nil {
		t.Fatal(err)
	}
	emb.Set("name", "Kedutaan Besar Republik Indonesia")
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	rep, err := app.FindRecordById("reports", fixture.ReportX)
	if err != nil {
		t.Fatal(err)
	}
	rep.Set("message", "Kami berenam dari kompleks di sungai.")
	rep.Set("compound_location", "Sihanoukville")
	rep.Set("contact_name", "Ani")
	if err := app.Save(rep); err != nil {
		t.Fatal(err)
	}
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "reporter", "body": "Terima kasih."})
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": fixture.ReportX, "direction": "staff", "author": fixture.StaffX, "body": "Kami akan menelepon."})
	testserver.SaveRecord(t, app, "qr_links", map[string]any{"embassy": fixture.EmbassyX, "label": "Poipet", "language": "km"})
	testserver.SaveRecord(t, app, "qr_links", map[string]any{"embassy": fixture.EmbassyX, "label": "Bavet", "language": "th", "revoked": true})
	fixture.SaveAttachment(t, app, fixture.ReportX)
	// The other reports' words are English sentences of the queue fixture:
	// they are data too, but could hold a word of the console, so they
	// speak Indonesian here.
	for _, id := range []string{fixture.UrgentNewX, fixture.IdleX, fixture.IdleClosedX, fixture.UnreadX, fixture.ReadX} {
		r, err := app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		r.Set("message", "Tolong bantu kami.")
		if err := app.Save(r); err != nil {
			t.Fatal(err)
		}
	}

	en := fixture.ConsoleLanguage(t, "en")
	enJSON, _ := json.Marshal(en)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 300*time.Second)
	problems := watchConsole(ctx)
	s := consoleSteps(t, ctx, problems)
	s.do("a desk-sized screen", chromedp.EmulateViewport(1280, 900))

	for _, lang := range vocab.Languages[1:] {
		own, _ := json.Marshal(fixture.ConsoleLanguage(t, lang))
		check := func(screen string) {
			t.Helper()
			s.waitFor(lang+": "+screen+" is drawn in "+lang, `document.documentElement.lang === '`+lang+`' && !document.querySelector('#list [data-state]').textContent.endsWith('…')`)
			left, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(`+englishLeft+`)(`+string(enJSON)+`, `+string(own)+`)`))
			if err != nil {
				t.Fatalf("%s, %s: %v", lang, screen, err)
			}
			if len(left) > 0 {
				t.Errorf("%s, %s: English left:\n  %s", lang, screen, strings.Join(left, "\n  "))
			}
			if !slices.Contains([]string{"id", "fil"}, lang) { // their short month names share English ones
				month, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.body.innerText.match(`+englishMonths+`) || [''])[0]`))
				if err != nil {
					t.Fatal(err)
				}
				if month != "" {
					t.Errorf("%s, %s: a date shows the English month %q", lang, screen, month)
				}
			}
		}

		// The sign-in form speaks the browser's language.
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 HeadlessChrome", AcceptLanguage: lang}); err != nil {
			t.Fatal(err)
		}
		s.do(lang+": open the console", chromedp.Navigate("about:blank"), chromedp.Evaluate[chromedp.Void](`0`), chromedp.Navigate(srv.URL+"/staff/"))
		s.waitFor(lang+": the sign-in form", `document.body.dataset.page === 'login'`)
		check("the sign-in form")

		// Signed in, the profile's language holds, whatever the browser's.
		setLanguage(t, app, fixture.StaffX, lang)
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: "Mozilla/5.0 HeadlessChrome", AcceptLanguage: "en"}); err != nil {
			t.Fatal(err)
		}
		s.signIn("x@example.org")
		s.waitFor(lang+": the waiting queue as a table", `document.documentElement.lang === '`+lang+`' && document.querySelectorAll('#list tr[data-id]').length >= 2 &&
			document.querySelector('[data-live]').dataset.state === 'live'`)
		s.waitFor(lang+": the setup notice names the missing mail server", `!document.querySelector('[data-setup-checks]').hidden &&
			!!document.querySelector('[data-setup-checks] li[data-code="mail"]') && document.querySelector('[data-duty-label]').dataset.noMail === 'true'`)
		s.click(lang+": select a report", `[data-select="`+fixture.UnreadX+`"]`)
		s.waitFor(lang+": the bulk bar shows", `!document.querySelector('[data-bulk]').hidden`)
		check("the waiting queue, a report selected")
		if lang == "my" {
			shot := screenshotter(t, ctx)
			shot("staff-waiting-my")
		}
		s.click(lang+": clear the selection", "[data-bulk-clear]")

		s.do(lang+": all reports as cards", chromedp.Navigate(srv.URL+"/staff/#/?queue=all&layout=cards"))
		s.waitFor(lang+": the cards", `document.querySelectorAll('#list li[data-id]').length === 6`)
		check("all reports as cards")
		s.click(lang+": the keyboard shortcuts", "[data-keys-open]")
		s.waitFor(lang+": the shortcuts are listed", `document.querySelector('[data-keys]').open`)
		check("the keyboard shortcuts")
		s.do(lang+": close them", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-keys]').close()`))

		s.click(lang+": open a report", `li[data-id="`+fixture.ReportX+`"] a`)
		s.waitFor(lang+": the report with its conversation, history and attachment", `document.body.dataset.page === 'report' &&
			document.querySelectorAll('.bubble').length === 2 && !!document.querySelector('.history li[data-kind]') &&
			!!document.querySelector('.attachments img') && !document.querySelector('[data-duplicates]').textContent.endsWith('…')`)
		check("a report")
		if lang == "th" {
			shotFull(t, ctx, "staff-report-th")
		}
		s.do(lang+": no print dialog", chromedp.Evaluate[chromedp.Void](`window.print = () => {}`))
		s.click(lang+": its case sheet", "#report [data-print]")
		s.waitFor(lang+": the case sheet", `!!document.querySelector('[data-sheet-footer]')`)
		check("the case sheet")

		s.do(lang+": the counts", chromedp.Navigate(srv.URL+"/staff/#/stats"))
		s.waitFor(lang+": counted", `!!document.querySelector('[data-counts] .total') && !!document.querySelector('[data-public] .total')`)
		check("the counts")

		s.do(lang+": the QR links", chromedp.Navigate(srv.URL+"/staff/#/links"))
		s.waitFor(lang+": the links, one active and one revoked", `document.querySelectorAll('tr[data-link]').length === 2 &&
			!!document.querySelector('tr[data-state="revoked"]') && !!document.querySelector('[data-link-form]')`)
		check("the QR links")

		s.click(lang+": sign out", "[data-logout]")
		s.waitFor(lang+": signed out", `document.body.dataset.page === 'login'`)
	}

	// The language menu keeps the choice on the profile.
	setLanguage(t, app, fixture.StaffX, "km")
	s.do("open the console in Khmer", chromedp.Navigate(srv.URL+"/staff/"))
	s.signIn("x@example.org")
	s.waitFor("in Khmer", `document.documentElement.lang === 'km' && document.body.dataset.page === 'reports'`)
	s.fill("pick English", "[data-lang-pick]", "en")
	s.waitFor("the console speaks English", `document.documentElement.lang === 'en' && document.body.dataset.page === 'reports' &&
		document.querySelector('[data-queues] a[data-queue="waiting"]').textContent.startsWith('Waiting for us')`)
	if me, err := app.FindRecordById("staff", fixture.StaffX); err != nil || me.GetString("language") != "en" {
		t.Fatalf("the profile's language is not English after the menu (%v)", err)
	}
	if p := problems(); len(p) > 0 {
		t.Fatalf("the page logged errors (a missing string among them?): %v", p)
	}
}

func setLanguage(t *testing.T, app core.App, staffId, lang string) {
	t.Helper()
	rec, err := app.FindRecordById("staff", staffId)
	if err != nil {
		t.Fatal(err)
	}
	rec.Set("language", lang)
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
}
