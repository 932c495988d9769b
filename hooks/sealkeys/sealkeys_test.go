package sealkeys_test

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/sealkeys"
	"homeward/internal/seal"
	"homeward/internal/testserver"
	_ "homeward/pb_migrations"
)

const (
	embassyX = "embassyx0000001"
	embassyY = "embassyy0000001"
	staffX   = "staffx000000001" // made epoch 1, holds it
	staffX2  = "staffx000000002" // holds epoch 1
	staffX3  = "staffx000000003" // has a personal key, holds nothing
	staffX4  = "staffx000000004" // has no personal key
	staffY   = "staffy000000001" // has a personal key
)

var b64 = base64.RawURLEncoding

// epochKeys are an epoch's two key pairs, as a browser makes them.
type epochKeys struct {
	kem  *ecdh.PrivateKey
	sign *ecdsa.PrivateKey
}

func newEpochKeys(t testing.TB) epochKeys {
	t.Helper()
	kem, sign := testserver.NewEpochKeys(t)
	return epochKeys{kem: kem, sign: sign}
}

func (k epochKeys) public() string { return b64.EncodeToString(k.kem.PublicKey().Bytes()) }
func (k epochKeys) kid() string    { return seal.KeyID(k.kem.PublicKey().Bytes()) }
func (k epochKeys) verify() string {
	raw, err := k.sign.PublicKey.Bytes()
	if err != nil {
		panic(err)
	}
	return b64.EncodeToString(raw)
}

