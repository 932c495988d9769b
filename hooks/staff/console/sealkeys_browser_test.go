package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/reports"
	"homeward/hooks/sealkeys"
	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
	"homeward/internal/zbar"
)

const (
	passphraseX  = "river lantern copper seven"
	passphraseX2 = "quiet harbour maple twelve"
	passphraseX3 = "orange window basket ninety"
)

// sealedReport saves a report of embassy X with clear fields, then seals
// body to the embassy's key epoch as the phone does: bound to the embassy,
// the key id, the report id and the hash of the clear fields as stored.
func sealedReport(t *testing.T, app core.App, id string, epoch int, body seal.ReportBody) *core.Record {
	t.Helper()
	rec := testserver.SaveRecord(t, app, reports.CollectionReports, map[string]any{
		"id": id, "embassy": fixture.EmbassyX, "channel": "self", "people_count": 2, "nationality": "ID", "language": "id",
		"needs": []string{"shelter", "medical"}, "minors_present": true,
	})
	env := fixture.SealToX(t, app, epoch, id, seal.ReportClear(rec), body)
	rec.Set("sealed", env)
	rec.Set("sealed_by", "phone")
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// keyedConsole starts the console with staff X signed in, holding a
// personal key and embassy X's first key epoch, both made in the browser
// on the Keys screen.
func keyedConsole(t *testing.T, timeout time.Duration) (*tests.TestApp, *testserver.Server, context.Context, keysTab) {
	t.Helper()
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, timeout)
	a := keysTab{consoleSteps(t, ctx, watchConsole(ctx)), srv.URL}
	a.start("#/keys")
	a.signIn("x@example.org")
	a.makePersonal(passphraseX)
	a.status("waiting")
	// No colleague can grant a key no one has made: the first member of
	// staff is told the embassy has none, and its empty list says so too.
	a.waitFor("the keys screen says the embassy has no key yet", `document.querySelector('#keys [data-vault-status]').textContent.startsWith('Your embassy has no key yet')`)
	a.open("open a list with no report", "#/?queue=all&status=closed")
	a.waitFor("the empty list says the embassy has no key yet", `!!document.querySelector('#list [data-state] a[data-no-embassy-key][href="#/keys"]')`)
	a.open("open the keys screen again", "#/keys")
	a.status("waiting")
	a.click("create the embassy's key", "[data-embassy-create]")
	a.status("unlocked")
	return app, srv, ctx, a
}

// keysTab is one staff member's console in its own browser profile.
type keysTab struct {
	steps
	url string
}

// colleague opens a new browser profile beside ctx, where the member of
// staff email signs in to the console at url and makes their personal key
// under passphrase; it returns once they wait for the embassy's key.
func colleague(t *testing.T, ctx context.Context, url, email, passphrase string) keysTab {
	t.Helper()
	c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	k := keysTab{consoleSteps(t, c, watchConsole(c)), url}
	k.start("#/keys")
	k.signIn(email)
	k.makePersonal(passphrase)
	k.status("waiting")
	return k
}

