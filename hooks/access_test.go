package hooks_test

import (
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// The authorization matrix: every collection × role × action, with the
// exact status and, for lists, the exact records visible. docs/SECURITY.md
// holds the same table; TestSecurityDocMirrorsMatrix keeps them equal.

var roles = []string{"guest", "volunteer A", "volunteer B", "unapproved volunteer", "staff X", "staff Y", "superuser"}

var actions = []string{"list", "view", "create", "update", "delete"}

// matrix maps "collection action" to one cell per role, in the order of
// roles. A cell is a status, followed for a 200 list by the scope label
// whose records must be exactly the ones returned.
var matrix = map[string][7]string{
	"embassies list":   {"200 active", "200 active", "200 active", "200 active", "200 active", "200 active", "200 all"},
	"embassies view":   {"200", "200", "200", "200", "200", "200", "200"},
	"embassies create": {"403", "403", "403", "403", "403", "403", "200"},
	"embassies update": {"403", "403", "403", "403", "403", "403", "200"},
	"embassies delete": {"403", "403", "403", "403", "403", "403", "400"},

	"reports list":   {"401", "200 A", "200 B", "200 none", "200 X", "200 Y", "200 all"},
	"reports view":   {"404", "200", "404", "404", "200", "404", "200"},
	"reports create": {"403", "403", "403", "403", "403", "403", "200"},
	"reports update": {"404", "404", "404", "404", "200", "404", "200"},
	"reports delete": {"403", "403", "403", "403", "403", "403", "204"},

	"attachments list":   {"401", "200 A", "200 B", "200 none", "200 X", "200 Y", "200 all"},
	"attachments view":   {"404", "200", "404", "404", "200", "404", "200"},
	"attachments create": {"403", "403", "403", "403", "403", "403", "200"},
	"attachments update": {"403", "403", "403", "403", "403", "403", "200"},
	"attachments delete": {"403", "403", "403", "403", "403", "403", "204"},

	"messages list":   {"401", "200 A", "200 B", "200 none", "200 X", "200 Y", "200 all"},
	"messages view":   {"404", "200", "404", "404", "200", "404", "200"},
	"messages create": {"400", "400", "400", "400", "200", "400", "200"},
	"messages update": {"404", "404", "404", "404", "200", "404", "200"},
	"messages delete": {"403", "403", "403", "403", "403", "403", "204"},

	"report_events list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"report_events view":   {"404", "404", "404", "404", "200", "404", "200"},
	"report_events create": {"400", "400", "400", "400", "200", "400", "200"},
	"report_events update": {"403", "403", "403", "403", "403", "403", "403"},
	"report_events delete": {"403", "403", "403", "403", "403", "403", "403"},

	"qr_links list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"qr_links view":   {"404", "404", "404", "404", "200", "404", "200"},
	"qr_links create": {"400", "400", "400", "400", "200", "400", "200"},
	"qr_links update": {"404", "404", "404", "404", "200", "404", "200"},
	"qr_links delete": {"403", "403", "403", "403", "403", "403", "204"},

	"devices list":   {"401", "200 A", "200 B", "200 none", "200 none", "200 none", "200 all"},
	"devices view":   {"404", "200", "404", "404", "404", "404", "200"},
	"devices create": {"403", "403", "403", "403", "403", "403", "200"},
	"devices update": {"403", "403", "403", "403", "403", "403", "200"},
	"devices delete": {"403", "403", "403", "403", "403", "403", "204"},

	"staff list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"staff view":   {"404", "404", "404", "404", "200", "404", "200"},
	"staff create": {"403", "403", "403", "403", "403", "403", "200"},
	"staff update": {"404", "404", "404", "404", "200", "404", "200"},
	// Staff X holds the embassy's key (grX): even a superuser cannot delete
	// a holder's account until a colleague removes them on the Keys screen.
	"staff delete": {"403", "403", "403", "403", "403", "403", "400"},

	"volunteers list":   {"401", "200 A", "200 B", "200 U", "200 none", "200 none", "200 all"},
	"volunteers view":   {"404", "200", "404", "404", "404", "404", "200"},
	"volunteers create": {"403", "403", "403", "403", "403", "403", "200"},
	"volunteers update": {"404", "200", "404", "404", "404", "404", "200"},
	"volunteers delete": {"403", "403", "403", "403", "403", "403", "204"},

	"staff_views list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"staff_views view":   {"404", "404", "404", "404", "200", "404", "200"},
	"staff_views create": {"400", "400", "400", "400", "200", "400", "200"},
	"staff_views update": {"404", "404", "404", "404", "200", "404", "200"},
	"staff_views delete": {"404", "404", "404", "404", "204", "404", "204"},

	// Embassy keys are public keys: phones read those of active embassies.
	// Only the server writes them, through checked routes (hooks/sealkeys),
	// and never changes or deletes them: superusers are refused too.
	"embassy_keys list":   {"200 active", "200 active", "200 active", "200 active", "200 active", "200 active", "200 all"},
	"embassy_keys view":   {"200", "200", "200", "200", "200", "200", "200"},
	"embassy_keys create": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_keys update": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_keys delete": {"403", "403", "403", "403", "403", "403", "403"},

	// Personal keys: colleagues read each other's public keys (the backup
	// is hidden); grants: only their holder reads them. Both are written
	// only through /api/sealkeys.
	"staff_keys list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"staff_keys view":   {"404", "404", "404", "404", "200", "404", "200"},
	"staff_keys create": {"403", "403", "403", "403", "403", "403", "403"},
	"staff_keys update": {"403", "403", "403", "403", "403", "403", "403"},
	"staff_keys delete": {"403", "403", "403", "403", "403", "403", "403"},

	"embassy_key_grants list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"embassy_key_grants view":   {"404", "404", "404", "404", "200", "404", "200"},
	"embassy_key_grants create": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_key_grants update": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_key_grants delete": {"403", "403", "403", "403", "403", "403", "403"},

	// The paper recovery key: its public key and the epochs sealed to it,
	// for the embassy's staff; written only through /api/sealkeys.
	"embassy_recovery list":   {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"embassy_recovery view":   {"404", "404", "404", "404", "200", "404", "200"},
	"embassy_recovery create": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_recovery update": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_recovery delete": {"403", "403", "403", "403", "403", "403", "403"},

	// The optional escrow key: set by superusers only (the dashboard or
	// `escrow set`), shown to the embassy's staff. The epochs sealed to it
	// are for superusers to hand to its holder, written only with their
	// epoch through /api/sealkeys.
	"embassy_escrow list":          {"401", "200 none", "200 none", "200 none", "200 X", "200 Y", "200 all"},
	"embassy_escrow view":          {"404", "404", "404", "404", "200", "404", "200"},
	"embassy_escrow create":        {"403", "403", "403", "403", "403", "403", "200"},
	"embassy_escrow update":        {"403", "403", "403", "403", "403", "403", "200"},
	"embassy_escrow delete":        {"403", "403", "403", "403", "403", "403", "204"},
	"embassy_escrow_grants list":   {"403", "403", "403", "403", "403", "403", "200 all"},
	"embassy_escrow_grants view":   {"403", "403", "403", "403", "403", "403", "200"},
	"embassy_escrow_grants create": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_escrow_grants update": {"403", "403", "403", "403", "403", "403", "403"},
	"embassy_escrow_grants delete": {"403", "403", "403", "403", "403", "403", "403"},
}

// collections in the order the table lists them.
var collections = []string{"embassies", "reports", "attachments", "messages", "report_events", "qr_links", "devices", "staff", "volunteers", "staff_views", "embassy_keys", "staff_keys", "embassy_key_grants", "embassy_recovery", "embassy_escrow", "embassy_escrow_grants"}

// fixture ids, fixed so that the table can name them.
const (
	embX, embY, embZ    = "embx00000000000", "emby00000000000", "embz00000000000"
	volA, volB, volU    = "vola00000000000", "volb00000000000", "volu00000000000"
	stfX, stfY          = "stfx00000000000", "stfy00000000000"
	devA, devB          = "deva00000000000", "devb00000000000"
	repXA, repXS        = "repxa000000000000000", "repxs000000000000000"
	repXU, repYB        = "repxu000000000000000", "repyb000000000000000"
	attXA, attYB        = "attxa0000000000", "attyb0000000000"
	msgXA, msgXS, msgYB = "msgxa0000000000", "msgxs0000000000", "msgyb0000000000"
	evtXA, evtYB        = "evtxa0000000000", "evtyb0000000000"
	qrlX, qrlY          = "qrlx00000000000", "qrly00000000000"
	svwX, svwY          = "svwx00000000000", "svwy00000000000"
	ekX, ekY, ekZ       = "ekx000000000000", "eky000000000000", "ekz000000000000"
	pkX, pkY            = "pkx000000000000", "pky000000000000"
	grX, grY            = "grx000000000000", "gry000000000000"
	rcX, rcY            = "rcx000000000000", "rcy000000000000"
	esX, esY            = "esx000000000000", "esy000000000000"
	egX, egY            = "egx000000000000", "egy000000000000"
	testPassword        = "correct horse battery"
)

// scopes maps a collection and a scope label to the exact ids a list
// must return.
var scopes = map[string]map[string][]string{
	"embassies":             {"active": {embX, embY}, "all": {embX, embY, embZ}},
	"reports":               {"A": {repXA}, "B": {repYB}, "X": {repXA, repXS, repXU}, "Y": {repYB}, "all": {repXA, repXS, repXU, repYB}},
	"attachments":           {"A": {attXA}, "B": {attYB}, "X": {attXA}, "Y": {attYB}, "all": {attXA, attYB}},
	"messages":              {"A": {msgXA}, "B": {msgYB}, "X": {msgXA, msgXS}, "Y": {msgYB}, "all": {msgXA, msgXS, msgYB}},
	"report_events":         {"X": {evtXA}, "Y": {evtYB}, "all": {evtXA, evtYB}},
	"qr_links":              {"X": {qrlX}, "Y": {qrlY}, "all": {qrlX, qrlY}},
	"devices":               {"A": {devA}, "B": {devB}, "all": {devA, devB}},
	"staff":                 {"X": {stfX}, "Y": {stfY}, "all": {stfX, stfY}},
	"volunteers":            {"A": {volA}, "B": {volB}, "U": {volU}, "all": {volA, volB, volU}},
	"staff_views":           {"X": {svwX}, "Y": {svwY}, "all": {svwX, svwY}},
	"embassy_keys":          {"active": {ekX, ekY}, "all": {ekX, ekY, ekZ}},
	"staff_keys":            {"X": {pkX}, "Y": {pkY}, "all": {pkX, pkY}},
	"embassy_key_grants":    {"X": {grX}, "Y": {grY}, "all": {grX, grY}},
	"embassy_recovery":      {"X": {rcX}, "Y": {rcY}, "all": {rcX, rcY}},
	"embassy_escrow":        {"X": {esX}, "Y": {esY}, "all": {esX, esY}},
	"embassy_escrow_grants": {"all": {egX, egY}},
}

// target is the record each collection's view, update and delete rows act
// on: always embassy X's or volunteer A's, so every other role's cell is a
// denial that the table checks.
var target = map[string]string{
	"embassies": embX, "reports": repXA, "attachments": attXA, "messages": msgXA,
	"report_events": evtXA, "qr_links": qrlX, "devices": devA, "staff": stfX, "volunteers": volA,
	"staff_views": svwX, "embassy_keys": ekX, "staff_keys": pkX, "embassy_key_grants": grX,
	"embassy_recovery": rcX, "embassy_escrow": esX, "embassy_escrow_grants": egX,
}

// createBody is a valid new record for each collection, naming embassy X
// and staff X, so only access decides the outcome.
var createBody = map[string]string{
	"embassies":          `{"name":"New","country":"Testland","slug":"new-embassy","active":true}`,
	"reports":            `{"id":"repnew00000000000000","embassy":"` + embX + `","channel":"self"}`,
	"attachments":        `{"report":"` + repXA + `","mime":"image/jpeg"}`,
	"messages":           `{"report":"` + repXA + `","direction":"staff","body":"We can help.","author":"` + stfX + `"}`,
	"report_events":      `{"embassy":"` + embX + `","report":"` + repXA + `","kind":"note","note":"Called back.","actor":"` + stfX + `"}`,
	"qr_links":           `{"label":"Shelter poster","embassy":"` + embX + `"}`,
	"devices":            `{"volunteer":"` + volA + `","label":"phone"}`,
	"staff":              `{"email":"new-staff@example.org","password":"` + testPassword + `","passwordConfirm":"` + testPassword + `","embassy":"` + embX + `"}`,
	"volunteers":         `{"email":"new-volunteer@example.org","password":"` + testPassword + `","passwordConfirm":"` + testPassword + `"}`,
	"staff_views":        `{"staff":"` + stfX + `","name":"Urgent and mine","query":"#/?urgent=1&assigned=me"}`,
	"embassy_keys":       `{"embassy":"` + embX + `","epoch":2,"kid":"newkid00","public_key":"` + testKey('N') + `","verify_key":"` + testKey('V') + `"}`,
	"staff_keys":         `{"staff":"` + stfX + `","kid":"newkid0000000000","public_key":"` + testKey('P') + `"}`,
	"embassy_key_grants": `{"embassy":"` + embX + `","key":"` + ekX + `","epoch":1,"staff":"` + stfX + `","holder_kid":"newkid0000000000"}`,
	"embassy_recovery":   `{"embassy":"` + embX + `","kid":"newkid0000000000","public_key":"` + testKey('R') + `"}`,
	// Embassy Z has none yet: one escrow key per embassy.
	"embassy_escrow":        `{"embassy":"` + embZ + `","label":"Ministry","public_key":"` + testKey('E') + `"}`,
	"embassy_escrow_grants": `{"embassy":"` + embX + `","key":"` + ekX + `","epoch":1,"escrow_kid":"newkid0000000000"}`,
}

// updateBody changes one field a legitimate editor of the target may change.
var updateBody = map[string]string{
	"embassies": `{"notes":"Closed on Friday."}`, "reports": `{"status":"in_review"}`,
	"attachments": `{"mime":"image/png"}`, "messages": `{"read_by_staff":true}`,
	"report_events": `{"note":"rewritten"}`, "qr_links": `{"revoked":true}`,
	"devices": `{"label":"lost phone"}`, "staff": `{"name":"Officer"}`, "volunteers": `{"name":"Field worker"}`,
	"staff_views": `{"name":"Renamed"}`, "embassy_keys": `{"kid":"otherkid"}`,
	"staff_keys": `{"kid":"otherkid00000000"}`, "embassy_key_grants": `{"holder_kid":"otherkid00000000"}`,
	"embassy_recovery": `{"kid":"otherkid00000000"}`,
	"embassy_escrow":   `{"label":"Ministry, key custodian"}`, "embassy_escrow_grants": `{"escrow_kid":"otherkid00000000"}`,
}

// fixture seeds a data dir and closes it; each scenario works on a clone,
// so every cell starts from the same state.
func fixture(t testing.TB) (dir string, tokens, before map[string]string) {
	before = map[string]string{}
	dir, seeded := testserver.SeedDir(t, people(), func(app core.App, _ *testserver.Seeded) {
		seedRecords(t, app)
		for _, col := range collections {
			before[col] = snapshot(t, app, col)
		}
	})
	return dir, roleTokens(seeded), before
}

// snapshot is every field of every record of a collection.
func snapshot(t testing.TB, app core.App, col string) string {
	records, err := app.FindAllRecords(col)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]string, 0, len(records))
	for _, r := range records {
		data, err := json.Marshal(r.FieldsData())
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, string(data))
	}
	slices.Sort(rows)
	return strings.Join(rows, ",")
}

