package qr_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/qr"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

func get(t *testing.T, url, auth string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestLinkCodesDecodeToTheLinkURL draws link codes at poster size and at
// the smallest allowed size, as PNG and SVG, and reads them back with
// zbarimg: the text must be a link URL on the public address that verifies.
func TestLinkCodesDecodeToTheLinkURL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	staff := testserver.AuthToken(t, f.staff)
	for _, c := range []struct{ name, query string }{
		{"poster size PNG", "png?size=2048&ec=H"},
		{"default PNG", "png"},
		{"small PNG", "png?size=128&ec=L"},
		{"small PNG with medium correction", "png?size=160"},
		{"odd small PNG", "png?size=150&ec=Q"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, body := get(t, srv.URL+"/api/qr/"+f.link.Id+"."+c.query, staff)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("status %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
			}
			assertGenuineLink(t, f, decodeQR(t, body))
		})
	}
	t.Run("SVG", func(t *testing.T) {
		res, body := get(t, srv.URL+"/api/qr/"+f.link.Id+".svg?size=300", staff)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(body), `width="300"`) {
			t.Fatalf("size not applied: %.200s", body)
		}
		assertGenuineLink(t, f, decodeQR(t, rasterSVG(t, string(body), 4)))
	})
}

func assertGenuineLink(t *testing.T, f *fixture, text string) {
	t.Helper()
	if !strings.HasPrefix(text, appURL+"/q/") {
		t.Fatalf("decoded %q, want a link on %s/q/", text, appURL)
	}
	if got := qr.VerifyInput(f.app, text); got.Verdict != qr.VerdictValid || got.Link.Id != f.link.Id {
		t.Fatalf("decoded link verdict %q, want valid for %s", got.Verdict, f.link.Id)
	}
}