// start opens the console at hash in the tab, saying yes to every confirm.
func (k keysTab) start(hash string) {
	k.t.Helper()
	k.do("open the console", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(k.url+"/staff/"+hash))
	k.do("confirm what is asked", chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`))
}

// open goes to a screen of the console, as following a link does: the
// screen reads what it shows again, even when it is the one shown. What
// the screens showed before is cleared first, so no step acts on it.
func (k keysTab) open(what, hash string) {
	k.t.Helper()
	k.do(what, chromedp.Evaluate[chromedp.Void](`(async () => {
		const hash = `+strconv.Quote(hash)+`;
		const page = hash === '#/keys' ? 'keys' : hash.startsWith('#/report/') ? 'report' : 'reports';
		if (location.hash === hash) {
			location.hash = '#/stats';
			while (document.body.dataset.page !== 'stats') await new Promise((ok) => setTimeout(ok, 20));
		}
		for (const el of document.querySelectorAll('#keys, #report, #list [data-rows]')) el.replaceChildren();
		location.hash = hash;
		while (document.body.dataset.page !== page) await new Promise((ok) => setTimeout(ok, 20));
	})()`, chromedp.EvalAwaitPromise))
}

func (k keysTab) status(want string) {
	k.t.Helper()
	k.waitFor("the keys screen says "+want, `document.querySelector('#keys [data-vault-status]').dataset.vaultStatus === '`+want+`' && !document.querySelector('#keys').dataset.busy`)
}

// makePersonal makes the signed-in member's personal key on the keys screen.
func (k keysTab) makePersonal(passphrase string) {
	k.t.Helper()
	k.open("open the keys screen", "#/keys")
	k.status("none")
	k.fill("type a passphrase", `[data-personal-make="make"] [name="pass"]`, passphrase)
	k.fill("type it again", `[data-personal-make="make"] [name="pass2"]`, passphrase)
	k.click("make the personal key", `[data-personal-make="make"] button[type="submit"]`)
}

// sees waits for a report's message to show in the list.
func (k keysTab) sees(id, text string) {
	k.t.Helper()
	k.waitFor("report "+id+" opens in the list", `document.querySelector('#list [data-id="`+id+`"]').textContent.includes(`+strconv.Quote(text)+`)`)
}

// TestEmbassyKeysInTheBrowser drives the key lifecycle in Chromium on the
// real console: staff X makes a personal key and the embassy's key, staff
// X2 (another browser profile) makes a personal key and is granted the
// embassy's key; a report sealed in Go to the browser-made key opens in
// both consoles, and one whose clear fields were changed says it does not
// open; removing X2 starts epoch 2, whose chain verifies in Go and whose
// reports X2 cannot open; a fresh browser restores X's key with the
// passphrase, opens both epochs, and changes the passphrase.
func TestEmbassyKeysInTheBrowser(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	ctxA := browsertest.New(t, 5*time.Minute)
	a := keysTab{consoleSteps(t, ctxA, watchConsole(ctxA)), srv.URL}

	// X: the personal key, then the embassy's key.
	a.start("#/keys")
	a.signIn("x@example.org")
	a.makePersonal(passphraseX)
	a.status("waiting")
	a.waitFor("the personal key is not extractable", `new Promise((ok) => {
		const req = indexedDB.open('homeward-staff-keys');
		req.onsuccess = () => { const g = req.result.transaction('personal').objectStore('personal').get('`+fixture.StaffX+`');
			g.onsuccess = () => ok(!!g.result && g.result.pair.privateKey.extractable === false && g.result.pair.privateKey.type === 'private'); };
	})`)
	personal, err := app.FindFirstRecordByData(sealkeys.CollectionPersonal, "staff", fixture.StaffX)
	if err != nil {
		t.Fatalf("X's personal key is not on the server: %v", err)
	}
	var backup sealkeys.Backup
	if err := json.Unmarshal([]byte(personal.GetString("backup")), &backup); err != nil || backup.Iterations < 600000 || backup.KDF != "PBKDF2-SHA256" {
		t.Fatalf("X's backup is %+v (%v)", backup, err)
	}
	a.click("create the embassy's key", "[data-embassy-create]")
	a.status("unlocked")
	epoch1, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 1", dbx.Params{"e": fixture.EmbassyX})
	if err != nil {
		t.Fatalf("no epoch 1 on the server: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(epoch1.GetString("public_key"))
	if seal.KeyID(raw) != epoch1.GetString("kid") || epoch1.GetString("signature") != "" || epoch1.GetString("created_by") != fixture.StaffX {
		t.Fatalf("epoch 1 is %v", epoch1.FieldsData())
	}
	shotFull(t, ctxA, "staff-keys")

	// X2, in another profile: a personal key, then granted by X.
	b := colleague(t, ctxA, srv.URL, "x2@example.org", passphraseX2)
	b.waitFor("X2's screen shows the personal key's fingerprint", `!!document.querySelector('[data-personal-kid]')`)
	fingerprintX2, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('[data-personal-kid]').textContent`))
	if err != nil || len(fingerprintX2) != 19 {
		t.Fatalf("X2's fingerprint reads %q (%v)", fingerprintX2, err)
	}
	a.open("read the keys again", "#/keys")
	a.waitFor("X2's key is listed with its fingerprint", `!!document.querySelector('tr[data-member="`+fixture.StaffX2+`"] code')`)
	a.do("keep what is asked", chromedp.Evaluate[chromedp.Void](`window.confirm = (m) => { window.asked = m; return true; }`))
	a.click("grant the key to X2", `[data-grant="`+fixture.StaffX2+`"]`)
	a.waitFor("X2 holds epoch 1", `document.querySelector('tr[data-member="`+fixture.StaffX2+`"]').dataset.holds === '1'`)
	a.waitFor("X was asked to compare the fingerprint X2's own screen shows", `window.asked.includes(`+strconv.Quote(fingerprintX2)+`)`)

	// Reports sealed in Go to the key made in the browser.
	sealedReport(t, app, "sealedr0000000000001", 1, seal.ReportBody{
		Message: "Sealed marker one: we are four at the river compound.", ContactPhone: "+000 555 0101",
		CompoundLocation: "river compound, block D", CompoundPoint: &seal.Point{Lon: 103.5, Lat: 10.6},
	})
	moved := sealedReport(t, app, "sealedr0000000000002", 1, seal.ReportBody{Message: "Sealed marker two."})
	moved.Set("people_count", 9) // a clear field changed after sealing
	if err := app.Save(moved); err != nil {
		t.Fatal(err)
	}

	a.open("open every report", "#/?queue=all")
	a.sees("sealedr0000000000001", "Sealed marker one")
	a.waitFor("the changed report says it does not open", `!!document.querySelector('#list [data-id="sealedr0000000000002"] [data-seal="broken"]')`)
	if ms, err := chromedp.Run(ctxA, chromedp.Evaluate[string](`document.querySelector('#list').dataset.unsealMs || ''`)); err == nil {
		t.Logf("a page with 2 sealed reports opened in %s ms", ms)
	}
	a.click("open the sealed report", `[data-id="sealedr0000000000001"] a.report-link`)
	a.waitFor("its sealed fields show", `document.querySelector('[data-field="contact_phone"]').textContent === '+000 555 0101' &&
		document.querySelector('[data-field="compound_location"]').textContent === 'river compound, block D' &&
		document.querySelector('.reporter-text').textContent.startsWith('Sealed marker one') && !!document.querySelector('[data-seal="open"]')`)
	a.do("count print dialogs", chromedp.Evaluate[chromedp.Void](`window.printed = 0; window.print = () => { window.printed++; }`))
	a.click("print its case sheet", "#report [data-print]")
	a.waitFor("the sheet shows the sealed message", `!!document.querySelector('[data-case-sheet]') && window.printed === 1 &&
		document.querySelector('[data-case-sheet]').textContent.includes('Sealed marker one')`)
	a.open("open the changed report", "#/report/sealedr0000000000002")
	a.waitFor("it says plainly that it does not open", `!!document.querySelector('#report [data-seal="broken"][role="alert"]')`)
	a.click("try to print it", "#report [data-print]")
	a.waitFor("it is not printed", `document.body.dataset.page === 'print' && !document.querySelector('[data-case-sheet]') &&
		document.querySelector('#print [role="alert"]').textContent.includes('does not open') && window.printed === 1`)
	if n := len(fixture.FindEvents(t, app, dbx.HashExp{"report": "sealedr0000000000002", "kind": "print"})); n != 0 {
		t.Fatalf("a print of the report that does not open was logged %d times", n)
	}

	b.open("X2 reads the keys again", "#/keys")
	b.status("unlocked")
	b.open("X2 opens every report", "#/?queue=all")
	b.sees("sealedr0000000000001", "Sealed marker one")

	// X removes X2: epoch 2, signed in X's browser by epoch 1.
	a.open("back to the keys", "#/keys")
	a.click("remove X2", `[data-remove="`+fixture.StaffX2+`"]`)
	a.waitFor("epoch 2 is listed, the chain checked", `!!document.querySelector('tr[data-epoch="2"]') && document.querySelector('[data-chain]').dataset.chain === 'ok'`)
	a.do("a phone-sized screen", chromedp.EmulateViewport(390, 844))
	a.waitFor("the keys screen fits a phone: its tables scroll in their own box", `document.documentElement.scrollWidth <= window.innerWidth`)
	a.do("a desk-sized screen again", chromedp.EmulateViewport(1280, 900))
	a.status("unlocked")
	epoch2, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 2", dbx.Params{"e": fixture.EmbassyX})
	if err != nil {
		t.Fatalf("no epoch 2 on the server: %v", err)
	}
	statement := seal.ChainStatement(fixture.EmbassyX, 2, epoch2.GetString("kid"), epoch2.GetString("public_key"), epoch2.GetString("verify_key"))
	if !seal.VerifyChain(epoch1.GetString("verify_key"), statement, epoch2.GetString("signature")) {
		t.Fatal("epoch 2's signature does not verify with epoch 1's key in Go")
	}
	if n, _ := app.CountRecords(sealkeys.CollectionGrants, dbx.HashExp{"staff": fixture.StaffX2}); n != 0 {
		t.Fatalf("the removed member still has %d grants", n)
	}
	sealedReport(t, app, "sealedr0000000000003", 2, seal.ReportBody{Message: "Sealed marker three, after the removal."})
	a.open("X opens the new report", "#/?queue=all")
	a.sees("sealedr0000000000003", "Sealed marker three")
	a.sees("sealedr0000000000001", "Sealed marker one")

	b.open("X2 reads the keys again", "#/keys")
	b.status("waiting")
	b.open("X2 looks at the reports", "#/?queue=all")
	b.waitFor("X2 cannot open the new report", `!!document.querySelector('#list [data-id="sealedr0000000000003"] [data-seal="locked"]')`)
	b.waitFor("nor the old ones", `!!document.querySelector('#list [data-id="sealedr0000000000001"] [data-seal="locked"]')`)
	b.waitFor("and nothing sealed shows", `!document.querySelector('#list').textContent.includes('Sealed marker')`)
	// The reporter writes again, sealed to epoch 2. X2 sees that a message
	// came but cannot read it: it is not marked read, and the report waits.
	const lockedMsg = "lockedmsg000001"
	env := fixture.SealToX(t, app, 2, lockedMsg, []seal.Field{{Name: "report", Value: "sealedr0000000000003"}, {Name: "direction", Value: "reporter"}},
		seal.MessageBody{Body: "Sealed marker four."})
	testserver.SaveRecord(t, app, "messages", map[string]any{"id": lockedMsg, "report": "sealedr0000000000003", "direction": "reporter", "sealed": env})
	b.do("watch what X2 marks read", chromedp.Evaluate[chromedp.Void](watchMarks))
	b.open("X2 opens the report", "#/report/sealedr0000000000003")
	b.waitFor("the message shows, locked", `!!document.querySelector('#report [data-messages] .from-reporter [data-seal="locked"]')`)
	b.waitFor("and is not marked read", `window.marked.length === 0`)
	if m, err := app.FindRecordById("messages", lockedMsg); err != nil || m.GetBool("read_by_staff") {
		t.Fatalf("a message X2 could not open was marked read by staff (%v)", err)
	}

	// A fresh browser: X restores the personal key with the passphrase.
	ctxC := browsertest.New(t, 5*time.Minute)
	c := keysTab{consoleSteps(t, ctxC, watchConsole(ctxC)), srv.URL}
	c.start("#/keys")
	c.signIn("x@example.org")
	c.status("restore")
	c.fill("type a wrong passphrase", "#vault-restore-pass", "not the passphrase at all")
	c.click("restore", `[data-personal-restore] button[type="submit"]`)
	c.waitFor("the wrong passphrase is refused", `document.querySelector('[data-vault-error]').textContent === 'That passphrase does not open your key.'`)
	c.status("restore")
	restore(c, passphraseX)
	c.status("unlocked")
	c.open("open every report", "#/?queue=all")
	c.sees("sealedr0000000000003", "Sealed marker three")
	c.sees("sealedr0000000000001", "Sealed marker one")

	// A new passphrase: the old one no longer opens the backup.
	c.open("back to the keys", "#/keys")
	c.status("unlocked")
	c.fill("the current passphrase", "#vault-current", passphraseX)
	c.fill("a new passphrase", "#vault-new", passphraseX3)
	c.fill("the new passphrase again", "#vault-new2", passphraseX3)
	c.click("change the passphrase", `[data-passphrase-change] button[type="submit"]`)
	c.waitFor("the passphrase is changed", `document.querySelector('#announce').textContent === 'Your passphrase is changed.'`)
	c.do("forget the key in this browser", chromedp.Evaluate[chromedp.Void](`new Promise((ok) => { const r = indexedDB.deleteDatabase('homeward-staff-keys'); r.onsuccess = r.onerror = r.onblocked = () => ok(); })`, chromedp.EvalAwaitPromise))
	c.open("open the keys again", "#/keys")
	c.status("restore")
	restore(c, passphraseX)
	c.waitFor("the old passphrase is refused", `document.querySelector('[data-vault-error]').textContent === 'That passphrase does not open your key.'`)
	restore(c, passphraseX3)
	c.status("unlocked")

	// How long a page of 100 sealed reports takes to open (not a test of
	// speed: the figure is logged for docs/BENCHMARKS.md).
	for i := range 97 {
		sealedReport(t, app, "sealedm"+strconv.Itoa(1000000000000+i), 2, seal.ReportBody{Message: "Sealed page marker " + strconv.Itoa(i)})
	}
	c.open("a page of 100", "#/?queue=all&per=100")
	c.waitFor("every sealed report on the page opens", `document.querySelectorAll('#list [data-id]').length === 100 &&
		!document.querySelector('#list [data-seal="opening"]') && document.querySelectorAll('#list [data-seal="locked"], #list [data-seal="broken"]').length === 1`)
	if ms, err := chromedp.Run(ctxC, chromedp.Evaluate[string](`document.querySelector('#list').dataset.unsealMs || ''`)); err == nil {
		t.Logf("a page of 100 sealed reports (one of them changed after sealing) opened in %s ms", ms)
	}

	for _, tab := range []keysTab{a, b, c} {
		if p := tab.problems(); len(p) > 0 {
			t.Fatalf("the console logged errors: %v", p)
		}
	}
}

