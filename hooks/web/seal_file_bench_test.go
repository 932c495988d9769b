package web_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/testserver"
)

// BenchmarkSealAPhotoOnACheapPhone measures keys.js sealing a typical
// photo in Chromium with its CPU slowed 4× (a cheap phone): a 1600 × 1200
// picture as the phone's canvas re-encodes every photo (JPEG 80 %), sealed
// in 64 KiB chunks to the embassy's key, with the SHA-256 the upload is
// named by; the first seal of a page and the next ones, and how many bytes
// sealing adds (header, tags, Padmé). A benchmark, not a test: it asserts
// no time.
func BenchmarkSealAPhotoOnACheapPhone(b *testing.B) {
	app := testserver.NewApp(b, false)
	srv := testserver.Start(b, app)
	s := testserver.Seed(b, app, testserver.Options{Embassies: []testserver.Embassy{{Slug: "test-a", Name: "Embassy A"}}})
	embassy := s.Embassies[0].Id
	testserver.AddEmbassyKey(b, app, embassy, nil)
	ctx := cheapPhone(b, srv.URL, embassy, 180*time.Second)
	var res struct {
		First, Next, Hash float64
		Plain, Sealed     int
	}
	js := `(async () => {
		const k = await import('/js/keys.js');
		const media = await import('/js/media.js');
		// A photo-like picture: soft gradients with fine detail, which JPEG
		// encodes to about the size a phone photo has at 1600 px.
		const c = document.createElement('canvas');
		c.width = 1600; c.height = 1200;
		const g = c.getContext('2d');
		const grad = g.createLinearGradient(0, 0, 1600, 1200);
		grad.addColorStop(0, '#3a6b8c'); grad.addColorStop(0.5, '#c9b48a'); grad.addColorStop(1, '#4d3b2a');
		g.fillStyle = grad; g.fillRect(0, 0, 1600, 1200);
		const px = g.getImageData(0, 0, 1600, 1200);
		let seed = 7;
		for (let i = 0; i < px.data.length; i += 4) {
			seed = (seed * 1103515245 + 12345) & 0x7fffffff;
			const n = (seed >> 16) % 24 - 12;
			px.data[i] += n; px.data[i + 1] += n; px.data[i + 2] += n;
		}
		g.putImageData(px, 0, 0);
		const photo = await new Promise((ok) => c.toBlob(ok, 'image/jpeg', 0.8));
		let t = performance.now();
		let sealed = await k.sealFile('benchreport000000000', '` + embassy + `', photo, 'image/jpeg');
		const first = performance.now() - t;
		const n = 5;
		t = performance.now();
		for (let i = 0; i < n; i++) sealed = await k.sealFile('benchreport000000000', '` + embassy + `', photo, 'image/jpeg');
		const next = (performance.now() - t) / n;
		t = performance.now();
		await media.sha256(sealed);
		const hash = performance.now() - t;
		return JSON.stringify({ First: first, Next: next, Hash: hash, Plain: photo.size, Sealed: sealed.size });
	})()`
	for b.Loop() {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			b.Fatal(err)
		}
		b.Logf("a %d-byte photo: first seal %.1f ms, then %.1f ms each; its SHA-256 %.1f ms; sealed %d bytes (%+.1f %%)",
			res.Plain, res.First, res.Next, res.Hash, res.Sealed, 100*float64(res.Sealed-res.Plain)/float64(res.Plain))
	}
	b.ReportMetric(res.First, "ms-first-seal")
	b.ReportMetric(res.Next, "ms-per-seal")
	b.ReportMetric(res.Hash, "ms-sha256")
	b.ReportMetric(float64(res.Plain), "bytes-plain")
	b.ReportMetric(float64(res.Sealed), "bytes-sealed")
}
