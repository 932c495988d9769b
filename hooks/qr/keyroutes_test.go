package qr_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/qr"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// keyStates reads a key list answer as kid → state, in order.
func keyStates(t testing.TB, body io.Reader) (kids []string, states map[string]string) {
	t.Helper()
	var list qr.KeyList
	if err := json.NewDecoder(body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	states = map[string]string{}
	for _, k := range list.Keys {
		kids = append(kids, k.Kid)
		states[k.Kid] = k.State
	}
	return kids, states
}

// TestKeyRoutes: only superusers list, rotate and retire signing keys; a
// rotation keeps printed codes valid and signs new ones with the new key;
// retiring the old key turns its codes into warnings; the signing key and
// unknown keys cannot be retired. The steps run in order on one server.
func TestKeyRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	first, err := qr.KeyringFor(f.app).Current()
	if err != nil {
		t.Fatal(err)
	}
	printed := linkURL(t, f.app, f.link) // a poster printed before any change
	srv := testserver.Start(t, f.app)
	superuser, staff := testserver.AuthToken(t, f.superuser), testserver.AuthToken(t, f.staff)
	unchanged := func(t *testing.T, _ []byte) {
		if cur, _ := qr.KeyringFor(f.app).Current(); cur.Kid != first.Kid {
			t.Errorf("a refused call changed the signing key to %s", cur.Kid)
		}
	}
	for _, s := range []struct {
		name, method, path, token string
		status                    int
		contains                  []string
		after                     func(t *testing.T, body []byte)
	}{
		{"guests may not list keys", http.MethodGet, "/api/qr/keys", "", 401, []string{`"status":401`}, nil},
		{"staff may not list keys", http.MethodGet, "/api/qr/keys", staff, 403, []string{`"status":403`}, nil},
		{"staff may not rotate", http.MethodPost, "/api/qr/keys/rotate", staff, 403, []string{`"status":403`}, unchanged},
		{"staff may not retire", http.MethodPost, "/api/qr/keys/" + first.Kid + "/retire", staff, 403, []string{`"status":403`}, unchanged},
		{"a superuser lists the one key", http.MethodGet, "/api/qr/keys", superuser, 200,
			[]string{`{"keys":[{"kid":"` + first.Kid + `","created":"`, `"state":"signs"}]}`}, func(t *testing.T, body []byte) {
				if strings.Contains(string(body), "private") || strings.Contains(string(body), `"retired"`) {
					t.Errorf("the list shows more than it should: %s", body)
				}
			}},
		{"the signing key cannot be retired", http.MethodPost, "/api/qr/keys/" + first.Kid + "/retire", superuser, 400,
			[]string{"make a new key first"}, unchanged},
		{"an unknown key is not found", http.MethodPost, "/api/qr/keys/nosuch/retire", superuser, 404,
			[]string{"There is no signing key nosuch."}, nil},
		{"a superuser rotates", http.MethodPost, "/api/qr/keys/rotate", superuser, 200, nil, func(t *testing.T, body []byte) {
			kids, states := keyStates(t, bytes.NewReader(body))
			if len(kids) != 2 || kids[0] != first.Kid || states[first.Kid] != "verifies" || states[kids[1]] != "signs" {
				t.Fatalf("keys after rotation: %v %v", kids, states)
			}
			if v := qr.VerifyInput(f.app, printed).Verdict; v != qr.VerdictValid {
				t.Errorf("a code printed before the rotation is %s, want valid", v)
			}
			if res := qr.VerifyInput(f.app, linkURL(t, f.app, f.link)); res.Kid != kids[1] {
				t.Errorf("a new code is signed by %s, want the new key %s", res.Kid, kids[1])
			}
		}},
		{"a superuser retires the old key", http.MethodPost, "/api/qr/keys/" + first.Kid + "/retire", superuser, 200,
			[]string{`"state":"retired"`, `"retired":"`}, func(t *testing.T, _ []byte) {
				if v := qr.VerifyInput(f.app, printed).Verdict; v != qr.VerdictUnknown {
					t.Errorf("a code of the retired key is %s, want %s", v, qr.VerdictUnknown)
				}
			}},
		{"a retired key cannot be retired again", http.MethodPost, "/api/qr/keys/" + first.Kid + "/retire", superuser, 400,
			[]string{"already retired"}, nil},
		{"a second rotation", http.MethodPost, "/api/qr/keys/rotate", superuser, 200, nil, nil},
		{"the list as docs/API.md shows it", http.MethodGet, "/api/qr/keys", superuser, 200, nil, func(t *testing.T, body []byte) {
			matchesDocExample(t, body)
		}},
	} {
		req, _ := http.NewRequest(s.method, srv.URL+s.path, nil)
		if s.token != "" {
			req.Header.Set("Authorization", s.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != s.status {
			t.Fatalf("%s: %d %s, want %d", s.name, res.StatusCode, body, s.status)
		}
		for _, want := range s.contains {
			if !strings.Contains(string(body), want) {
				t.Errorf("%s: %s lacks %q", s.name, body, want)
			}
		}
		if s.after != nil {
			s.after(t, body)
		}
	}
}

// TestKeyScreen: a superuser signs in on /admin/keys.html, makes a new
// signing key and retires the old one, and the server's key ring shows it.
func TestKeyScreen(t *testing.T) {
	f := newFixture(t, false)
	first, err := qr.KeyringFor(f.app).Current()
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, f.app)
	ctx := browsertest.New(t, 60*time.Second)
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	wait := func(name, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage: %s", name, err, text)
		}
	}
	step("sign in", chromedp.Navigate(srv.URL+"/admin/keys.html"), chromedp.WaitVisible("#admin-email"),
		chromedp.SendKeys("#admin-email", testserver.SuperuserEmail), chromedp.SendKeys("#admin-password", testserver.Password),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true; document.querySelector('[data-login-form] button').click()`))
	wait("the key is listed as signing", `!!document.querySelector('tr[data-kid="`+first.Kid+`"][data-state="signs"]')`)
	step("make a new key", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-rotate]').click()`))
	wait("the old key only verifies now", `!!document.querySelector('tr[data-kid="`+first.Kid+`"][data-state="verifies"]') && document.querySelectorAll('tr[data-state="signs"]').length === 1`)
	if cur, _ := qr.KeyringFor(f.app).Current(); cur.Kid == first.Kid {
		t.Fatal("the server still signs with the first key")
	}
	step("retire the old key", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-retire="`+first.Kid+`"]').click()`))
	wait("the old key is retired", `!!document.querySelector('tr[data-kid="`+first.Kid+`"][data-state="retired"]')`)
	keys, err := qr.KeyringFor(f.app).List()
	if err != nil || len(keys) != 2 || keys[0].Retired.IsZero() {
		t.Fatalf("server keys after the screen: %+v (%v)", keys, err)
	}
}

