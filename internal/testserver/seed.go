package testserver

import (
	"fmt"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/syncapi"
)

// Password is the password of every account Seed makes.
const Password = "correct horse battery staple"

// SuperuserEmail is the seeded superuser's sign-in.
const SuperuserEmail = "root@homeward.example"

// Embassy is an embassy to seed. Empty fields get defaults made from its
// position; Fields sets any other field or overrides a default. Phone
// numbers are undialable +000 numbers.
type Embassy struct {
	Id, Slug, Name string
	Inactive       bool
	Fields         map[string]any
}

// Staff is a staff account at Options.Embassies[Embassy]. OnDuty staff get
// e-mail notices of urgent reports.
type Staff struct {
	Id, Email, Name string
	Embassy         int
	OnDuty          bool
	Fields          map[string]any
}

// Volunteer is a volunteer account, approved unless Unapproved.
type Volunteer struct {
	Id, Email, Name string
	Unapproved      bool
}

// Device is a device credential of Options.Volunteers[Volunteer].
type Device struct {
	Id        string
	Volunteer int
	Label     string
}

// Options says which embassies, accounts and devices Seed makes. A
// superuser is always made.
type Options struct {
	Embassies  []Embassy
	Staff      []Staff
	Volunteers []Volunteer
	Devices    []Device
}

// TwoEmbassies is the usual world for tests about who sees what: active
// embassies X and Y, one staff member of each, two approved volunteers
// (A and B) with one device each.
func TwoEmbassies() Options {
	return Options{
		Embassies:  []Embassy{{Slug: "x", Name: "Embassy X"}, {Slug: "y", Name: "Embassy Y"}},
		Staff:      []Staff{{Email: "x@example.org", Name: "Staff X", Embassy: 0}, {Email: "y@example.org", Name: "Staff Y", Embassy: 1}},
		Volunteers: []Volunteer{{Email: "a@example.org"}, {Email: "b@example.org"}},
		Devices:    []Device{{Volunteer: 0, Label: "A's phone"}, {Volunteer: 1, Label: "B's phone"}},
	}
}

// Seeded is what Seed made, each list in the order of its Options, with a
// valid auth token for every account and the credential of every device.
// Tokens stay valid in a copy of the data dir (NewAppFrom).
type Seeded struct {
	Embassies       []*core.Record
	Staff           []*core.Record
	StaffTokens     []string
	Volunteers      []*core.Record
	VolunteerTokens []string
	Devices         []*core.Record
	DeviceTokens    []string // as POST /api/sync/devices hands them out
	Superuser       *core.Record
	SuperuserToken  string
}

// Seed saves what opts describes through the normal record path (hooks
// and validation included), so seeded data is what the app itself makes.
// Every account has Password and is verified. Seed may be called again on
// the same app to add more.
func Seed(t testing.TB, app core.App, opts Options) *Seeded {
	t.Helper()
	s := &Seeded{}
	for i, e := range opts.Embassies {
		slug := e.Slug
		if slug == "" {
			slug = fmt.Sprintf("embassy-%d", i+1)
		}
		name := e.Name
		if name == "" {
			name = "Embassy " + slug
		}
		data := map[string]any{
			"id": e.Id, "slug": slug, "name": name, "country": name, "active": !e.Inactive,
			"hotline": fmt.Sprintf("+000 23 000 %03d", i+1),
			// Until a test gives it a key (AddEmbassyKey), an embassy
			// takes reports in clear, as every embassy did before sealed
			// reports; a test of the keyless rule sets this false.
			"clear_until_keyed": true,
		}
		s.Embassies = append(s.Embassies, SaveRecord(t, app, "embassies", merge(data, e.Fields)))
	}
	for i, st := range opts.Staff {
		if st.Embassy < 0 || st.Embassy >= len(s.Embassies) {
			t.Fatalf("seed: staff %d names embassy %d of %d", i, st.Embassy, len(s.Embassies))
		}
		email := st.Email
		if email == "" {
			email = fmt.Sprintf("staff%d@example.org", i+1)
		}
		data := map[string]any{
			"id": st.Id, "email": email, "name": st.Name, "password": Password, "verified": true,
			"embassy": s.Embassies[st.Embassy].Id, "on_duty": st.OnDuty,
		}
		rec := SaveRecord(t, app, "staff", merge(data, st.Fields))
		s.Staff = append(s.Staff, rec)
		s.StaffTokens = append(s.StaffTokens, AuthToken(t, rec))
	}
	for i, v := range opts.Volunteers {
		email := v.Email
		if email == "" {
			email = fmt.Sprintf("volunteer%d@example.org", i+1)
		}
		rec := SaveRecord(t, app, "volunteers", map[string]any{
			"id": v.Id, "email": email, "name": v.Name, "password": Password, "verified": true, "approved": !v.Unapproved,
		})
		s.Volunteers = append(s.Volunteers, rec)
		s.VolunteerTokens = append(s.VolunteerTokens, AuthToken(t, rec))
	}
	for i, d := range opts.Devices {
		if d.Volunteer < 0 || d.Volunteer >= len(s.Volunteers) {
			t.Fatalf("seed: device %d names volunteer %d of %d", i, d.Volunteer, len(s.Volunteers))
		}
		label := d.Label
		if label == "" {
			label = "phone"
		}
		col, err := app.FindCollectionByNameOrId("devices")
		if err != nil {
			t.Fatal(err)
		}
		rec := core.NewRecord(col)
		rec.Load(merge(map[string]any{"id": d.Id, "volunteer": s.Volunteers[d.Volunteer].Id, "label": label}, nil))
		token, err := syncapi.IssueDevice(app, rec)
		if err != nil {
			t.Fatalf("seed device %d: %v", i, err)
		}
		s.Devices = append(s.Devices, rec)
		s.DeviceTokens = append(s.DeviceTokens, token)
	}
	// The superuser is made once, however often Seed is called.
	su, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, SuperuserEmail)
	if err != nil {
		su = SaveRecord(t, app, core.CollectionNameSuperusers, map[string]any{"email": SuperuserEmail, "password": Password})
	}
	s.Superuser = su
	s.SuperuserToken = AuthToken(t, s.Superuser)
	return s
}

// AuthToken is a fresh auth token of an account record.
func AuthToken(t testing.TB, account *core.Record) string {
	t.Helper()
	token, err := account.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// merge returns base with over's entries set over it; an empty "id" is
// left out, so the record gets a generated one.
func merge(base, over map[string]any) map[string]any {
	for k, v := range over {
		base[k] = v
	}
	if base["id"] == "" {
		delete(base, "id")
	}
	return base
}

// SeedDir seeds a fresh app with opts and closes it, returning its data
// dir: a scenario's TestAppFactory opens a copy of it with NewAppFrom, so
// every scenario starts from the same state and the tokens in the
// returned Seeded are valid in each copy.
func SeedDir(t testing.TB, opts Options, more ...func(app core.App, s *Seeded)) (string, *Seeded) {
	t.Helper()
	app := NewApp(t, false)
	s := Seed(t, app, opts)
	for _, m := range more {
		m(app, s)
	}
	if err := app.ResetBootstrapState(); err != nil {
		t.Fatal(err)
	}
	return app.DataDir(), s
}
