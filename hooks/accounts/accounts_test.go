package accounts_test

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/accounts"
)

// run executes one of the account commands on app as the binary would.
func run(t *testing.T, app core.App, args ...string) (string, error) {
	t.Helper()
	root := newRoot(app)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func newApp(t *testing.T) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	return app
}

var passwordLine = regexp.MustCompile(`Password \(shown once, hand it over privately\): (\S+)`)

func password(t *testing.T, out string) string {
	t.Helper()
	m := passwordLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no password printed:\n%s", out)
	}
	return m[1]
}

func TestEmbassyAdd(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	out, err := run(t, app, "embassy", "add", "testland-phnom-penh",
		"--name", "Embassy of Testland in Phnom Penh", "--country", "Testland",
		"--hotline", "+000 23 000 001", "--languages", "en,km")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rec, err := app.FindFirstRecordByData("embassies", "slug", "testland-phnom-penh")
	if err != nil {
		t.Fatal(err)
	}
	if rec.GetString("name") != "Embassy of Testland in Phnom Penh" || rec.GetString("hotline") != "+000 23 000 001" ||
		strings.Join(rec.GetStringSlice("languages"), ",") != "en,km" {
		t.Fatalf("saved %v", rec.PublicExport())
	}
	if rec.GetBool("active") || !strings.Contains(out, "not shown to the public") {
		t.Fatalf("an embassy added without --active is public (active=%v):\n%s", rec.GetBool("active"), out)
	}

	if out, err := run(t, app, "embassy", "add", "visible", "--name", "Visible", "--country", "Testland", "--active"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rec, _ := app.FindFirstRecordByData("embassies", "slug", "visible"); rec == nil || !rec.GetBool("active") {
		t.Fatal("--active did not make the embassy public")
	}

	refused := []struct {
		name string
		args []string
		is   error
		says string
	}{
		{"a slug taken", []string{"testland-phnom-penh", "--name", "Other", "--country", "Other"}, accounts.ErrExists, "already exists"},
		{"a slug that is no address part", []string{"Not A Slug", "--name", "X", "--country", "X"}, nil, "slug"},
		{"no name", []string{"no-name", "--country", "X"}, nil, "name"},
		{"no country", []string{"no-country", "--name", "X"}, nil, "country"},
		{"an unknown language", []string{"bad-language", "--name", "X", "--country", "X", "--languages", "xx"}, nil, "languages"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := app.CountRecords("embassies")
			out, err := run(t, app, append([]string{"embassy", "add"}, tc.args...)...)
			if err == nil {
				t.Fatalf("accepted:\n%s", out)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not name %q", err, tc.says)
			}
			if after, _ := app.CountRecords("embassies"); after != before {
				t.Fatalf("%d embassies after a refusal, want %d", after, before)
			}
		})
	}
}

func TestStaffAdd(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	if out, err := run(t, app, "embassy", "add", "testland", "--name", "Testland", "--country", "Testland"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	if _, err := run(t, app, "staff", "add", "officer@embassy.example", "--embassy", "nowhere"); !errors.Is(err, accounts.ErrUnknownEmbassy) {
		t.Fatalf("an unknown embassy gave %v", err)
	}
	if _, err := run(t, app, "staff", "add", "officer@embassy.example"); err == nil {
		t.Fatal("staff without an embassy was accepted")
	}

	out, err := run(t, app, "staff", "add", "officer@embassy.example", "--embassy", "testland", "--name", "Duty officer")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pw := password(t, out)
	rec, err := app.FindAuthRecordByEmail("staff", "officer@embassy.example")
	if err != nil {
		t.Fatal(err)
	}
	emb, _ := app.FindFirstRecordByData("embassies", "slug", "testland")
	if rec.GetString("embassy") != emb.Id || rec.GetString("name") != "Duty officer" || !rec.ValidatePassword(pw) {
		t.Fatalf("staff saved as %v; printed password valid: %v", rec.PublicExport(), rec.ValidatePassword(pw))
	}

	t.Run("an existing e-mail is refused and its password kept", func(t *testing.T) {
		out, err := run(t, app, "staff", "add", "officer@embassy.example", "--embassy", "testland")
		if !errors.Is(err, accounts.ErrExists) || passwordLine.MatchString(out) {
			t.Fatalf("second add: %v\n%s", err, out)
		}
		again, _ := app.FindAuthRecordByEmail("staff", "officer@embassy.example")
		if !again.ValidatePassword(pw) {
			t.Fatal("the second add changed the password")
		}
	})
	t.Run("a bad e-mail is refused", func(t *testing.T) {
		if out, err := run(t, app, "staff", "add", "not-an-email", "--embassy", "testland"); err == nil {
			t.Fatalf("accepted:\n%s", out)
		}
	})
}

func TestVolunteerAdd(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	out, err := run(t, app, "volunteer", "add", "field1@shelter.example", "--name", "Field team 1", "--organisation", "Test shelter")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pw := password(t, out)
	rec, err := app.FindAuthRecordByEmail("volunteers", "field1@shelter.example")
	if err != nil {
		t.Fatal(err)
	}
	if !rec.GetBool("approved") || rec.GetString("organisation") != "Test shelter" || !rec.ValidatePassword(pw) {
		t.Fatalf("volunteer saved as %v", rec.PublicExport())
	}

	out, err = run(t, app, "volunteer", "add", "field2@shelter.example", "--approved=false")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rec, _ = app.FindAuthRecordByEmail("volunteers", "field2@shelter.example")
	if rec.GetBool("approved") || !strings.Contains(out, "cannot sync until") {
		t.Fatalf("--approved=false saved approved=%v:\n%s", rec.GetBool("approved"), out)
	}
}
