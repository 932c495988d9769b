package sealkeys_test

import (
	"crypto/ecdh"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/sealkeys"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

const escrowLabel = "Ministry of Foreign Affairs: key custodian"

// escrowFixture is an escrow key pair made as `escrow keygen` makes it.
type escrowFixture struct {
	file   string
	public string
	key    *ecdh.PrivateKey
}

func newEscrow(t testing.TB) escrowFixture {
	t.Helper()
	file := filepath.Join(t.TempDir(), "escrow.pem")
	pub, err := sealkeys.WriteEscrowKey(file)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sealkeys.ReadEscrowKey(file)
	if err != nil {
		t.Fatal(err)
	}
	if b64.EncodeToString(key.PublicKey().Bytes()) != pub {
		t.Fatal("the key read back is not the key written")
	}
	return escrowFixture{file: file, public: pub, key: key}
}

func (x escrowFixture) kid() string { return seal.KeyID(x.key.PublicKey().Bytes()) }

// set sets x as embassy X's escrow key, as `escrow set x` does.
func (x escrowFixture) set(t testing.TB, app core.App) {
	t.Helper()
	if _, err := sealkeys.SetEscrow(app, "x", escrowLabel, x.public); err != nil {
		t.Fatal(err)
	}
}

// copyFor seals epoch n's keys k to the escrow as a staff browser does,
// signed by k for the label: the escrow item of POST /epochs.
func (x escrowFixture) copyFor(t testing.TB, n int, k epochKeys, label string) map[string]any {
	t.Helper()
	d, err := k.sign.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := json.Marshal(sealkeys.EpochSecret{V: 1, Epoch: n, Kid: k.kid(), HPKE: b64.EncodeToString(k.kem.Bytes()), Sign: b64.EncodeToString(d)})
	pk, err := hpke.NewDHKEMPublicKey(x.key.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	enc, sender, err := hpke.NewSender(pk, hpke.HKDFSHA256(), hpke.AES128GCM(), sealkeys.EscrowInfo(embassyX, n, k.kid(), x.kid()))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := sender.Seal(nil, secret)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"kid": x.kid(), "label": label,
		"signature": testserver.SignChain(t, k.sign, sealkeys.EscrowStatement(embassyX, n, k.kid(), x.kid(), label)),
		"wrapped":   map[string]string{"enc": b64.EncodeToString(enc), "ct": b64.EncodeToString(ct)},
	}
}

// epochWithEscrow is epoch 2 of X with keys next, signed by epoch 1,
// granted to both holders, with escrow (nil for none).
func (w *world) epochWithEscrow(t testing.TB, next epochKeys, escrow map[string]any) *strings.Reader {
	b := map[string]any{
		"epoch": 2, "kid": next.kid(), "public_key": next.public(), "verify_key": next.verify(),
		"signature": w.epoch1.signs(t, embassyX, 2, next), "grants": []map[string]any{w.grant(staffX), w.grant(staffX2)},
	}
	if escrow != nil {
		b["escrow"] = escrow
	}
	return body(t, b)
}

func TestEpochsFollowTheEscrowSetting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	x := newEscrow(t)
	other := newEscrow(t)
	next := newEpochKeys(t)
	withEscrow := func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) { x.set(t, app) }
	refused := func(code string) []string { return []string{`"escrow":{"code":"` + code + `"`} }
	noEscrowGrants := func(t testing.TB, app *tests.TestApp, res *http.Response) {
		unchanged(t, app)
		unchangedCount(t, app, sealkeys.CollectionEscrowGrants, 0)
	}
	scenarios := []tests.ApiScenario{
		w.as(staffX, tests.ApiScenario{
			Name: "no escrow is set by default: the state says so", Method: http.MethodGet, URL: "/api/sealkeys",
			ExpectedStatus: 200, ExpectedContent: []string{`"escrow":null`, `"escrow_kid":""`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "with no escrow set, an epoch sealed to one is refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochWithEscrow(t, next, x.copyFor(t, 2, next, escrowLabel)), ExpectedStatus: 400,
			ExpectedContent: refused("validation_no_escrow"), ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: noEscrowGrants,
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "with no escrow set, an epoch has no escrow copy", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochWithEscrow(t, next, nil), ExpectedStatus: 200, ExpectedContent: []string{`"epoch":2`, `"escrow_kid":""`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 3, "OnModelCreate": 3, "OnRecordValidate": 3, "OnModelValidate": 3,
				"OnRecordAfterCreateSuccess": 3, "OnModelAfterCreateSuccess": 3, "OnRecordCreateExecute": 3, "OnModelCreateExecute": 3},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				unchangedCount(t, app, sealkeys.CollectionEscrowGrants, 0)
			},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "the state shows every member the escrow set", Method: http.MethodGet, URL: "/api/sealkeys", BeforeTestFunc: withEscrow,
			ExpectedStatus: 200, ExpectedContent: []string{`"escrow":{"kid":"` + x.kid() + `","label":"` + escrowLabel + `","public_key":"` + x.public + `"`},
			ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "with an escrow set, an epoch not sealed to it is refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withEscrow, Body: w.epochWithEscrow(t, next, nil), ExpectedStatus: 400,
			ExpectedContent: refused("validation_escrow_missing"), ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: noEscrowGrants,
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an epoch sealed to another escrow key is refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withEscrow, Body: w.epochWithEscrow(t, next, other.copyFor(t, 2, next, escrowLabel)), ExpectedStatus: 400,
			ExpectedContent: refused("validation_stale_escrow"), ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: noEscrowGrants,
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an epoch signed for another holder's label is refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withEscrow, Body: w.epochWithEscrow(t, next, x.copyFor(t, 2, next, "Someone else")), ExpectedStatus: 400,
			ExpectedContent: refused("validation_stale_escrow"), ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: noEscrowGrants,
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an escrow not signed by the new epoch's own key is refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withEscrow, Body: w.epochWithEscrow(t, next, x.copyFor(t, 2, w.epoch1, escrowLabel)), ExpectedStatus: 400,
			ExpectedContent: refused("validation_bad_signature"), ExpectedEvents: map[string]int{"*": 0}, AfterTestFunc: noEscrowGrants,
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an epoch made after the escrow is set is sealed to it, the escrow signed into the epoch", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withEscrow, Body: w.epochWithEscrow(t, next, x.copyFor(t, 2, next, escrowLabel)), ExpectedStatus: 200,
			ExpectedContent: []string{`"epoch":2`, `"escrow_kid":"` + x.kid() + `"`, `"escrow_label":"` + escrowLabel + `"`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 4, "OnModelCreate": 4, "OnRecordValidate": 4, "OnModelValidate": 4,
				"OnRecordAfterCreateSuccess": 4, "OnModelAfterCreateSuccess": 4, "OnRecordCreateExecute": 4, "OnModelCreateExecute": 4},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				key, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 2", dbx.Params{"e": embassyX})
				if err != nil {
					t.Fatal(err)
				}
				st := sealkeys.EscrowStatement(embassyX, 2, key.GetString("kid"), key.GetString("escrow_kid"), key.GetString("escrow_label"))
				if key.GetString("escrow_kid") != x.kid() || !seal.VerifyChain(key.GetString("verify_key"), st, key.GetString("escrow_signature")) {
					t.Errorf("epoch 2 names the escrow %q, signed %v", key.GetString("escrow_kid"), seal.VerifyChain(key.GetString("verify_key"), st, key.GetString("escrow_signature")))
				}
				g, err := app.FindFirstRecordByData(sealkeys.CollectionEscrowGrants, "key", key.Id)
				if err != nil {
					t.Fatalf("no escrow copy of epoch 2: %v", err)
				}
				var wr sealkeys.Wrapped
				json.Unmarshal([]byte(g.GetString("wrapped")), &wr)
				priv, err := sealkeys.OpenEscrowCopy(x.key, embassyX, 2, next.kid(), next.public(), wr)
				if err != nil || !priv.Equal(next.kem) {
					t.Errorf("the escrow copy opens to another key (%v)", err)
				}
				if _, err := sealkeys.OpenEscrowCopy(other.key, embassyX, 2, next.kid(), next.public(), wr); !errors.Is(err, sealkeys.ErrEscrowCopy) {
					t.Errorf("another escrow key opens the copy: %v", err)
				}
			},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "staff cannot set an escrow key", Method: http.MethodPost, URL: "/api/collections/embassy_escrow/records",
			Body: body(t, map[string]any{"embassy": embassyX, "label": "us", "public_key": x.public}), ExpectedStatus: 403,
			ExpectedContent: []string{"Only superusers"}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as("superuser", tests.ApiScenario{
			Name: "a superuser sets one in the dashboard; the server computes its key id", Method: http.MethodPost, URL: "/api/collections/embassy_escrow/records",
			Body: body(t, map[string]any{"embassy": embassyX, "label": escrowLabel, "public_key": x.public, "kid": "forged0000000000"}), ExpectedStatus: 200,
			ExpectedContent: []string{`"kid":"` + x.kid() + `"`}, NotExpectedContent: []string{"forged"},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreateRequest": 1, "OnRecordEnrich": 1, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
				"OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1, "OnRecordCreateExecute": 1, "OnModelCreateExecute": 1},
		}),
		w.as("superuser", tests.ApiScenario{
			Name: "an escrow key that is not a P-256 point is refused", Method: http.MethodPost, URL: "/api/collections/embassy_escrow/records",
			Body: body(t, map[string]any{"embassy": embassyX, "label": escrowLabel, "public_key": "B" + strings.Repeat("A", 86)}), ExpectedStatus: 400,
			ExpectedContent: []string{`"public_key":{"code":"validation_invalid_key"`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreateRequest": 1, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
				"OnRecordAfterCreateError": 1, "OnModelAfterCreateError": 1},
		}),
		w.as("superuser", tests.ApiScenario{
			Name: "escrow copies are written only with their epoch", Method: http.MethodPost, URL: "/api/collections/embassy_escrow_grants/records",
			Body:           body(t, map[string]any{"embassy": embassyX, "key": "epochx100000001", "epoch": 1, "escrow_kid": x.kid(), "wrapped": wrapped()}),
			ExpectedStatus: 403, ExpectedContent: []string{"written only with their key epoch"}, ExpectedEvents: map[string]int{"*": 0, "OnRecordCreateRequest": 1},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestTheEscrowKeyOpensAReportSealedToItsEpoch: embassy X's escrow is set,
// epoch 2 is made (sealed to the escrow as a browser seals it); a report
// and a reporter's message stored then are sealed by the server to epoch
// 2, and `escrow open` with the escrow's private key file prints them
// opened. A report of epoch 1, made before the escrow, does not open with
// it, and another escrow key opens nothing.
func TestTheEscrowKeyOpensAReportSealedToItsEpoch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	app := w.app(t)
	x := newEscrow(t)
	before := testserver.SaveRecord(t, app, "reports", map[string]any{
		"embassy": embassyX, "channel": "self", "people_count": 1, "nationality": "ID", "language": "id", "message": "Escrow marker before",
	})
	x.set(t, app)
	next := newEpochKeys(t)
	srv := testserver.Start(t, app)
	member, err := app.FindRecordById("staff", staffX)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/sealkeys/epochs", w.epochWithEscrow(t, next, x.copyFor(t, 2, next, escrowLabel)))
	req.Header.Set("Authorization", testserver.AuthToken(t, member))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("epoch 2 sealed to the escrow: %s", res.Status)
	}

	r := testserver.SaveRecord(t, app, "reports", map[string]any{
		"embassy": embassyX, "channel": "self", "people_count": 2, "nationality": "ID", "language": "id",
		"message": "Escrow marker: four of us at the river compound.", "contact_phone": "+000 555 0199",
	})
	testserver.SaveRecord(t, app, "messages", map[string]any{"report": r.Id, "direction": "reporter", "body": "Escrow marker in a message."})
	if r.GetString("message") != "" || r.GetString("sealed") == "" {
		t.Fatalf("the report is not stored sealed: %v", r.FieldsData())
	}

	out, err := testserver.RunCommand(sealkeys.NewEscrowCommand(app), "open", "--key", x.file, r.Id)
	if err != nil {
		t.Fatalf("escrow open: %v\n%s", err, out)
	}
	var opened sealkeys.OpenedReport
	if err := json.Unmarshal([]byte(out), &opened); err != nil {
		t.Fatalf("escrow open printed %q: %v", out, err)
	}
	if opened.Report.Message != "Escrow marker: four of us at the river compound." || opened.Report.ContactPhone != "+000 555 0199" {
		t.Errorf("the report opens as %+v", opened.Report)
	}
	if len(opened.Messages) != 1 || opened.Messages[0].Text != "Escrow marker in a message." {
		t.Errorf("the messages open as %+v", opened.Messages)
	}

	before, _ = app.FindRecordById("reports", before.Id)
	if _, err := sealkeys.OpenWithEscrow(app, x.key, before.Id); !errors.Is(err, sealkeys.ErrNoEscrowCopy) {
		t.Errorf("a report of epoch 1, made before the escrow, opened with it: %v", err)
	}
	stranger := newEscrow(t)
	if _, err := sealkeys.OpenWithEscrow(app, stranger.key, r.Id); !errors.Is(err, sealkeys.ErrNoEscrowCopy) {
		t.Errorf("another escrow key opened the report: %v", err)
	}
}