// seed makes the people and the records the matrix names.
func seed(t testing.TB, app core.App) map[string]string {
	seeded := testserver.Seed(t, app, people())
	seedRecords(t, app)
	return roleTokens(seeded)
}

// people are the embassies, accounts and devices of the matrix.
func people() testserver.Options {
	return testserver.Options{
		Embassies: []testserver.Embassy{
			{Id: embX, Name: "Embassy X", Slug: "x"}, {Id: embY, Name: "Embassy Y", Slug: "y"},
			{Id: embZ, Name: "Embassy Z", Slug: "z", Inactive: true},
		},
		Volunteers: []testserver.Volunteer{
			{Id: volA, Email: "a@example.org"}, {Id: volB, Email: "b@example.org"},
			{Id: volU, Email: "u@example.org", Unapproved: true},
		},
		Staff: []testserver.Staff{
			{Id: stfX, Email: "x@example.org", Embassy: 0}, {Id: stfY, Email: "y@example.org", Embassy: 1},
		},
		Devices: []testserver.Device{{Id: devA, Volunteer: 0, Label: "A's phone"}, {Id: devB, Volunteer: 1, Label: "B's phone"}},
	}
}

// roleTokens maps each role of the matrix to its auth token.
func roleTokens(s *testserver.Seeded) map[string]string {
	return map[string]string{
		"volunteer A": s.VolunteerTokens[0], "volunteer B": s.VolunteerTokens[1],
		"unapproved volunteer": s.VolunteerTokens[2],
		"staff X":              s.StaffTokens[0], "staff Y": s.StaffTokens[1],
		"superuser": s.SuperuserToken,
	}
}

