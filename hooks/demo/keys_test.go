package demo_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/demo"
	"homeward/hooks/sealkeys"
	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

var b64 = base64.RawURLEncoding

// demoEmbassy returns the demo embassy slug after Load.
func demoEmbassy(t *testing.T, app core.App, slug string) *core.Record {
	t.Helper()
	rec, err := app.FindFirstRecordByData("embassies", "slug", slug)
	if err != nil {
		t.Fatalf("demo embassy %s: %v", slug, err)
	}
	return rec
}

// openDemoKey opens what a demo member of staff holds of their embassy's
// first epoch the way the console does, written out here independently
// of the code that made it: the backup with the passphrase, then the
// grant with the personal key. It returns the epoch's HPKE private key.
func openDemoKey(t *testing.T, app core.App, slug, passphrase string) (*ecdh.PrivateKey, *core.Record) {
	t.Helper()
	embassy := demoEmbassy(t, app, slug)
	member, err := app.FindAuthRecordByEmail("staff", demo.StaffEmail(slug))
	if err != nil {
		t.Fatalf("no demo staff for %s: %v", slug, err)
	}
	personal, err := app.FindFirstRecordByData(sealkeys.CollectionPersonal, "staff", member.Id)
	if err != nil {
		t.Fatalf("no personal key for %s: %v", member.Email(), err)
	}
	var backup sealkeys.Backup
	if err := json.Unmarshal([]byte(personal.GetString("backup")), &backup); err != nil {
		t.Fatal(err)
	}
	if err := backup.Validate(); err != nil {
		t.Fatalf("the demo backup is not one the key routes would take: %v", err)
	}
	salt, _ := b64.DecodeString(backup.Salt)
	iv, _ := b64.DecodeString(backup.IV)
	ct, _ := b64.DecodeString(backup.CT)
	key, err := pbkdf2.Key(sha256.New, passphrase, salt, backup.Iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	aad := "homeward personal key backup v1\x00staff\x00" + member.Id + "\x00kid\x00" + personal.GetString("kid")
	der, err := gcm.Open(nil, iv, ct, []byte(aad))
	if err != nil {
		t.Fatalf("the printed passphrase does not open the backup: %v", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	var personalKey *ecdh.PrivateKey
	switch k := parsed.(type) {
	case *ecdh.PrivateKey:
		personalKey = k
	default:
		type ecdher interface {
			ECDH() (*ecdh.PrivateKey, error)
		}
		ek, ok := parsed.(ecdher)
		if !ok {
			t.Fatalf("backup holds a %T", parsed)
		}
		if personalKey, err = ek.ECDH(); err != nil {
			t.Fatal(err)
		}
	}
	if got := b64.EncodeToString(personalKey.PublicKey().Bytes()); got != personal.GetString("public_key") {
		t.Fatalf("the backup holds another key than the public one")
	}

	epoch, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 1", dbx.Params{"e": embassy.Id})
	if err != nil {
		t.Fatalf("demo embassy %s has no epoch 1: %v", slug, err)
	}
	grant, err := app.FindFirstRecordByFilter(sealkeys.CollectionGrants, "staff = {:s} && key = {:k}", dbx.Params{"s": member.Id, "k": epoch.Id})
	if err != nil {
		t.Fatalf("the demo staff of %s hold no grant: %v", slug, err)
	}
	var wrapped sealkeys.Wrapped
	if err := json.Unmarshal([]byte(grant.GetString("wrapped")), &wrapped); err != nil {
		t.Fatal(err)
	}
	enc, _ := b64.DecodeString(wrapped.Enc)
	sealed, _ := b64.DecodeString(wrapped.CT)
	sk, err := hpke.NewDHKEMPrivateKey(personalKey)
	if err != nil {
		t.Fatal(err)
	}
	info := fmt.Sprintf("homeward key grant v1\x00embassy\x00%s\x00epoch\x001\x00kid\x00%s\x00staff\x00%s\x00holder\x00%s",
		embassy.Id, epoch.GetString("kid"), member.Id, personal.GetString("kid"))
	r, err := hpke.NewRecipient(enc, sk, hpke.HKDFSHA256(), hpke.AES128GCM(), []byte(info))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.Open(nil, sealed)
	if err != nil {
		t.Fatalf("the grant does not open with the personal key: %v", err)
	}
	var secret struct {
		V     int    `json:"v"`
		Epoch int    `json:"epoch"`
		Kid   string `json:"kid"`
		HPKE  string `json:"hpke"`
		Sign  string `json:"sign"`
	}
	if err := json.Unmarshal(plain, &secret); err != nil {
		t.Fatal(err)
	}
	if secret.V != 1 || secret.Epoch != 1 || secret.Kid != epoch.GetString("kid") || secret.Sign == "" {
		t.Fatalf("the grant names another epoch: %+v", secret)
	}
	d, _ := b64.DecodeString(secret.HPKE)
	priv, err := ecdh.P256().NewPrivateKey(d)
	if err != nil {
		t.Fatal(err)
	}
	if b64.EncodeToString(priv.PublicKey().Bytes()) != epoch.GetString("public_key") {
		t.Fatal("the granted private key is not the epoch's")
	}
	if seal.KeyID(priv.PublicKey().Bytes()) != epoch.GetString("kid") {
		t.Fatal("the epoch's kid is not its key's id")
	}
	return priv, epoch
}

// TestDemoKeysOpenWithThePrintedPassphrase: serve --demo gives every demo
// embassy a key epoch its demo staff member can open with the passphrase
// it prints, a report to it is stored sealed and opens with that key, and
// a second start keeps the keys and the passphrase.
func TestDemoKeysOpenWithThePrintedPassphrase(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	if err := demo.Load(app); err != nil {
		t.Fatal(err)
	}
	passphrase := readPassphrase(t, app)
	priv, epoch := openDemoKey(t, app, "demo-myanmar", passphrase)

	embassy := demoEmbassy(t, app, "demo-myanmar")
	rec := testserver.SaveRecord(t, app, "reports", map[string]any{
		"embassy": embassy.Id, "channel": "self", "people_count": 3, "language": "my", "message": "Demo marker 7731",
	})
	if rec.GetString("message") != "" || rec.GetString("sealed_by") != "server" {
		t.Fatalf("a report to a demo embassy is stored in clear (sealed_by %q)", rec.GetString("sealed_by"))
	}
	var env seal.Envelope
	if err := json.Unmarshal([]byte(rec.GetString("sealed")), &env); err != nil {
		t.Fatal(err)
	}
	clear, err := seal.ClearHash(seal.ReportClear(rec))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(priv, seal.Binding{Embassy: embassy.Id, Kid: epoch.GetString("kid"), Record: rec.Id, Clear: clear}, env)
	if err != nil || !strings.Contains(string(plain), "Demo marker 7731") {
		t.Fatalf("the demo key does not open the report: %v %s", err, plain)
	}

	// A second start: the same epochs, the same passphrase, still open.
	if err := demo.Load(app); err != nil {
		t.Fatal(err)
	}
	if again := readPassphrase(t, app); again != passphrase {
		t.Fatal("the demo passphrase changed on a restart")
	}
	for _, slug := range []string{"demo-indonesia", "demo-philippines", "demo-vietnam", "demo-myanmar"} {
		n, err := app.CountRecords(sealkeys.CollectionKeys, dbx.HashExp{"embassy": demoEmbassy(t, app, slug).Id})
		if err != nil || n != 1 {
			t.Fatalf("%s has %d key epochs after two starts (%v), want 1", slug, n, err)
		}
		openDemoKey(t, app, slug, passphrase)
	}
}

func readPassphrase(t *testing.T, app core.App) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(app.DataDir(), demo.DemoPassphraseFile))
	if err != nil {
		t.Fatal(err)
	}
	p := strings.TrimSpace(string(b))
	if len(p) < 12 {
		t.Fatalf("demo passphrase %q is shorter than the console accepts", p)
	}
	return p
}

// TestDemoStaffOpenADemoReportInTheConsole: in Chromium, the demo member
// of staff signs in to the real console, restores the demo personal key
// with the printed passphrase on the Keys screen (WebCrypto imports the
// PKCS #8 backup made in Go and opens the grant with @hpke/core), and
// reads a report the server sealed to the demo key.
func TestDemoStaffOpenADemoReportInTheConsole(t *testing.T) {
	app := testserver.NewApp(t, false)
	app.Settings().Meta.AppURL = "https://homeward.example.org"
	app.Settings().SMTP.Enabled = true
	app.Settings().Backups.S3.Enabled = true
	if err := demo.Load(app); err != nil {
		t.Fatal(err)
	}
	passphrase := readPassphrase(t, app)
	member, err := app.FindAuthRecordByEmail("staff", demo.StaffEmail("demo-vietnam"))
	if err != nil {
		t.Fatal(err)
	}
	member.SetPassword(testserver.Password) // the printed one is random
	if err := app.Save(member); err != nil {
		t.Fatal(err)
	}
	report := testserver.SaveRecord(t, app, "reports", map[string]any{
		"embassy": demoEmbassy(t, app, "demo-vietnam").Id, "channel": "self", "people_count": 2, "language": "vi",
		"message": "Demo console marker 5529",
	})
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 3*time.Minute)

	do := func(step string, a chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, a); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(step, js string) { t.Helper(); do(step, chromedp.Evaluate[chromedp.Void](js)) }
	// waitFor polls js; the console reloads itself once signed in (in
	// the member's language), and a poll cut by that starts again.
	waitFor := func(step, js string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(deadline))))
			if err == nil {
				return
			}
			if time.Now().After(deadline) || !(strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context with specified id")) {
				t.Fatalf("%s: %v", step, err)
			}
		}
	}
	fill := func(sel, value string) string {
		return `(() => { const el = document.querySelector(` + strconv.Quote(sel) + `); el.value = ` + strconv.Quote(value) +
			`; el.dispatchEvent(new Event('input', {bubbles: true})); })()`
	}
	do("size the window", chromedp.EmulateViewport(1280, 900))
	do("open the console", chromedp.Navigate(srv.URL+"/staff/#/keys"))
	waitFor("the sign-in form shows", `!document.querySelector('#login').hidden`)
	eval("type the e-mail", fill("#login-email", member.Email()))
	eval("type the password", fill("#login-password", testserver.Password))
	eval("sign in", `document.querySelector('#login-form button[type="submit"]').click()`)
	waitFor("signed in", `!!document.body.dataset.page && document.body.dataset.page !== 'login'`)
	eval("open the keys screen", `location.hash = '#/keys'`)
	waitFor("the keys screen asks to restore", `document.querySelector('#keys [data-vault-status]')?.dataset.vaultStatus === 'restore' && !document.querySelector('#keys').dataset.busy`)
	eval("type the printed passphrase", fill("#vault-restore-pass", passphrase))
	eval("restore", `document.querySelector('[data-personal-restore] button[type="submit"]').click()`)
	waitFor("the demo key opens", `document.querySelector('#keys [data-vault-status]')?.dataset.vaultStatus === 'unlocked' && !document.querySelector('#keys').dataset.busy`)
	eval("open the reports", `location.hash = '#/?queue=all'`)
	waitFor("the sealed demo report opens in the list",
		`!!document.querySelector('#list [data-id="`+report.Id+`"]') && document.querySelector('#list [data-id="`+report.Id+`"]').textContent.includes('Demo console marker 5529')`)
}