// matchesDocExample holds a key list to docs/API.md's example: the same
// keys in the same states, each with the same fields, its times in RFC
// 3339 and its id in the ring's alphabet (ids and times differ each run).
func matchesDocExample(t *testing.T, body []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testserver.RepoRoot(), "docs", "API.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json keys-response\n(.*?)```").FindSubmatch(raw)
	if m == nil {
		t.Fatal("docs/API.md has no keys-response block")
	}
	var doc, got struct{ Keys []map[string]string }
	if err := json.Unmarshal(m[1], &doc); err != nil {
		t.Fatalf("docs/API.md keys-response: %v", err)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Keys) != len(doc.Keys) {
		t.Fatalf("the server lists %d keys, the doc %d: %s", len(got.Keys), len(doc.Keys), body)
	}
	for i, want := range doc.Keys {
		k := got.Keys[i]
		if k["state"] != want["state"] || len(k) != len(want) {
			t.Errorf("key %d is %v, the doc shows %v", i, k, want)
		}
		for field := range want {
			switch field {
			case "created", "retired":
				if _, err := time.Parse(time.RFC3339, k[field]); err != nil {
					t.Errorf("key %d's %s %q is not RFC 3339", i, field, k[field])
				}
			case "kid":
				if !regexp.MustCompile(`^[a-z0-9]{4,}$`).MatchString(k[field]) {
					t.Errorf("key %d's id %q", i, k[field])
				}
			}
		}
	}
}