// seedRecords saves the reports, files, messages, events and links the
// matrix names.
func seedRecords(t testing.TB, app core.App) {
	type rec struct {
		col  string
		data map[string]any
	}
	for _, r := range []rec{
		{"reports", map[string]any{"id": repXA, "embassy": embX, "channel": "volunteer", "volunteer": volA}},
		{"reports", map[string]any{"id": repXS, "embassy": embX, "channel": "self"}},
		{"reports", map[string]any{"id": repXU, "embassy": embX, "channel": "volunteer", "volunteer": volU}},
		{"reports", map[string]any{"id": repYB, "embassy": embY, "channel": "volunteer", "volunteer": volB}},
		{"attachments", map[string]any{"id": attXA, "report": repXA}},
		{"attachments", map[string]any{"id": attYB, "report": repYB}},
		// Reporters' messages: a staff reply would also write a "reply"
		// event (hooks/staff), and the events below are the ones listed.
		{"messages", map[string]any{"id": msgXA, "report": repXA, "direction": "reporter", "body": "Message X-A"}},
		{"messages", map[string]any{"id": msgXS, "report": repXS, "direction": "reporter", "body": "Hello X"}},
		{"messages", map[string]any{"id": msgYB, "report": repYB, "direction": "reporter", "body": "Message Y-B"}},
		{"report_events", map[string]any{"id": evtXA, "embassy": embX, "report": repXA, "kind": "note", "note": "n", "actor": stfX}},
		{"report_events", map[string]any{"id": evtYB, "embassy": embY, "report": repYB, "kind": "note", "note": "n", "actor": stfY}},
		{"qr_links", map[string]any{"id": qrlX, "embassy": embX, "label": "X poster"}},
		{"qr_links", map[string]any{"id": qrlY, "embassy": embY, "label": "Y poster"}},
		{"staff_views", map[string]any{"id": svwX, "staff": stfX, "name": "X's view", "query": "#/?status=new"}},
		{"staff_views", map[string]any{"id": svwY, "staff": stfY, "name": "Y's view", "query": "#/?urgent=1"}},
		{"embassy_keys", map[string]any{"id": ekX, "embassy": embX, "epoch": 1, "kid": testKid('x'), "public_key": testKey('x'), "verify_key": testKey('X')}},
		{"embassy_keys", map[string]any{"id": ekY, "embassy": embY, "epoch": 1, "kid": testKid('y'), "public_key": testKey('y'), "verify_key": testKey('Y')}},
		{"embassy_keys", map[string]any{"id": ekZ, "embassy": embZ, "epoch": 1, "kid": testKid('z'), "public_key": testKey('z'), "verify_key": testKey('Z')}},
		{"staff_keys", map[string]any{"id": pkX, "staff": stfX, "kid": "kidpersonalx0000", "public_key": testKey('p'), "backup": `{"v":1}`}},
		{"staff_keys", map[string]any{"id": pkY, "staff": stfY, "kid": "kidpersonaly0000", "public_key": testKey('q'), "backup": `{"v":1}`}},
		{"embassy_key_grants", map[string]any{"id": grX, "embassy": embX, "key": ekX, "epoch": 1, "staff": stfX, "holder_kid": "kidpersonalx0000", "wrapped": `{"enc":"e"}`}},
		{"embassy_recovery", map[string]any{"id": rcX, "embassy": embX, "kid": "kidrecoveryx0000", "public_key": testKey('r'), "wrapped": `{"1":{"enc":"e"}}`}},
		{"embassy_recovery", map[string]any{"id": rcY, "embassy": embY, "kid": "kidrecoveryy0000", "public_key": testKey('s'), "wrapped": `{"1":{"enc":"e"}}`}},
		{"embassy_key_grants", map[string]any{"id": grY, "embassy": embY, "key": ekY, "epoch": 1, "staff": stfY, "holder_kid": "kidpersonaly0000", "wrapped": `{"enc":"e"}`}},
		{"embassy_escrow", map[string]any{"id": esX, "embassy": embX, "label": "Ministry X", "public_key": testKey('e')}},
		{"embassy_escrow", map[string]any{"id": esY, "embassy": embY, "label": "Ministry Y", "public_key": testKey('f')}},
		{"embassy_escrow_grants", map[string]any{"id": egX, "embassy": embX, "key": ekX, "epoch": 1, "escrow_kid": testKid('e'), "wrapped": `{"enc":"e"}`}},
		{"embassy_escrow_grants", map[string]any{"id": egY, "embassy": embY, "key": ekY, "epoch": 1, "escrow_kid": testKid('f'), "wrapped": `{"enc":"e"}`}},
	} {
		testserver.SaveRecord(t, app, r.col, r.data)
	}
}

