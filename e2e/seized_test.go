package e2e_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"homeward/internal/binarytest"
	"homeward/internal/browsertest"
)

const (
	superuserEmail    = "root@example.org"
	superuserPassword = "a long superuser password"
	staffEmail        = "staff@example.org"
	staffPassword     = "a long staff password"
	volunteerEmail    = "vol@example.org"
	volunteerPassword = "a long volunteer password"
	passphrase        = "seven lanterns over the river"
)

// server is the real binary on a fresh data dir, with a superuser.
type server struct {
	t   *testing.T
	bin *binarytest.Server
	su  string
}

func (s server) api(method, path string, body, out any) {
	s.t.Helper()
	if _, err := s.bin.Do(method, path, s.su, body, out); err != nil {
		s.t.Fatal(err)
	}
}

func (s server) create(collection string, fields map[string]any) string {
	s.t.Helper()
	var rec struct{ Id string }
	s.api(http.MethodPost, "/api/collections/"+collection+"/records", fields, &rec)
	return rec.Id
}

func (s server) records(collection string) []map[string]any {
	s.t.Helper()
	var page struct{ Items []map[string]any }
	s.api(http.MethodGet, "/api/collections/"+collection+"/records?perPage=500&filter="+url.QueryEscape(""), nil, &page)
	return page.Items
}

// openApp opens the reporter's or volunteer's app at url and waits for it.
func openApp(b browsertest.Tab, url string) {
	b.T.Helper()
	b.Do("open "+url, chromedp.Navigate(url))
	b.Until("the app to start", `document.documentElement.getAttribute('data-ready') === '1'`)
}

// fileReport fills the open report form for embassy and sends it, with a
// photo when photo is a path.
func fileReport(b browsertest.Tab, embassy, message, photo string) {
	b.T.Helper()
	b.Until("the report form", `!document.getElementById('report').hidden`)
	b.Fill("the embassy", "#f-embassy", embassy)
	b.Fill("the nationality", "#f-nationality", "ID")
	b.Fill("the people", "#f-people", "2")
	b.Fill("the message", "#f-message", message)
	if photo != "" {
		b.Do("add the photo", chromedp.SetUploadFiles(chromedp.ID("f-photos"), []string{photo}))
		b.Until("the photo taken", `document.querySelectorAll('#photo-list li').length === 1`)
	}
	b.Click("send", `#report-form button[type="submit"]`)
	b.Until("the receipt", `!document.getElementById('receipt').hidden || !document.getElementById('f-saved').hidden`)
}

// allSent is true once the outbox is empty and every file is sent.
const allSent = `Promise.all([self.homeward.db.all('outbox'), self.homeward.db.all('files')])
	.then(([o, f]) => o.length === 0 && f.every((x) => x.state === 'sent'))`