func TestEmbassyVCardCodeHoldsTheNumbers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	res, body := get(t, srv.URL+"/api/qr/embassy/kh-indonesia/vcard.png", "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	card := decodeQR(t, body)
	lines := strings.Split(strings.TrimRight(card, "\r\n"), "\r\n")
	if lines[0] != "BEGIN:VCARD" || lines[1] != "VERSION:3.0" || lines[len(lines)-1] != "END:VCARD" {
		t.Fatalf("not a vCard 3.0:\n%s", card)
	}
	for _, want := range []string{
		"FN:DEMO Embassy of Indonesia",
		"TEL;TYPE=WORK,VOICE:+00023000111",
		"TEL;TYPE=CELL:+00012345678",
		"EMAIL;TYPE=INTERNET:help@embassy.example",
		`ADR;TYPE=WORK:;;1 Test Street\nTestland;;;;`,
		"URL:" + appURL + "/e/kh-indonesia",
	} {
		found := false
		for _, l := range lines {
			found = found || l == want
		}
		if !found {
			t.Errorf("vCard lacks %q:\n%s", want, card)
		}
	}
	for _, l := range lines {
		if len(l) > 75 {
			t.Errorf("line longer than 75 octets: %q", l)
		}
	}

	t.Run("the card downloads as a .vcf too", func(t *testing.T) {
		res, body := get(t, srv.URL+"/api/qr/embassy/kh-indonesia/vcard.vcf", "")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/vcard") || strings.TrimSpace(string(body)) != strings.TrimSpace(card) {
			t.Fatalf("status %d type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
	})
	t.Run("SVG decodes to the same card", func(t *testing.T) {
		_, body := get(t, srv.URL+"/api/qr/embassy/kh-indonesia/vcard.svg", "")
		if got := decodeQR(t, rasterSVG(t, string(body), 4)); got != card {
			t.Fatalf("SVG holds %q", got)
		}
	})
}

// TestPosterShowsTheCodeAndHowToVerify opens the poster as staff would,
// with a short-lived file token in the URL, and decodes its inline code.
func TestPosterShowsTheCodeAndHowToVerify(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	fileToken, err := f.staff.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	res, body := get(t, srv.URL+"/api/qr/"+f.link.Id+"/poster?token="+fileToken, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	html := string(body)
	for _, want := range []string{
		"DEMO Embassy of Indonesia",
		`lang="id">Pindai untuk menghubungi kedutaan Anda.`,
		`lang="en">Scan to contact your embassy.`,
		"homeward.example/q/",
		appURL + "/verify",
		`href="/css/poster.css"`,
		// The root of the embassy's key chain, as phones pin it, in the
		// poster's language.
		`<span lang="id">Laporan disegel di ponsel dengan kunci kedutaan ini.`,
		`<code class="fingerprint">` + seal.Fingerprint(f.key.Kid) + `</code>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("poster lacks %q", want)
		}
	}
	if strings.Contains(html, "no sealing key yet") {
		t.Error("the poster of an embassy with a key warns that it has none")
	}
	assertNoInlineScriptOrStyle(t, html)
	svg := regexp.MustCompile(`(?s)<svg.*?</svg>`).FindString(html)
	assertGenuineLink(t, f, decodeQR(t, rasterSVG(t, svg, 6)))

	// An embassy with no key yet: the person printing is told, the poster
	// claims no key.
	otherLink := testserver.SaveRecord(t, f.app, "qr_links", map[string]any{"label": "Bus stop", "embassy": f.other.Id, "language": "vi"})
	otherToken, err := f.otherStaff.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	res, body = get(t, srv.URL+"/api/qr/"+otherLink.Id+"/poster?token="+otherToken, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if html := string(body); !strings.Contains(html, "no sealing key yet") || strings.Contains(html, `class="fingerprint"`) {
		t.Errorf("the poster of an embassy with no key should warn and show no fingerprint:\n%s", html)
	}
}

// assertNoInlineScriptOrStyle checks a page works under the strict CSP.
func assertNoInlineScriptOrStyle(t *testing.T, html string) {
	t.Helper()
	if strings.Contains(html, "style=") || strings.Contains(html, "<style") {
		t.Error("inline style found")
	}
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(m, "src=") {
			t.Errorf("inline script %q", m)
		}
	}
	if regexp.MustCompile(`\son[a-z]+=`).MatchString(html) {
		t.Error("inline event handler found")
	}
}

func TestWhoMayFetchLinkImages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false) // read-only cases share one server
	srv := testserver.Start(t, f.app)
	for _, c := range []struct {
		name    string
		path    func(f *fixture) string
		auth    func(t *testing.T, f *fixture) string
		status  int
		content []string
	}{
		{"a guest gets 401", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png" }, nil, 401, []string{"Sign in as staff"}},
		{"staff of another embassy get 404", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.otherStaff) }, 404, []string{`"status":404`}},
		{"staff of the embassy get the PNG", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 200, []string{"PNG"}},
		{"a superuser gets the SVG", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".svg" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.superuser) }, 200, []string{"<svg"}},
		{"a revoked link cannot be printed", func(f *fixture) string { return "/api/qr/" + f.revoked.Id + ".png" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 400, []string{"revoked"}},
		{"an expired link cannot be printed", func(f *fixture) string { return "/api/qr/" + f.expired.Id + ".png" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 400, []string{"expired"}},
		{"an unknown link is 404", func(f *fixture) string { return "/api/qr/nosuchlink000000.png" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 404, []string{`"status":404`}},
		{"an unknown format is 404", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".gif" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 404, []string{`"status":404`}},
		{"a size above the limit is refused", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png?size=5000" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 400, []string{"from 128 to 2048"}},
		{"a size below the limit is refused", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png?size=20" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 400, []string{"from 128 to 2048"}},
		{"an unknown error correction is refused", func(f *fixture) string { return "/api/qr/" + f.link.Id + ".png?ec=X" },
			func(t *testing.T, f *fixture) string { return testserver.AuthToken(t, f.staff) }, 400, []string{"L, M, Q or H"}},
		{"a guest gets no poster", func(f *fixture) string { return "/api/qr/" + f.link.Id + "/poster" }, nil, 401, []string{"Sign in as staff"}},
		{"a poster with a file token of another embassy's staff is 404", func(f *fixture) string { return "/api/qr/" + f.link.Id + "/poster" },
			func(t *testing.T, f *fixture) string { return "file:" + fileToken(t, f.otherStaff) }, 404, []string{`"status":404`}},
		{"the vCard of an active embassy is public", func(f *fixture) string { return "/api/qr/embassy/kh-indonesia/vcard.svg" }, nil, 200, []string{"<svg"}},
		{"the vCard of an inactive embassy is 404", func(f *fixture) string { return "/api/qr/embassy/closed/vcard.png" }, nil, 404, []string{`"status":404`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, auth := c.path(f), ""
			if c.auth != nil {
				tok := c.auth(t, f)
				if ft, ok := strings.CutPrefix(tok, "file:"); ok {
					path += "?token=" + ft
				} else {
					auth = tok
				}
			}
			res, body := get(t, srv.URL+path, auth)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %.200s", res.StatusCode, c.status, body)
			}
			for _, want := range c.content {
				if !strings.Contains(string(body), want) {
					t.Errorf("response lacks %q: %.200s", want, body)
				}
			}
		})
	}
}

func fileToken(t *testing.T, r *core.Record) string {
	t.Helper()
	tok, err := r.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestPosterWithoutALanguageUsesTheEmbassysFirst: a link made without a
// language prints in the first language its embassy lists, never in
// English alone; with no language anywhere the screen says so.
func TestPosterWithoutALanguageUsesTheEmbassysFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	srv := testserver.Start(t, f.app)
	fileToken, err := f.staff.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	bare := saveRecord(t, f.app, "qr_links", map[string]any{"label": "no language", "embassy": f.embassy.Id})
	_, body := get(t, srv.URL+"/api/qr/"+bare.Id+"/poster?token="+fileToken, "")
	if html := string(body); !strings.Contains(html, `lang="id">Pindai untuk menghubungi kedutaan Anda.`) || strings.Contains(html, "English only") {
		t.Errorf("a poster without a language is not in the embassy's first (Indonesian):\n%s", html)
	}
	// Its safety lines too, each with the English under it.
	for _, line := range []string{
		`lang="id">Apakah poster ini asli?`, `lang="en">Is this poster genuine?`,
		`lang="id">Kode harus membuka alamat yang diawali <strong>homeward.example/q/</strong>`,
		`lang="id">Relawan dapat memeriksa kode di <strong>`, `lang="id">Hotline: <strong>+000 23 000 111</strong>`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("the Indonesian poster lacks %s", line)
		}
	}

	otherToken, err := f.otherStaff.NewFileToken()
	if err != nil {
		t.Fatal(err)
	}
	none := saveRecord(t, f.app, "qr_links", map[string]any{"label": "no language anywhere", "embassy": f.other.Id})
	_, body = get(t, srv.URL+"/api/qr/"+none.Id+"/poster?token="+otherToken, "")
	if !strings.Contains(string(body), "English only") {
		t.Error("a poster in English only because no language is known does not say so")
	}
}