// testKey is a stand-in for a base64url public key: the right shape, no
// real point (the matrix tests access, not keys).
// testKey is a real P-256 public key (base64url), one per byte c: the
// server seals reports of an embassy with a key to it.
// testKid is the key id of testKey(c), as every write path makes it
// (seal.KeyID): sealed files carry it in a 16-character field.
func testKid(c byte) string {
	raw, err := base64.RawURLEncoding.DecodeString(testKey(c))
	if err != nil {
		panic(err)
	}
	return seal.KeyID(raw)
}

func testKey(c byte) string {
	scalar := make([]byte, 32)
	scalar[31] = c
	k, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes())
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	dir, tokens, before := fixture(t)
	factory := func(t testing.TB) *tests.TestApp {
		return testserver.NewAppFrom(t, dir)
	}

	for _, col := range collections {
		for _, action := range actions {
			cells, ok := matrix[col+" "+action]
			if !ok {
				t.Fatalf("the matrix has no row for %s %s", col, action)
			}
			for i, role := range roles {
				status, scope := parseCell(t, cells[i])
				s := scenario(col, action, role, tokens[role], before, status, scope, factory)
				s.Test(t)
			}
		}
	}
}

// TestMatrixCoversEveryCollection fails when a collection is added
// without its rows in the matrix (and so in docs/SECURITY.md).
func TestMatrixCoversEveryCollection(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	all, err := app.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.System || c.IsView() {
			continue
		}
		if !slices.Contains(collections, c.Name) {
			t.Errorf("collection %s is not in the authorization matrix", c.Name)
		}
	}
}

