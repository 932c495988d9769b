package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

// typicalReport is a report as the form writes it: a few sentences, a
// compound, a phone number, the clear fields.
var typicalReport = map[string]any{
	"nationality": "MM", "people_count": 3, "minors_present": true, "needs": []string{"shelter", "medical", "repatriation"},
	"safety_risk_now": false, "passport_held": "yes", "language": "my", "consent_contact": true, "consent_share": false,
	"consent_version": "web-1", "left_on": "2026-11-20 00:00:00.000Z", "device_created": "2026-11-21T03:14:15.000Z",
	"message": "ကျွန်တော်တို့ ၃ ယောက် ညက ထွက်လာခဲ့ပါတယ်။ တစ်ယောက်က ၁၆ နှစ်ပဲ ရှိပါသေးတယ်။ " +
		"We left the compound last night, three of us; one is 16. Our passports are still with the company.",
	"compound_location": "KK Park, building C, 4th floor", "current_location": "a guesthouse near the bus station",
	"contact_name": "Ko Aung", "contact_phone": "+000 555 0100", "contact_app": "Telegram @ko_aung",
}

func gzipped(b []byte) int {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Len()
}

// BenchmarkSealAReportOnACheapPhone measures seal.js sealing a typical
// report in Chromium with its CPU slowed 4× (a cheap phone): the first
// seal of a page (the key and the HPKE suite made ready) and the next
// ones, and how many more bytes the report's data takes, gzipped as a push
// sends it. Issue 20 asks ≤ 100 ms and ≤ 10 % more bytes. A benchmark, not
// a test: it asserts no time.
func BenchmarkSealAReportOnACheapPhone(b *testing.B) {
	app := testserver.NewApp(b, false)
	srv := testserver.Start(b, app)
	s := testserver.Seed(b, app, testserver.Options{Embassies: []testserver.Embassy{{Slug: "test-a", Name: "Embassy A"}}})
	embassy := s.Embassies[0].Id
	testserver.AddEmbassyKey(b, app, embassy, nil)
	data := map[string]any{"embassy": embassy}
	for k, v := range typicalReport {
		data[k] = v
	}
	arg, err := json.Marshal(data)
	if err != nil {
		b.Fatal(err)
	}
	ctx := cheapPhone(b, srv.URL, embassy, 120*time.Second)
	var res struct {
		First, Next float64
		Sealed      json.RawMessage
	}
	js := `(async () => {
		const k = await import('/js/keys.js');
		const data = ` + string(arg) + `;
		let t = performance.now();
		await k.sealReport('benchreport000000000', data, 'self', '');
		const first = performance.now() - t;
		const n = 20;
		t = performance.now();
		let sealed;
		for (let i = 0; i < n; i++) sealed = await k.sealReport('benchreport000000000', data, 'self', '');
		return JSON.stringify({ First: first, Next: (performance.now() - t) / n, Sealed: sealed });
	})()`
	for b.Loop() {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &res); err != nil {
			b.Fatal(err)
		}
		b.Logf("first seal %.1f ms, then %.1f ms each", res.First, res.Next)
	}
	plain, sealed := gzipped(arg), gzipped(res.Sealed)
	b.ReportMetric(res.First, "ms-first-seal")
	b.ReportMetric(res.Next, "ms-per-seal")
	b.ReportMetric(float64(plain), "gz-bytes-plain")
	b.ReportMetric(float64(sealed), "gz-bytes-sealed")
	b.Logf("data gzipped: %d bytes in plaintext, %d sealed (%+.0f %%)", plain, sealed, 100*float64(sealed-plain)/float64(plain))
}

// cheapPhone opens the reporter app at url in a new Chromium (a session of
// at least timeout), waits until the phone holds embassy's key, and slows
// its CPU 4× (Emulation.setCPUThrottlingRate), as DevTools does for a
// cheap phone.
func cheapPhone(b *testing.B, url, embassy string, timeout time.Duration) context.Context {
	b.Helper()
	ctx := browsertest.New(b, timeout)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/?lang=en")); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`self.homeward.db.get('meta', 'keys:`+embassy+`').then((k) => !!k)`,
		chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4}); err != nil {
		b.Fatal(err)
	}
	return ctx
}
