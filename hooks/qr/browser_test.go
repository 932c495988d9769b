package qr_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"

	"homeward/hooks/qr"
	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// verification is what verifyLink returns, as far as the tests read it.
type verification struct {
	Verdict           string `json:"verdict"`
	Offline           bool   `json:"offline"`
	RevocationChecked bool   `json:"revocationChecked"`
	Reason            string `json:"reason"`
}

func verifyInPage(t *testing.T, ctx context.Context, input string) verification {
	t.Helper()
	arg, _ := json.Marshal(input)
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](
		`import('/js/qrverify.js').then(m => m.verifyLink(`+string(arg)+`))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var v verification
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return v
}

// checkWithForm pastes input into the /verify page's form and returns the
// verdict and offline flag the page shows.
func checkWithForm(t *testing.T, ctx context.Context, input string) (verdict, offline string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('verify-result').replaceChildren()`),
		chromedp.SetValue("#verify-input", input),
		chromedp.Click("#verify-form button"),
		chromedp.WaitVisible("#verify-result p[data-offline]"),
	)
	if err != nil {
		t.Fatal(err)
	}
	v, err := chromedp.Run(ctx, chromedp.AttributeValue("#verify-result p[data-offline]", "data-verdict"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := chromedp.Run(ctx, chromedp.AttributeValue("#verify-result p[data-offline]", "data-offline"))
	if err != nil {
		t.Fatal(err)
	}
	return v.Value, o.Value
}

// TestBrowserVerifiesLinksOffline loads /verify once, cuts the network and
// checks links with WebCrypto against the keys cached in localStorage.
func TestBrowserVerifiesLinksOffline(t *testing.T) {
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	f.app.Settings().Meta.AppURL = srv.URL
	ctx := browsertest.New(t, 90*time.Second)

	key, _ := qr.KeyringFor(f.app).Current()
	valid := linkURL(t, f.app, f.link)
	revoked := linkURL(t, f.app, f.revoked)
	expired := linkURL(t, f.app, f.expired)
	parts := strings.Split(tokenOf(valid), ".")
	tampered := srv.URL + "/q/" + tamper(t, tokenOf(valid), f.expired.Id)
	none := srv.URL + "/q/" + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+key.Kid+`"}`)) + "." + parts[1] + "."
	point, _ := key.Private.PublicKey.Bytes()
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": f.link.Id, "emb": "kh-indonesia", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	hs.Header["kid"] = key.Kid
	hsToken, _ := hs.SignedString(point)

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/verify"), chromedp.WaitVisible("#verify-keys")); err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`import('/js/qrverify.js').then(m => m.refreshKeys()).then(s => s.keys.length)`, chromedp.EvalAwaitPromise))
	if err != nil || n != 1 {
		t.Fatalf("cached %d keys: %v", n, err)
	}

	t.Run("online, the server's verdict is used", func(t *testing.T) {
		if v := verifyInPage(t, ctx, valid); v.Verdict != "valid" || v.Offline || !v.RevocationChecked {
			t.Fatalf("%+v", v)
		}
		if v := verifyInPage(t, ctx, revoked); v.Verdict != "revoked" {
			t.Fatalf("revoked link online: %+v", v)
		}
		if verdict, offline := checkWithForm(t, ctx, valid); verdict != "valid" || offline != "false" {
			t.Fatalf("form shows %s offline=%s", verdict, offline)
		}
	})

	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	_, err = chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch('/.well-known/jwks.json', {cache: 'no-store'}).then(() => 'online', () => 'offline')`, chromedp.EvalAwaitPromise))
	if err != nil || state != "offline" {
		t.Fatalf("network not cut: %q %v", state, err)
	}

	for _, c := range []struct {
		name, input, want string
	}{
		{"a genuine link is valid offline", valid, "valid"},
		{"a bare token is valid offline", tokenOf(valid), "valid"},
		{"an expired link is expired offline", expired, "expired"},
		{"a tampered link is invalid offline", tampered, "invalid"},
		{"a genuine token on another address is invalid", "https://homeward-help.example/q/" + tokenOf(valid), "invalid"},
		{"alg none is invalid", none, "invalid"},
		{"HS256 keyed with the public key is invalid", srv.URL + "/q/" + hsToken, "invalid"},
		{"a signature of impossible length is invalid", srv.URL + "/q/" + parts[0] + "." + parts[1] + "." + parts[2][:85], "invalid"},
		{"an unknown key id is unknown", srv.URL + "/q/eyJhbGciOiJFUzI1NiIsImtpZCI6Inp6enp6eiJ9." + parts[1] + "." + parts[2], "unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := verifyInPage(t, ctx, c.input)
			if v.Verdict != c.want || !v.Offline {
				t.Fatalf("%+v, want %s offline", v, c.want)
			}
		})
	}
	t.Run("a revoked link still verifies offline, marked as not checked for revocation", func(t *testing.T) {
		v := verifyInPage(t, ctx, revoked)
		if v.Verdict != "valid" || v.RevocationChecked {
			t.Fatalf("%+v", v)
		}
	})
	t.Run("the page's form works offline", func(t *testing.T) {
		if verdict, offline := checkWithForm(t, ctx, valid); verdict != "valid" || offline != "true" {
			t.Fatalf("form shows %s offline=%s", verdict, offline)
		}
		if verdict, _ := checkWithForm(t, ctx, tampered); verdict != "invalid" {
			t.Fatalf("form shows %s for a tampered link", verdict)
		}
	})
}

// TestBrowserShowsTheContactFlowUnderTheCSP opens a scanned link as a
// phone would and checks the stylesheet applied and the tap targets.
func TestBrowserShowsTheContactFlowUnderTheCSP(t *testing.T) {
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	f.app.Settings().Meta.AppURL = srv.URL
	ctx := browsertest.New(t, 60*time.Second)

	if err := chromedp.Do(ctx, chromedp.Navigate(linkURL(t, f.app, f.link)), chromedp.WaitVisible("a.call")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(async () => {
		const vcard = document.querySelector('img.vcard');
		vcard.scrollIntoView(); // it loads lazily
		await vcard.decode();
		return {
			badge: getComputedStyle(document.querySelector('.badge')).borderTopStyle,
			call: document.querySelector('a.call').href,
			report: document.querySelector('a.report').getAttribute('href'),
			vcard: String(vcard.naturalWidth > 0),
		};
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"badge": "solid", "call": "tel:+00023000111", "report": "/?embassy=kh-indonesia&lang=id#report", "vcard": "true"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestBrowserPrintsThePosterOnOneA4Page opens the poster as staff would,
// prints it to PDF with the page's own print CSS, and reads the code back
// from Chromium's rendering.
func TestBrowserPrintsThePosterOnOneA4Page(t *testing.T) {
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	f.app.Settings().Meta.AppURL = srv.URL
	ctx := browsertest.New(t, 60*time.Second)

	url := srv.URL + "/api/qr/" + f.link.Id + "/poster?token=" + fileToken(t, f.staff)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(".poster .code svg")); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(".poster .code"))
	if err != nil {
		t.Fatal(err)
	}
	if text := decodeQR(t, shot); !strings.HasPrefix(text, srv.URL+"/q/") || qr.VerifyInput(f.app, text).Verdict != qr.VerdictValid {
		t.Fatalf("the rendered poster code reads %q", text)
	}

	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: new(true)})
	if err != nil {
		t.Fatal(err)
	}
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf.Data, -1)
	if len(pages) != 1 {
		t.Fatalf("the poster prints on %d pages, want 1", len(pages))
	}
	box := regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]`).FindSubmatch(pdf.Data)
	if box == nil {
		t.Fatal("no MediaBox in the PDF")
	}
	w, _ := strconv.ParseFloat(string(box[1]), 64)
	h, _ := strconv.ParseFloat(string(box[2]), 64)
	// A4 is 595 x 842 points.
	if math.Abs(w-595) > 2 || math.Abs(h-842) > 2 {
		t.Fatalf("page is %v x %v points, want A4", w, h)
	}
}