func parseCell(t testing.TB, cell string) (int, string) {
	code, scope, _ := strings.Cut(cell, " ")
	status, err := strconv.Atoi(code)
	if err != nil {
		t.Fatalf("bad matrix cell %q", cell)
	}
	return status, scope
}

func scenario(col, action, role, token string, before map[string]string, status int, scope string, factory func(testing.TB) *tests.TestApp) tests.ApiScenario {
	base := "/api/collections/" + col + "/records"
	s := tests.ApiScenario{
		Name:               fmt.Sprintf("%s %s as %s → %d %s", col, action, role, status, scope),
		ExpectedStatus:     status,
		TestAppFactory:     factory,
		NotExpectedContent: []string{`"password"`},
	}
	if role != "superuser" {
		// Hidden fields reach superusers only.
		s.NotExpectedContent = append(s.NotExpectedContent, "receipt_hash", "token_hash", `"backup"`)
	}
	if token != "" {
		s.Headers = map[string]string{"Authorization": token}
	}
	switch action {
	case "list":
		s.Method, s.URL = http.MethodGet, base+"?perPage=100"
	case "view":
		s.Method, s.URL = http.MethodGet, base+"/"+target[col]
	case "create":
		s.Method, s.URL, s.Body = http.MethodPost, base, strings.NewReader(createBody[col])
	case "update":
		s.Method, s.URL, s.Body = http.MethodPatch, base+"/"+target[col], strings.NewReader(updateBody[col])
	case "delete":
		s.Method, s.URL = http.MethodDelete, base+"/"+target[col]
	}

	writes := action == "create" || action == "update" || action == "delete"
	if writes && status >= 400 {
		// A refused write changes nothing.
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			if got := snapshot(t, app, col); got != before[col] {
				t.Errorf("a refused %s changed %s:\nbefore %s\nafter  %s", action, col, before[col], got)
			}
		}
	}
	if status == http.StatusNoContent {
		s.NotExpectedContent = nil
	}
	if action == "list" && status == http.StatusOK {
		want := scopes[col][scope]
		if scope == "none" {
			want = []string{}
		}
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			checkListIds(t, res, want)
		}
	}
	if s.AfterTestFunc == nil {
		s.AfterTestFunc = func(t testing.TB, app *tests.TestApp, res *http.Response) {
			if res.StatusCode != status {
				body, _ := io.ReadAll(res.Body)
				t.Logf("body: %s", body)
			}
		}
	}
	return s
}