// signs returns k's signature of next as epoch n of embassy, as
// WebCrypto writes it (r||s).
func (k epochKeys) signs(t testing.TB, embassy string, n int, next epochKeys) string {
	t.Helper()
	h := sha256.Sum256(seal.ChainStatement(embassy, n, next.kid(), next.public(), next.verify()))
	r, s, err := ecdsa.Sign(rand.Reader, k.sign, h[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return b64.EncodeToString(out)
}

// world is the keys the fixture is made of, made once per test.
type world struct {
	personal map[string]*ecdh.PrivateKey
	epoch1   epochKeys
}

func newWorld(t testing.TB) *world {
	w := &world{personal: map[string]*ecdh.PrivateKey{}, epoch1: newEpochKeys(t)}
	for _, id := range []string{staffX, staffX2, staffX3, staffY} {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		w.personal[id] = k
	}
	return w
}

func (w *world) personalKid(staff string) string {
	return seal.KeyID(w.personal[staff].PublicKey().Bytes())
}

// wrapped is a stand-in for a grant sealed in a browser: the server sees
// only its shape.
func wrapped() map[string]string {
	enc := make([]byte, 65)
	ct := make([]byte, 120)
	rand.Read(enc)
	rand.Read(ct)
	return map[string]string{"enc": b64.EncodeToString(enc), "ct": b64.EncodeToString(ct)}
}

func backup() map[string]any {
	salt, iv, ct := make([]byte, 16), make([]byte, 12), make([]byte, 150)
	rand.Read(salt)
	rand.Read(iv)
	rand.Read(ct)
	return map[string]any{"v": 1, "kdf": "PBKDF2-SHA256", "iterations": sealkeys.MinIterations, "salt": b64.EncodeToString(salt),
		"iv": b64.EncodeToString(iv), "ct": b64.EncodeToString(ct)}
}

func (w *world) grant(staff string) map[string]any {
	return map[string]any{"staff": staff, "holder_kid": w.personalKid(staff), "wrapped": wrapped()}
}

// app seeds embassies X and Y, their staff, personal keys for all but X4,
// and epoch 1 of X, made by X and held by X and X2. Everything is saved in
// Go: only the records API is refused.
func (w *world) app(t testing.TB) *tests.TestApp {
	app := testserver.NewApp(t, false)
	testserver.Seed(t, app, testserver.Options{
		Embassies: []testserver.Embassy{{Id: embassyX, Name: "Embassy X", Slug: "x"}, {Id: embassyY, Name: "Embassy Y", Slug: "y"}},
		Staff: []testserver.Staff{
			{Id: staffX, Email: "x@example.org", Name: "Staff X", Embassy: 0},
			{Id: staffX2, Email: "x2@example.org", Name: "Staff X2", Embassy: 0},
			{Id: staffX3, Email: "x3@example.org", Name: "Staff X3", Embassy: 0},
			{Id: staffX4, Email: "x4@example.org", Name: "Staff X4", Embassy: 0},
			{Id: staffY, Email: "y@example.org", Name: "Staff Y", Embassy: 1},
		},
	})
	for id, k := range w.personal {
		b, _ := json.Marshal(backup())
		testserver.SaveRecord(t, app, sealkeys.CollectionPersonal, map[string]any{
			"id": "pk" + id[2:], "staff": id, "kid": w.personalKid(id), "public_key": b64.EncodeToString(k.PublicKey().Bytes()), "backup": string(b),
		})
	}
	key := testserver.SaveRecord(t, app, sealkeys.CollectionKeys, map[string]any{
		"id": "epochx100000001", "embassy": embassyX, "epoch": 1, "kid": w.epoch1.kid(), "public_key": w.epoch1.public(),
		"verify_key": w.epoch1.verify(), "created_by": staffX,
	})
	for _, id := range []string{staffX, staffX2} {
		b, _ := json.Marshal(wrapped())
		testserver.SaveRecord(t, app, sealkeys.CollectionGrants, map[string]any{
			"id": "gr" + id[2:], "embassy": embassyX, "key": key.Id, "epoch": 1, "staff": id, "holder_kid": w.personalKid(id), "wrapped": string(b), "granted_by": staffX,
		})
	}
	return app
}

// as signs s in as staff id ("" for a guest, "superuser").
func (w *world) as(id string, s tests.ApiScenario) tests.ApiScenario {
	headers := map[string]string{}
	s.Headers = headers
	s.TestAppFactory = w.app
	before := s.BeforeTestFunc
	s.BeforeTestFunc = func(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
		switch id {
		case "":
		case "superuser":
			su, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, testserver.SuperuserEmail)
			if err != nil {
				t.Fatal(err)
			}
			headers["Authorization"] = testserver.AuthToken(t, su)
		default:
			rec, err := app.FindRecordById("staff", id)
			if err != nil {
				t.Fatal(err)
			}
			headers["Authorization"] = testserver.AuthToken(t, rec)
		}
		if before != nil {
			before(t, app, e)
		}
	}
	return s
}

func body(t testing.TB, v any) *strings.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(b))
}

// epochBody is epoch n with keys next, signed by signer (none for epoch 1).
func (w *world) epochBody(t testing.TB, embassy string, n int, next epochKeys, signer *epochKeys, grants []map[string]any, remove ...string) *strings.Reader {
	sig := ""
	if signer != nil {
		sig = signer.signs(t, embassy, n, next)
	}
	return body(t, map[string]any{
		"epoch": n, "kid": next.kid(), "public_key": next.public(), "verify_key": next.verify(), "signature": sig,
		"grants": grants, "remove": remove,
	})
}

// unchanged fails the test when the keys, the grants or the personal keys
// changed: a refused write changes nothing.
func unchanged(t testing.TB, app *tests.TestApp) {
	t.Helper()
	for col, want := range map[string]int{sealkeys.CollectionKeys: 1, sealkeys.CollectionGrants: 2, sealkeys.CollectionPersonal: 4} {
		n, err := app.CountRecords(col)
		if err != nil || int(n) != want {
			t.Errorf("%s has %d records (%v), want %d", col, n, err, want)
		}
	}
}