func restore(c keysTab, passphrase string) {
	c.t.Helper()
	c.fill("type the passphrase", "#vault-restore-pass", passphrase)
	c.click("restore", `[data-personal-restore] button[type="submit"]`)
	c.waitFor("the restore is done", `!document.querySelector('#keys').dataset.busy && document.querySelector('#announce').textContent !== 'Working on the keys…'`)
}

// TestPaperRecoveryInTheBrowser: staff X makes the embassy's key and its
// three recovery shares (read off the screen as they would be printed);
// a superuser then sets an escrow key, which the Keys screen shows every
// member as new, and X starts epoch 2, which is sealed to the recovery key
// and the escrow key too (the escrow's private key opens its reports). Every
// passphrase is then lost: staff X2, who never held the key, makes a
// personal key in another profile and rebuilds the embassy's key from
// shares 1 and 3 (a mistyped share is named first), and opens reports of
// both epochs.
func TestPaperRecoveryInTheBrowser(t *testing.T) {
	app, srv, ctxA, a := keyedConsole(t, 5*time.Minute)
	a.click("make recovery shares", "[data-recovery-make]")
	a.waitFor("three shares are shown", `document.querySelectorAll('[data-share]').length === 3`)
	shotFull(t, ctxA, "staff-keys-recovery")
	shares, err := chromedp.Run(ctxA, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-share]')].map((el) => el.textContent)`))
	if err != nil || len(shares) != 3 {
		t.Fatalf("shares: %v (%v)", shares, err)
	}
	// Each share is printed with its QR code too, drawn in the browser:
	// zbarimg reads the share back from the code as shown.
	for i, share := range shares {
		png, err := chromedp.Run(ctxA, chromedp.ScreenshotScale(chromedp.CSS(`[data-recovery-shares] > div:nth-of-type(`+strconv.Itoa(i+1)+`) svg.share-code`), 2))
		if err != nil {
			t.Fatalf("share %d's code: %v", i+1, err)
		}
		if got := strings.TrimSpace(zbar.Decode(t, png)); got != strings.ToUpper(share) {
			t.Errorf("share %d's code reads %q, want %q", i+1, got, strings.ToUpper(share))
		}
	}
	rec, err := app.FindFirstRecordByData("embassy_recovery", "embassy", fixture.EmbassyX)
	if err != nil {
		t.Fatalf("no recovery key on the server: %v", err)
	}
	for _, s := range shares {
		if strings.Contains(rec.GetString("wrapped"), strings.ReplaceAll(s, " ", "")[:16]) {
			t.Fatal("a share is on the server")
		}
	}
	a.open("back to the keys", "#/keys")
	a.waitFor("the shares are not shown again", `!!document.querySelector('[data-recovery-card]') && !document.querySelector('[data-share]')`)
	a.waitFor("the keys screen says there is no escrow key", `document.querySelector('[data-escrow-card] [data-escrow]').dataset.escrow === '' &&
		!document.querySelector('[data-escrow-warning]')`)

	// A superuser sets an escrow key (`escrow set`): every member is told,
	// and the next epoch made in X's browser is sealed to it too.
	escrowFile := filepath.Join(t.TempDir(), "escrow.pem")
	escrowPublic, err := sealkeys.WriteEscrowKey(escrowFile)
	if err != nil {
		t.Fatal(err)
	}
	const ministry = "Ministry of Foreign Affairs: key custodian"
	escrowRec, err := sealkeys.SetEscrow(app, "x", ministry, escrowPublic)
	if err != nil {
		t.Fatal(err)
	}
	escrowKid := escrowRec.GetString("kid")
	a.open("read the keys again", "#/keys")
	a.waitFor("the escrow is shown with its holder and fingerprint, and as new", `document.querySelector('[data-escrow-card] [data-escrow]').dataset.escrow === `+strconv.Quote(escrowKid)+` &&
		document.querySelector('[data-escrow-card]').textContent.includes(`+strconv.Quote(ministry)+`) &&
		document.querySelector('[data-escrow-card]').textContent.includes(`+strconv.Quote(seal.Fingerprint(escrowKid))+`) &&
		!!document.querySelector('[data-escrow-warning][role="alert"]')`)
	a.do("keep what is asked", chromedp.Evaluate[chromedp.Void](`window.asked = []; window.confirm = (m) => { window.asked.push(m); return true; }`))
	a.click("start a new epoch", "[data-epoch-next]")
	a.waitFor("epoch 2 is listed, sealed to the escrow", `document.querySelector('tr[data-epoch="2"]')?.dataset.escrow === `+strconv.Quote(escrowKid)+` &&
		document.querySelector('[data-escrow-epochs]').dataset.escrowEpochs === '2' && !document.querySelector('[data-escrow-warning]') &&
		!document.querySelector('[data-escrow-broken]')`)
	shotFull(t, ctxA, "staff-keys-escrow")
	a.waitFor("X was asked before sealing it to the escrow", `window.asked.some((m) => m.includes(`+strconv.Quote(ministry)+`) && m.includes(`+strconv.Quote(seal.Fingerprint(escrowKid))+`))`)
	a.status("unlocked")
	sealedReport(t, app, "recovered00000000001", 1, seal.ReportBody{Message: "Recovery marker one."})
	sealedReport(t, app, "recovered00000000002", 2, seal.ReportBody{Message: "Recovery marker two."})
	// The escrow's holder opens what is sealed to epoch 2, offline, with
	// the private key alone; epoch 1, made before, stays closed to it.
	escrowKey, err := sealkeys.ReadEscrowKey(escrowFile)
	if err != nil {
		t.Fatal(err)
	}
	if opened, err := sealkeys.OpenWithEscrow(app, escrowKey, "recovered00000000002"); err != nil || opened.Report.Message != "Recovery marker two." {
		t.Fatalf("the escrow opens the report of epoch 2 as %+v (%v)", opened, err)
	}
	if _, err := sealkeys.OpenWithEscrow(app, escrowKey, "recovered00000000001"); !errors.Is(err, sealkeys.ErrNoEscrowCopy) {
		t.Fatalf("the escrow opened a report of epoch 1: %v", err)
	}

	b := colleague(t, ctxA, srv.URL, "x2@example.org", passphraseX2)
	b.waitFor("X2, who holds nothing, is told of the escrow too", `document.querySelector('[data-escrow-card] [data-escrow]').dataset.escrow === `+strconv.Quote(escrowKid)+` &&
		document.querySelector('[data-escrow-card]').textContent.includes(`+strconv.Quote(ministry)+`)`)
	typo := []byte(shares[2])
	if typo[0] == 'a' {
		typo[0] = 'b'
	} else {
		typo[0] = 'a'
	}
	b.fill("type share 1", "#vault-share-a", shares[0])
	b.fill("type share 3 with a typo", "#vault-share-b", string(typo))
	b.click("rebuild", `[data-recover] button[type="submit"]`)
	b.waitFor("the mistyped share is named", `document.querySelector('[data-vault-error]').textContent === 'Recovery share 2 has a typo: check it against the paper.'`)
	b.fill("type share 1", "#vault-share-a", shares[0])
	b.fill("type share 1 again", "#vault-share-b", shares[0])
	b.click("rebuild", `[data-recover] button[type="submit"]`)
	b.waitFor("one share twice does not rebuild it", `document.querySelector('[data-vault-error]').textContent.startsWith('These shares do not rebuild')`)
	b.fill("type share 1", "#vault-share-a", shares[0])
	b.fill("type share 3", "#vault-share-b", strings.ToUpper(shares[2]))
	b.click("rebuild", `[data-recover] button[type="submit"]`)
	b.status("unlocked")
	b.waitFor("X2 holds both epochs", `document.querySelector('tr[data-member="`+fixture.StaffX2+`"]').dataset.holds === '1,2'`)
	if n, _ := app.CountRecords("embassy_key_grants", dbx.HashExp{"staff": fixture.StaffX2}); n != 2 {
		t.Fatalf("X2 has %d grants, want 2", n)
	}
	b.open("open every report", "#/?queue=all")
	b.sees("recovered00000000001", "Recovery marker one")
	b.sees("recovered00000000002", "Recovery marker two")
	for _, tab := range []keysTab{a, b} {
		if p := tab.problems(); len(p) > 0 {
			t.Fatalf("the console logged errors: %v", p)
		}
	}
}

// TestConsoleReloadsWhileItsKeyStoreOpens: leaving the console just after
// signing in, while its first IndexedDB open is still making the key
// store, and coming back, again and again, the keys screen still opens.
// A page kept in the back-forward cache with that open pending held up
// every later open ("Reading the keys…" for ever); the console's page is
// served no-store, which keeps it out of that cache.
func TestConsoleReloadsWhileItsKeyStoreOpens(t *testing.T) {
	app := fixture.NewApp(t)
	fixture.ConfigureAll(app)
	srv := testserver.Start(t, app)
	res, err := http.Get(srv.URL + "/staff/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("the console's page is served with Cache-Control %q, want no-store", got)
	}
	ctx := browsertest.New(t, 3*time.Minute)
	k := keysTab{consoleSteps(t, ctx, watchConsole(ctx)), srv.URL}
	k.start("#/keys")
	k.signIn("x@example.org")
	for i := range 3 {
		k.do("leave and come back "+strconv.Itoa(i+1), chromedp.Navigate("about:blank"), chromedp.Navigate(srv.URL+"/staff/#/keys"))
		k.status("none")
	}
}