func checkListIds(t testing.TB, res *http.Response, want []string) {
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Id string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("list body: %v", err)
	}
	got := []string{}
	for _, it := range list.Items {
		got = append(got, it.Id)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("visible ids: got %v, want %v", got, want)
	}
}

// TestSecurityDocMirrorsMatrix fails when docs/SECURITY.md and the matrix
// above disagree. Run with HOMEWARD_WRITE_DOCS=1 to rewrite the doc's table.
func TestSecurityDocMirrorsMatrix(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testserver.RepoRoot(), "docs", "SECURITY.md")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q block", path, begin, end)
	}
	want := renderMatrix()
	if got := doc[i+len(begin) : j]; got != want {
		if os.Getenv("HOMEWARD_WRITE_DOCS") != "" {
			doc = doc[:i+len(begin)] + want + doc[j:]
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("docs/SECURITY.md's matrix differs from the tested one; want:\n%s", want)
	}
}

func renderMatrix() string {
	var b strings.Builder
	b.WriteString("| collection | action | " + strings.Join(roles, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---|", len(roles)) + "\n")
	for _, col := range collections {
		for _, action := range actions {
			cells := matrix[col+" "+action]
			b.WriteString("| " + col + " | " + action + " | " + strings.Join(cells[:], " | ") + " |\n")
		}
	}
	return b.String()
}

// TestSecurityDocNamesOnlyRealTests: every test or fuzz target that
// docs/SECURITY.md cites as proof exists, so no claim points at nothing.
func TestSecurityDocNamesOnlyRealTests(t *testing.T) {
	t.Parallel()
	root := testserver.RepoRoot()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "SECURITY.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	funcs := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcs.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cited := regexp.MustCompile("`((?:Test|Fuzz)\\w+)`").FindAllStringSubmatch(string(doc), -1)
	if len(cited) < 20 {
		t.Fatalf("SECURITY.md cites only %d tests", len(cited))
	}
	for _, m := range cited {
		if !defined[m[1]] {
			t.Errorf("SECURITY.md cites %s, which no test file defines", m[1])
		}
	}
}