// TestASeizedServerHoldsNoneOfWhatWasSealed is issue 20's seized server: a
// whole session in real browsers against the real binary, then the server
// is stopped and every file it wrote (database, write-ahead log, auxiliary
// database with the request log, file storage, backups) and everything it
// printed is searched for each marker typed into a sealed field and for
// the bytes of the photos as the phones sent them: none may be found. The
// session: the embassy's staff make their keys in the console; a reporter
// online files a report with a photo, contact details and a receipt, then
// a follow-up message; another files offline with a photo, sent once back
// online; a volunteer files a batch; staff open the reports, reply and add
// a note, and export a CSV with contact details (built in their browser);
// the reporter reads the reply with the receipt; staff start a new key
// epoch and a report is sealed to it; a superuser makes a backup.
func TestASeizedServerHoldsNoneOfWhatWasSealed(t *testing.T) {
	bin := binarytest.New(t, t.TempDir())
	bin.Run("superuser", "upsert", superuserEmail, superuserPassword)
	bin.Start()
	s := server{t, bin, bin.SignIn("_superusers", superuserEmail, superuserPassword)}
	embassy := s.create("embassies", map[string]any{
		"slug": "test-seized", "name": "Embassy of Testland", "country": "Testland", "active": true,
		"hotline": "+000 23 000 000", "languages": []string{"en"},
	})
	s.create("staff", map[string]any{"email": staffEmail, "password": staffPassword, "passwordConfirm": staffPassword, "embassy": embassy})
	s.create("volunteers", map[string]any{"email": volunteerEmail, "password": volunteerPassword, "passwordConfirm": volunteerPassword,
		"name": "Test Volunteer", "approved": true})
	var markers []string
	mark := func(what string) string {
		m := "SEIZED-" + what + "-q7"
		markers = append(markers, m)
		return m
	}
	last := func() string { return markers[len(markers)-1] }
	photo := filepath.Join(binarytest.RepoRoot(), "hooks", "web", "testdata", "photo-with-gps.jpg")
	root := browsertest.New(t, 9*time.Minute)

	// The embassy's staff: a personal key, then the embassy's key.
	staff := browsertest.NewTab(t, root)
	staff.Do("a desk's window", chromedp.EmulateViewport(1280, 900))
	// The test reads the photo the console opened from its blob URL, which
	// the console's policy keeps its own scripts from fetching.
	if _, err := chromedp.Call(staff.Ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	staff.Do("open the console", chromedp.Navigate(bin.URL+"/staff/#/keys"))
	staff.Until("the sign-in form", `!document.querySelector('#login').hidden`)
	staff.Fill("the e-mail", "#login-email", staffEmail)
	staff.Fill("the password", "#login-password", staffPassword)
	staff.Click("sign in", `#login-form button[type="submit"]`)
	staff.Until("signed in", `!!document.body.dataset.page && document.body.dataset.page !== 'login'`)
	keysScreen := func(status string) {
		t.Helper()
		staff.JS("the keys screen", `location.hash = '#/keys'`)
		staff.Until("the keys screen says "+status, `document.querySelector('#keys [data-vault-status]')?.dataset.vaultStatus === '`+status+`' && !document.querySelector('#keys').dataset.busy`)
	}
	keysScreen("none")
	staff.Fill("a passphrase", `[data-personal-make="make"] [name="pass"]`, passphrase)
	staff.Fill("again", `[data-personal-make="make"] [name="pass2"]`, passphrase)
	staff.Click("make the personal key", `[data-personal-make="make"] button[type="submit"]`)
	keysScreen("waiting")
	staff.Click("create the embassy's key", "[data-embassy-create]")
	keysScreen("unlocked")
	pinned := `self.homeward.db.get('meta', 'keys:` + embassy + `').then((k) => !!k && !k.broken)`

	// A reporter, online: a report with a photo, contact details and a
	// receipt, then a follow-up message.
	phone := browsertest.NewTab(t, root)
	openApp(phone, bin.URL+"/?embassy=test-seized&lang=en")
	phone.Until("the key pinned", pinned)
	phone.Click("write a report", `[data-go="report"]`)
	phone.Fill("the compound", "#f-compound", mark("compound"))
	phone.Fill("the contact name", "#f-cname", mark("name"))
	phone.Fill("the contact phone", "#f-cphone", "+000 555 0142")
	fileReport(phone, embassy, mark("message")+" we are two", photo)
	phone.Click("the receipt is written down", "#receipt-ok")
	phone.Click("done", "#receipt-done")
	phone.Until("the report and its photo sent", allSent)
	code, err := chromedp.Run(phone.Ctx, chromedp.Evaluate[string](`self.homeward.db.all('reports').then((r) => r[0].receipt)`, chromedp.EvalAwaitPromise))
	if err != nil || code == "" {
		t.Fatalf("the receipt: %q (%v)", code, err)
	}
	follow := func() {
		t.Helper()
		openApp(phone, bin.URL+"/?lang=en")
		phone.Click("follow a report", `[data-go="follow"]`)
		phone.Fill("the receipt", "#fu-code", code)
		phone.Click("look it up", `#follow-form button[type="submit"]`)
		phone.Until("the report followed", `document.getElementById('fu-status').textContent !== ''`)
	}
	follow()
	phone.Fill("a follow-up", "#fu-reply", mark("followup"))
	phone.Click("send it", `#reply-form button[type="submit"]`)
	phone.Until("the follow-up sent", `self.homeward.db.all('messages').then((m) => m.length === 1 && m[0].state === 'sent')`)

	// Another reporter, offline on a second visit, with a photo; sent once
	// back online.
	offline := browsertest.NewTab(t, root)
	openApp(offline, bin.URL+"/?embassy=test-seized&lang=en")
	offline.Until("the service worker", `navigator.serviceWorker && navigator.serviceWorker.controller !== null`)
	offline.Until("the key pinned", pinned)
	offline.Offline(true)
	offline.Click("write a report", `[data-go="report"]`)
	fileReport(offline, embassy, mark("offline")+" from the bus", photo)
	offline.Offline(false)
	offline.Until("the offline report and its photo sent", allSent)

	// A volunteer's batch of three.
	vol := browsertest.NewTab(t, root)
	openApp(vol, bin.URL+"/volunteer?lang=en")
	vol.Until("the login form", `!document.getElementById('vol-login').hidden`)
	vol.Fill("the e-mail", "#vol-email", volunteerEmail)
	vol.Fill("the password", "#vol-password", volunteerPassword)
	vol.Fill("the device", "#vol-device", "shelter phone")
	vol.Click("sign in", `#vol-login button[type="submit"]`)
	vol.Until("the volunteer panel", `!document.getElementById('vol-panel').hidden`)
	vol.Until("the key pinned", pinned)
	for i := range 3 {
		vol.Click("a new report", "#vol-new")
		fileReport(vol, embassy, mark("volunteer"+strconv.Itoa(i))+" met at the border", "")
	}
	vol.Until("the batch sent", allSent)

	reports := s.records("reports")
	if len(reports) != 5 {
		t.Fatalf("the server holds %d reports, want 5", len(reports))
	}
	for _, r := range reports {
		if r["sealed_by"] != "phone" {
			t.Errorf("report %v was sealed by %q, want the phone", r["id"], r["sealed_by"])
		}
	}

	// Staff open the reports, and the first one: its photo shows, opened in
	// the browser; they reply and add a note.
	message := markers[2]
	staff.JS("open the reports", `location.hash = '#/?queue=all'`)
	staff.Until("the list opens the sealed reports", `document.querySelectorAll('#list [data-id]').length === 5 && !document.querySelector('#list [data-seal="opening"]') &&
		document.querySelector('#list').textContent.includes('`+message+`')`)
	staff.JS("open the report with the receipt", `(() => {
		for (const el of document.querySelectorAll('#list [data-id]')) if (el.textContent.includes('`+message+`')) { location.hash = '#/report/' + el.dataset.id; return; }
		throw new Error('no report in the list shows the message');
	})()`)
	staff.Until("the report and its follow-up open", `!!document.querySelector('#report [data-reply-sealed]') && document.querySelector('#report').textContent.includes('`+markers[3]+`')`)
	staff.Until("its photo opens", `[...document.querySelectorAll('#report img')].some((i) => i.src.startsWith('blob:') && i.naturalWidth > 0)`)
	sent, err := chromedp.Run(staff.Ctx, chromedp.Evaluate[string](`(async () => {
		const img = [...document.querySelectorAll('#report img')].find((i) => i.src.startsWith('blob:'));
		const b = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
		let s = ''; for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	sentPhoto, err := base64.StdEncoding.DecodeString(sent)
	if err != nil || len(sentPhoto) < 1000 {
		t.Fatalf("the photo as the phone sent it: %d bytes (%v)", len(sentPhoto), err)
	}
	staff.Fill("a reply", "#report [data-reply] textarea", mark("reply")+" come on Monday")
	staff.Click("send the reply", `#report [data-reply] button[type="submit"]`)
	staff.Until("the reply shown", `document.querySelector('#report').textContent.includes('`+last()+`')`)
	staff.Fill("a note", "#report [data-note] textarea", mark("note")+" called the shelter")
	staff.Click("add the note", `#report [data-note] button[type="submit"]`)
	staff.Until("the note shown", `document.querySelector('#report').textContent.includes('`+last()+`')`)

	// An export with contact details, built in the console's browser.
	staff.JS("catch the file the console makes", `(() => {
		window.exported = [];
		const make = URL.createObjectURL;
		URL.createObjectURL = (blob) => { window.exported.push(blob); return make(blob); };
	})()`)
	staff.JS("open the export", `location.hash = '#/stats'`)
	staff.Until("the export form", `!!document.querySelector('[data-export] button[type="submit"]')`)
	staff.Click("ask for contact details", `[data-export] [name="contact"]`)
	staff.Click("export", `[data-export] button[type="submit"]`)
	staff.Until("the file made with the opened text", `!!window.exported && window.exported.length > 0 &&
		window.exported[0].text().then((csv) => csv.includes('`+message+`') && csv.includes('+000 555 0142'))`)

	// The reporter reads the reply with the receipt.
	follow()
	phone.Until("the reply read on the phone", `document.getElementById('fu-messages').textContent.includes('come on Monday')`)

	// A new key epoch, and a report sealed to it.
	keysScreen("unlocked")
	staff.JS("say yes to what the console asks", `window.confirm = () => true`)
	staff.Click("start a new epoch", "[data-epoch-next]")
	staff.Until("epoch 2 listed", `!!document.querySelector('tr[data-epoch="2"]')`)
	keysScreen("unlocked")
	openApp(phone, bin.URL+"/?embassy=test-seized&lang=en")
	phone.Until("the new epoch taken", `self.homeward.db.get('meta', 'keys:`+embassy+`').then((k) => !!k && !k.broken && k.epoch === 2)`)
	phone.Click("write a report", `[data-go="report"]`)
	fileReport(phone, embassy, mark("epoch2")+" after the rotation", "")
	phone.Click("the receipt is written down", "#receipt-ok")
	phone.Click("done", "#receipt-done")
	phone.Until("the report sent", allSent)
	staff.JS("open the reports", `location.hash = '#/?queue=all'`)
	staff.Until("the report sealed to epoch 2 opens", `document.querySelector('#list').textContent.includes('`+last()+`')`)

	// A backup, as the nightly one is made.
	s.api(http.MethodPost, "/api/backups", map[string]any{"name": "seized.zip"}, nil)

	// The server is seized: stopped, and its files read.
	bin.Stop()
	needles := map[string][]byte{}
	for _, m := range markers {
		needles[m] = []byte(m)
	}
	// Windows of the photo as the phone sent it (re-encoded, before
	// sealing), from its start, its middle and its end.
	for _, at := range []int{0, len(sentPhoto) / 2, len(sentPhoto) - 64} {
		needles["the sent photo's bytes at "+strconv.Itoa(at)] = sentPhoto[at : at+48]
	}
	n := 0
	err = filepath.WalkDir(bin.DataDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		search(t, p, b, needles)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	output := []byte(bin.Output())
	for name, needle := range needles {
		if bytes.Contains(output, needle) {
			t.Errorf("the server's output holds %s", name)
		}
	}
	if n < 5 {
		t.Fatalf("only %d files in the data dir", n)
	}
	t.Logf("searched %d files and the server's output for %d markers and the photo as sent", n, len(markers))
}

// search fails t for each needle found in b, the content of the file at
// p; a zip (a backup) is searched entry by entry, decompressed.
func search(t *testing.T, p string, b []byte, needles map[string][]byte) {
	t.Helper()
	for name, needle := range needles {
		if bytes.Contains(b, needle) {
			t.Errorf("%s holds %s", p, name)
		}
	}
	if !bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", p, f.Name, err)
		}
		entry, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", p, f.Name, err)
		}
		search(t, p+"!"+f.Name, entry, needles)
	}
}