func TestEpochsFollowTheChain(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	next := newEpochKeys(t)
	stranger := newEpochKeys(t)
	holders := []map[string]any{w.grant(staffX), w.grant(staffX2)}
	scenarios := []tests.ApiScenario{
		w.as(staffX, tests.ApiScenario{
			Name: "the next epoch, signed by the current one, granted to every holder", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, holders), ExpectedStatus: 200,
			ExpectedContent: []string{`"epoch":2`, `"kid":"` + next.kid() + `"`},
			ExpectedEvents:  map[string]int{"OnRecordCreate": 3, "OnModelCreate": 3, "OnRecordValidate": 3, "OnModelValidate": 3, "OnRecordAfterCreateSuccess": 3, "OnModelAfterCreateSuccess": 3, "OnRecordCreateExecute": 3, "OnModelCreateExecute": 3},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				key, err := app.FindFirstRecordByFilter(sealkeys.CollectionKeys, "embassy = {:e} && epoch = 2", dbx.Params{"e": embassyX})
				if err != nil {
					t.Fatal(err)
				}
				prev, _ := app.FindRecordById(sealkeys.CollectionKeys, "epochx100000001")
				st := seal.ChainStatement(embassyX, 2, key.GetString("kid"), key.GetString("public_key"), key.GetString("verify_key"))
				if !seal.VerifyChain(prev.GetString("verify_key"), st, key.GetString("signature")) {
					t.Error("the stored epoch 2 does not verify against epoch 1")
				}
				if n, _ := app.CountRecords(sealkeys.CollectionGrants, dbx.HashExp{"key": key.Id}); n != 2 {
					t.Errorf("epoch 2 has %d grants, want 2", n)
				}
			},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an epoch number that does not follow the last", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 3, next, &w.epoch1, holders), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_wrong_epoch"`, "next key epoch is 2"}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a second epoch 1 (the chain cannot restart)", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 1, next, nil, holders), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_wrong_epoch"`}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a signature by another key", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &stranger, holders), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_bad_signature"`}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a signature over another embassy's statement", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyY, 2, next, &w.epoch1, holders), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_bad_signature"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a key id that is not the public key's", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: body(t, map[string]any{"epoch": 2, "kid": stranger.kid(), "public_key": next.public(), "verify_key": next.verify(),
				"signature": w.epoch1.signs(t, embassyX, 2, next), "grants": holders}),
			ExpectedStatus: 400, ExpectedContent: []string{`"validation_wrong_kid"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a public key that is not a P-256 point", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: body(t, map[string]any{"epoch": 2, "kid": next.kid(), "public_key": "B" + strings.Repeat("A", 86), "verify_key": next.verify(),
				"signature": w.epoch1.signs(t, embassyX, 2, next), "grants": holders}),
			ExpectedStatus: 400, ExpectedContent: []string{`"public_key":{"code":"validation_invalid_key"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a member who does not hold the current key", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, []map[string]any{w.grant(staffX3), w.grant(staffX), w.grant(staffX2)}), ExpectedStatus: 403,
			ExpectedContent: []string{`"validation_not_holder"`}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffY, tests.ApiScenario{
			Name: "staff of another embassy write to their own chain only", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, []map[string]any{w.grant(staffY)}), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_wrong_epoch"`, "next key epoch is 1"}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a grant to staff of another embassy", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, append(holders, w.grant(staffY))), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_not_colleague"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a holder left out without being removed", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, []map[string]any{w.grant(staffX)}), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_holder_missing"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a removed member granted the new key", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, holders, staffX2), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_removed"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "removing a member drops all their grants and starts the next epoch", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, []map[string]any{w.grant(staffX)}, staffX2), ExpectedStatus: 200,
			ExpectedContent: []string{`"epoch":2`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 2, "OnRecordDelete": 1, "OnModelCreate": 2, "OnModelDelete": 1,
				"OnRecordValidate": 2, "OnModelValidate": 2, "OnRecordAfterCreateSuccess": 2, "OnModelAfterCreateSuccess": 2,
				"OnRecordAfterDeleteSuccess": 1, "OnModelAfterDeleteSuccess": 1, "OnRecordCreateExecute": 2, "OnModelCreateExecute": 2,
				"OnRecordDeleteExecute": 1, "OnModelDeleteExecute": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n, _ := app.CountRecords(sealkeys.CollectionGrants, dbx.HashExp{"staff": staffX2}); n != 0 {
					t.Errorf("the removed member still has %d grants", n)
				}
			},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a grant sealed to a personal key its holder no longer has", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, []map[string]any{w.grant(staffX),
				{"staff": staffX2, "holder_kid": w.personalKid(staffX3), "wrapped": wrapped()}}),
			ExpectedStatus: 400, ExpectedContent: []string{`"validation_stale_personal_key"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		{
			Name: "guests are refused", Method: http.MethodPost, URL: "/api/sealkeys/epochs", TestAppFactory: w.app,
			Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, holders), ExpectedStatus: 401, ExpectedContent: []string{`"data":{}`},
			ExpectedEvents: map[string]int{"*": 0},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestGrantsComeFromHolders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	grant := func(to string, epoch int, kid string) *strings.Reader {
		return body(t, map[string]any{"staff": to, "grants": []map[string]any{{"epoch": epoch, "holder_kid": kid, "wrapped": wrapped()}}})
	}
	scenarios := []tests.ApiScenario{
		w.as(staffX2, tests.ApiScenario{
			Name: "a holder grants a newcomer who has a personal key", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffX3, 1, w.personalKid(staffX3)), ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
				"OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1, "OnRecordCreateExecute": 1, "OnModelCreateExecute": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				g, err := app.FindFirstRecordByData(sealkeys.CollectionGrants, "staff", staffX3)
				if err != nil || g.GetString("granted_by") != staffX2 || g.GetInt("epoch") != 1 {
					t.Fatalf("the newcomer's grant: %v (%v)", g, err)
				}
			},
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a member who does not hold the key cannot grant it", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffX3, 1, w.personalKid(staffX3)), ExpectedStatus: 403,
			ExpectedContent: []string{`"validation_not_holder"`}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a newcomer without a personal key", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffX4, 1, w.personalKid(staffX3)), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_no_personal_key"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a grant to staff of another embassy", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffY, 1, w.personalKid(staffY)), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_not_colleague"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a member who holds the epoch already", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffX2, 1, w.personalKid(staffX2)), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_holds_already"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "an epoch the embassy does not have", Method: http.MethodPost, URL: "/api/sealkeys/grants",
			Body: grant(staffX3, 2, w.personalKid(staffX3)), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_no_epoch"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestStateShowsOnlyYourOwnBackupAndGrants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.as(staffX2, tests.ApiScenario{
		Name: "state", Method: http.MethodGet, URL: "/api/sealkeys", ExpectedStatus: 200,
		ExpectedContent:    []string{`"embassy":"` + embassyX + `"`, `"kid":"` + w.epoch1.kid() + `"`, `"holds":[1]`},
		NotExpectedContent: []string{staffY},
		ExpectedEvents:     map[string]int{"*": 0},
		AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
			var st struct {
				Me      *struct{ Kid string } `json:"me"`
				Members []struct {
					Id    string
					Holds []int
				}
				Grants []struct {
					Epoch     int
					HolderKid string `json:"holder_kid"`
				}
			}
			if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
				t.Fatal(err)
			}
			if st.Me == nil || st.Me.Kid != w.personalKid(staffX2) {
				t.Errorf("me is %+v, want X2's personal key", st.Me)
			}
			if len(st.Grants) != 1 || st.Grants[0].HolderKid != w.personalKid(staffX2) {
				t.Errorf("grants %+v, want X2's one", st.Grants)
			}
			if len(st.Members) != 4 {
				t.Errorf("%d members, want X's 4", len(st.Members))
			}
		},
	})
	s.Test(t)
}

func TestReplacingThePersonalKeyDropsItsGrants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fresh, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	same := w.personal[staffX2].PublicKey().Bytes()
	scenarios := []tests.ApiScenario{
		w.as(staffX2, tests.ApiScenario{
			Name: "a new passphrase keeps the key and its grants", Method: http.MethodPut, URL: "/api/sealkeys/me",
			Body: body(t, map[string]any{"public_key": b64.EncodeToString(same), "backup": backup()}), ExpectedStatus: 200,
			ExpectedContent: []string{`"kid":"` + w.personalKid(staffX2) + `"`},
			ExpectedEvents:  map[string]int{"*": 0, "OnRecordUpdate": 1, "OnModelUpdate": 1, "OnRecordValidate": 1, "OnModelValidate": 1, "OnRecordUpdateExecute": 1, "OnModelUpdateExecute": 1, "OnRecordAfterUpdateSuccess": 1, "OnModelAfterUpdateSuccess": 1},
			AfterTestFunc:   func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX2, tests.ApiScenario{
			Name: "a new key drops the grants sealed to the old", Method: http.MethodPut, URL: "/api/sealkeys/me",
			Body:           body(t, map[string]any{"public_key": b64.EncodeToString(fresh.PublicKey().Bytes()), "backup": backup()}),
			ExpectedStatus: 200, ExpectedContent: []string{`"kid":"` + seal.KeyID(fresh.PublicKey().Bytes()) + `"`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordUpdate": 1, "OnModelUpdate": 1, "OnRecordValidate": 1, "OnModelValidate": 1, "OnRecordUpdateExecute": 1, "OnModelUpdateExecute": 1, "OnRecordAfterUpdateSuccess": 1, "OnModelAfterUpdateSuccess": 1,
				"OnRecordDelete": 1, "OnModelDelete": 1, "OnRecordDeleteExecute": 1, "OnModelDeleteExecute": 1, "OnRecordAfterDeleteSuccess": 1, "OnModelAfterDeleteSuccess": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n, _ := app.CountRecords(sealkeys.CollectionGrants, dbx.HashExp{"staff": staffX2}); n != 0 {
					t.Errorf("%d grants to the old key are left", n)
				}
			},
		}),
		w.as(staffX2, tests.ApiScenario{
			Name: "a backup stretched less than 600,000 times", Method: http.MethodPut, URL: "/api/sealkeys/me",
			Body: body(t, map[string]any{"public_key": b64.EncodeToString(same), "backup": func() map[string]any {
				b := backup()
				b["iterations"] = 100_000
				return b
			}()}),
			ExpectedStatus: 400, ExpectedContent: []string{`"iterations":{"code":"validation_min_greater_equal_than_required"`},
			ExpectedEvents: map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestKeyRowsAreNeverChangedOrDeleted: through the records API nobody,
// superusers included, writes keys, personal keys or grants; in Go, an
// epoch's key material cannot change and its row cannot go.
func TestKeyRowsAreNeverChangedOrDeleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	targets := map[string]string{sealkeys.CollectionKeys: "epochx100000001", sealkeys.CollectionGrants: "gr" + staffX2[2:], sealkeys.CollectionPersonal: "pk" + staffX2[2:]}
	for col, id := range targets {
		url := "/api/collections/" + col + "/records"
		for _, s := range []tests.ApiScenario{
			{Name: col + ": a superuser's create is refused", Method: http.MethodPost, URL: url,
				Body: strings.NewReader(`{"embassy":"` + embassyX + `","staff":"` + staffX3 + `"}`), ExpectedStatus: 403,
				ExpectedContent: []string{`"status":403`, "/api/sealkeys"}, ExpectedEvents: map[string]int{"*": 0, "OnRecordCreateRequest": 1}},
			{Name: col + ": a superuser's update is refused", Method: http.MethodPatch, URL: url + "/" + id,
				Body: strings.NewReader(`{"kid":"AAAAAAAAAAAAAAAA"}`), ExpectedStatus: 403,
				ExpectedContent: []string{`"status":403`, "cannot be changed"}, ExpectedEvents: map[string]int{"*": 0, "OnRecordUpdateRequest": 1}},
			{Name: col + ": a superuser's delete is refused", Method: http.MethodDelete, URL: url + "/" + id,
				ExpectedStatus: 403, ExpectedContent: []string{`"status":403`, "cannot be deleted"}, ExpectedEvents: map[string]int{"*": 0, "OnRecordDeleteRequest": 1}},
		} {
			s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) }
			s = w.as("superuser", s)
			s.Test(t)
		}
	}

	app := w.app(t)
	key, err := app.FindRecordById(sealkeys.CollectionKeys, "epochx100000001")
	if err != nil {
		t.Fatal(err)
	}
	key.Set("public_key", newEpochKeys(t).public())
	if err := app.Save(key); err == nil {
		t.Error("an epoch's public key was changed in Go")
	}
	key, _ = app.FindRecordById(sealkeys.CollectionKeys, "epochx100000001")
	if err := app.Delete(key); err == nil {
		t.Error("an epoch was deleted in Go")
	}
	// A holder's account cannot be deleted: a colleague removes them on
	// the Keys screen first (their grants go, a new epoch starts).
	creator, _ := app.FindRecordById("staff", staffX)
	if err := app.Delete(creator); err == nil || !strings.Contains(err.Error(), "Keys screen") {
		t.Fatalf("deleting a holder of the key: %v", err)
	}
	unchangedCount(t, app, sealkeys.CollectionGrants, 2)
	grants, err := app.FindAllRecords(sealkeys.CollectionGrants, dbx.HashExp{"staff": staffX})
	if err != nil || len(grants) != 1 {
		t.Fatalf("X's grants: %d (%v)", len(grants), err)
	}
	if err := app.Delete(grants[0]); err != nil {
		t.Fatal(err)
	}
	// Removed, X's account goes, and the epoch they made only loses who
	// made it.
	if err := app.Delete(creator); err != nil {
		t.Fatalf("deleting the epoch's maker once removed: %v", err)
	}
	key, err = app.FindRecordById(sealkeys.CollectionKeys, "epochx100000001")
	if err != nil || key.GetString("created_by") != "" || key.GetString("kid") != w.epoch1.kid() {
		t.Fatalf("after its maker left the epoch is %v (%v)", key, err)
	}
	unchangedCount(t, app, sealkeys.CollectionGrants, 1)
}

func unchangedCount(t testing.TB, app core.App, col string, want int) {
	t.Helper()
	if n, err := app.CountRecords(col); err != nil || int(n) != want {
		t.Errorf("%s: %d records (%v), want %d", col, n, err, want)
	}
}

// TestOnlyTheHolderReadsTheirGrants: two holders of one embassy each list
// and view their own grant only, through the records API.
func TestOnlyTheHolderReadsTheirGrants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	own, other := "gr"+staffX2[2:], "gr"+staffX[2:]
	scenarios := []tests.ApiScenario{
		w.as(staffX2, tests.ApiScenario{
			Name: "a holder lists their own grant", Method: http.MethodGet, URL: "/api/collections/" + sealkeys.CollectionGrants + "/records",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, own}, NotExpectedContent: []string{other},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 1},
		}),
		w.as(staffX2, tests.ApiScenario{
			Name: "a colleague's grant is not found", Method: http.MethodGet, URL: "/api/collections/" + sealkeys.CollectionGrants + "/records/" + other,
			ExpectedStatus: 404, ExpectedContent: []string{`"status":404`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX2, tests.ApiScenario{
			Name: "colleagues' public keys are listed, never a backup", Method: http.MethodGet, URL: "/api/collections/" + sealkeys.CollectionPersonal + "/records",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":3`, `"public_key"`}, NotExpectedContent: []string{`"backup"`, staffY},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordsListRequest": 1, "OnRecordEnrich": 3},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestDocExamplesMatchTheServer holds docs/API.md's key routes to the
// server: the state's fields, and a refusal's whole answer.
func TestDocExamplesMatchTheServer(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```json (sealkeys-[a-z-]+)\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
		blocks[m[1]] = m[2]
	}
	w := newWorld(t)
	next := newEpochKeys(t)
	scenarios := []tests.ApiScenario{
		w.as(staffX, tests.ApiScenario{
			Name: "the documented state", Method: http.MethodGet, URL: "/api/sealkeys", ExpectedStatus: 200, ExpectedEvents: map[string]int{"*": 0},
			ExpectedContent: []string{`"embassy":"` + embassyX + `"`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				var got, doc any
				if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal([]byte(blocks["sealkeys-state"]), &doc); err != nil {
					t.Fatalf("docs/API.md sealkeys-state: %v", err)
				}
				if g, d := shape(got), shape(doc); g != d {
					t.Errorf("the server's state has the fields\n%s\ndocs/API.md shows\n%s", g, d)
				}
			},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "the documented refusal", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			Body: w.epochBody(t, embassyX, 3, next, &w.epoch1, []map[string]any{w.grant(staffX), w.grant(staffX2)}), ExpectedStatus: 400,
			ExpectedContent: []string{strings.TrimSpace(blocks["sealkeys-wrong-epoch"])}, ExpectedEvents: map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// shape writes the field names of a JSON value, nested, sorted, with the
// first item of each list standing for all.
func shape(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + shape(x[k])
		}
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + shape(x[0]) + "]"
	default:
		return ""
	}
}

// withRecovery gives embassy X a recovery key with epoch 1 sealed to it.
func withRecovery(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	t.Helper()
	k := newEpochKeys(t)
	b, _ := json.Marshal(map[string]any{"1": wrapped()})
	testserver.SaveRecord(t, app, sealkeys.CollectionRecovery, map[string]any{
		"embassy": embassyX, "kid": k.kid(), "public_key": k.public(), "wrapped": string(b), "created_by": staffX,
	})
}

// proof is epoch keys k's signature granting its epoch n to staff's key.
func (k epochKeys) proof(t testing.TB, n int, staff, holderKid string) string {
	t.Helper()
	h := sha256.Sum256(sealkeys.GrantStatement(embassyX, n, staff, holderKid))
	r, s, err := ecdsa.Sign(rand.Reader, k.sign, h[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return b64.EncodeToString(out)
}

func TestPaperRecoveryRoutes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rk := newEpochKeys(t)
	next := newEpochKeys(t)
	stranger := newEpochKeys(t)
	holders := []map[string]any{w.grant(staffX), w.grant(staffX2)}
	recover := func(signer epochKeys, staff string) *strings.Reader {
		return body(t, map[string]any{"grants": []map[string]any{{"epoch": 1, "holder_kid": w.personalKid(staff), "wrapped": wrapped(),
			"proof": signer.proof(t, 1, staff, w.personalKid(staff))}}})
	}
	scenarios := []tests.ApiScenario{
		w.as(staffX, tests.ApiScenario{
			Name: "a holder makes the recovery key, every epoch sealed to it", Method: http.MethodPut, URL: "/api/sealkeys/recovery",
			Body: body(t, map[string]any{"public_key": rk.public(), "wrapped": map[string]any{"1": wrapped()}}), ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
				"OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1, "OnRecordCreateExecute": 1, "OnModelCreateExecute": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData(sealkeys.CollectionRecovery, "embassy", embassyX)
				if err != nil || r.GetString("kid") != rk.kid() {
					t.Fatalf("recovery record %v (%v)", r, err)
				}
			},
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a member who does not hold the key cannot make the recovery key", Method: http.MethodPut, URL: "/api/sealkeys/recovery",
			Body: body(t, map[string]any{"public_key": rk.public(), "wrapped": map[string]any{"1": wrapped()}}), ExpectedStatus: 403,
			ExpectedContent: []string{`"validation_not_holder"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a recovery key missing an epoch", Method: http.MethodPut, URL: "/api/sealkeys/recovery",
			Body: body(t, map[string]any{"public_key": rk.public(), "wrapped": map[string]any{"2": wrapped()}}), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_epochs_missing"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "with a recovery key, a new epoch must be sealed to it", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withRecovery, Body: w.epochBody(t, embassyX, 2, next, &w.epoch1, holders), ExpectedStatus: 400,
			ExpectedContent: []string{`"validation_recovery_missing"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
		w.as(staffX, tests.ApiScenario{
			Name: "a new epoch sealed to the recovery key is added to it", Method: http.MethodPost, URL: "/api/sealkeys/epochs",
			BeforeTestFunc: withRecovery,
			Body: body(t, map[string]any{"epoch": 2, "kid": next.kid(), "public_key": next.public(), "verify_key": next.verify(),
				"signature": w.epoch1.signs(t, embassyX, 2, next), "grants": holders, "recovery": wrapped()}),
			ExpectedStatus: 200, ExpectedContent: []string{`"epoch":2`},
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 3, "OnModelCreate": 3, "OnRecordValidate": 4, "OnModelValidate": 4,
				"OnRecordAfterCreateSuccess": 3, "OnModelAfterCreateSuccess": 3, "OnRecordCreateExecute": 3, "OnModelCreateExecute": 3,
				"OnRecordUpdate": 1, "OnModelUpdate": 1, "OnRecordUpdateExecute": 1, "OnModelUpdateExecute": 1, "OnRecordAfterUpdateSuccess": 1, "OnModelAfterUpdateSuccess": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				r, err := app.FindFirstRecordByData(sealkeys.CollectionRecovery, "embassy", embassyX)
				if err != nil || !strings.Contains(r.GetString("wrapped"), `"2":`) {
					t.Fatalf("the recovery key does not hold epoch 2: %v (%v)", r, err)
				}
			},
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a member who rebuilt the keys from paper is granted them, with the epoch's proof", Method: http.MethodPost, URL: "/api/sealkeys/recover",
			Body: recover(w.epoch1, staffX3), ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"*": 0, "OnRecordCreate": 1, "OnModelCreate": 1, "OnRecordValidate": 1, "OnModelValidate": 1,
				"OnRecordAfterCreateSuccess": 1, "OnModelAfterCreateSuccess": 1, "OnRecordCreateExecute": 1, "OnModelCreateExecute": 1},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if n, _ := app.CountRecords(sealkeys.CollectionGrants, dbx.HashExp{"staff": staffX3}); n != 1 {
					t.Errorf("X3 has %d grants, want 1", n)
				}
			},
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a proof by another key", Method: http.MethodPost, URL: "/api/sealkeys/recover",
			Body: recover(stranger, staffX3), ExpectedStatus: 403,
			ExpectedContent: []string{`"validation_bad_proof"`}, ExpectedEvents: map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) { unchanged(t, app) },
		}),
		w.as(staffX3, tests.ApiScenario{
			Name: "a proof made for a colleague", Method: http.MethodPost, URL: "/api/sealkeys/recover",
			Body: body(t, map[string]any{"grants": []map[string]any{{"epoch": 1, "holder_kid": w.personalKid(staffX3), "wrapped": wrapped(),
				"proof": w.epoch1.proof(t, 1, staffX2, w.personalKid(staffX3))}}}),
			ExpectedStatus: 403, ExpectedContent: []string{`"validation_bad_proof"`}, ExpectedEvents: map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
