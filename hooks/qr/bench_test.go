package qr_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"homeward/hooks/qr"
	"homeward/internal/testserver"
)

// BenchmarkSignLink is the cost of one freshly signed link (images and
// posters sign on every request).
func BenchmarkSignLink(b *testing.B) {
	f := newFixture(b, false)
	for b.Loop() {
		if _, err := qr.SignLink(f.app, f.link); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the cost of one scan's check: signature, key ring
// stat, link and embassy lookups.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, false)
	token := tokenOf(linkURL(b, f.app, f.link))
	for b.Loop() {
		if r := qr.Verify(f.app, token, time.Now()); r.Verdict != qr.VerdictValid {
			b.Fatal(r.Verdict)
		}
	}
}

// BenchmarkEncodeLinkCode is the QR encoding of a link at the default
// error correction.
func BenchmarkEncodeLinkCode(b *testing.B) {
	f := newFixture(b, false)
	u := linkURL(b, f.app, f.link)
	for b.Loop() {
		if _, err := qrcode.New(u, qrcode.Medium); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanPage is one /q/{token} request over a real socket: verify,
// count the scan, render the contact page.
func BenchmarkScanPage(b *testing.B) {
	f := newFixture(b, false)
	srv := testserver.Start(b, f.app)
	u := srv.URL + "/q/" + tokenOf(linkURL(b, f.app, f.link))
	for b.Loop() {
		res, err := http.Get(u)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(err, res.StatusCode)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// BenchmarkLinkPNG is one 512-pixel link image over a real socket.
func BenchmarkLinkPNG(b *testing.B) {
	f := newFixture(b, false)
	srv := testserver.Start(b, f.app)
	u := srv.URL + "/api/qr/" + f.link.Id + ".png"
	token := testserver.AuthToken(b, f.staff)
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", token)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatal(err, res.StatusCode)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}
