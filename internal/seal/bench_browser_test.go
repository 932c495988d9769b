package seal_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"homeward/internal/seal"
)

// typicalReport is a report as a released worker writes it: a few
// sentences in their language, where they are, a contact. Burmese, three
// bytes a character in UTF-8, is the heavier case.
var typicalReport = seal.ReportBody{
	Message: "ကျွန်တော်တို့ ၅ ယောက် ဒီနေ့ မနက် ခြံဝင်းကနေ ထွက်လာခဲ့တယ်။ ပတ်စပို့ကို အလုပ်ရှင်က သိမ်းထားတယ်။ " +
		"တစ်ယောက်က ဖျားနေတယ်။ ကျွန်တော်တို့ ဘတ်စ်ကားဂိတ်နားမှာ ပုန်းနေတယ်။ ကူညီပေးပါ။",
	ContactName:      "ကိုအောင်",
	ContactPhone:     "+000 12 345 678",
	ContactApp:       "Telegram @demo_not_real",
	CompoundLocation: "ခြံဝင်း ၃၊ မြစ်နား",
	CurrentLocation:  "ဘတ်စ်ကားဂိတ် အနီး",
}

// BenchmarkOpenInChromium measures what the staff's browser and the
// reporter's phone do with sealed bodies besides sealing (which
// hooks/web's BenchmarkSealAReportOnACheapPhone measures): opening a page
// of 50 and of 1,000 reports sealed in Go, and deriving a reply key from
// a receipt on a phone (seal.js's replyKeyBytes: PBKDF2-SHA256 at 600,000
// iterations, as each follow-up screen does once per report). Page time
// (performance.now) per operation, in headless Chromium with seal.js; the
// CDP round trips are not counted. "CPU ×4" slows Chromium's CPU four
// times (Emulation.setCPUThrottlingRate), as DevTools does for a cheap
// phone.
//
//	go test ./internal/seal -run '^$' -bench OpenInChromium -benchtime 10x
func BenchmarkOpenInChromium(b *testing.B) {
	ctx := browserPage(b)
	key := newKey(b)
	body, err := json.Marshal(typicalReport)
	if err != nil {
		b.Fatal(err)
	}
	clearFields := map[string]any{"embassy": "emb1", "channel": "self", "language": "my", "nationality": "MM", "people_count": 5,
		"minors_present": false, "needs": []string{"medical", "shelter"}, "safety_risk_now": true, "consent_contact": true}
	throttle := func(rate float64) {
		if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: rate}); err != nil {
			b.Fatal(err)
		}
	}
	var first struct{ MS float64 }
	inPage(b, ctx, `const t0 = performance.now(); await import('/js/seal.js'); return { MS: performance.now() - t0 };`, nil, &first)

	for _, n := range []int{50, 1000} {
		envelopes := make([]seal.Envelope, n)
		records := make([]string, n)
		clear, err := seal.ClearHash(clearList(clearFields))
		if err != nil {
			b.Fatal(err)
		}
		for i := range envelopes {
			records[i] = fmt.Sprintf("rec%017d", i)
			envelopes[i], err = seal.Seal(key.PublicKey(), seal.Binding{Embassy: "emb1", Kid: "k1", Record: records[i], Clear: clear}, body)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("open a page of %d", n), func(b *testing.B) {
			total := 0.0
			for b.Loop() {
				var res struct {
					MS     float64
					Opened int
				}
				inPage(b, ctx, `
					const sk = await s.suite.kem.deserializePrivateKey(unhex(arg.sk).buffer);
					const t0 = performance.now();
					let opened = 0;
					await Promise.all(arg.envelopes.map(async (env, i) => {
						const clear = await s.clearHash(s.reportClear(arg.clear));
						const plain = await s.open(sk, { embassy: 'emb1', kid: 'k1', record: arg.records[i], clear }, env);
						if (JSON.parse(new TextDecoder().decode(plain)).message) opened++;
					}));
					return { MS: performance.now() - t0, Opened: opened };`,
					map[string]any{"sk": hex.EncodeToString(key.Bytes()), "envelopes": envelopes, "records": records, "clear": clearFields}, &res)
				if res.Opened != n {
					b.Fatalf("opened %d of %d", res.Opened, n)
				}
				total += res.MS
			}
			b.ReportMetric(total/float64(b.N), "page-ms/op")
		})
	}

	b.Run("reply key, PBKDF2-SHA256 600,000, CPU ×4", func(b *testing.B) {
		throttle(4)
		defer throttle(1)
		total := 0.0
		for b.Loop() {
			var res struct{ MS float64 }
			inPage(b, ctx, `
				const t0 = performance.now();
				await s.replyKeyBytes('48210937551280642296', 'rep00000000000000001');
				return { MS: performance.now() - t0 };`, nil, &res)
			total += res.MS
		}
		b.ReportMetric(total/float64(b.N), "page-ms/op")
	})
	b.ReportMetric(first.MS, "first-load-ms")
}

// clearList is fields as seal.ClearHash takes them, through ReportClear,
// as the browser's reportClear reads them.
func clearList(fields map[string]any) []seal.Field {
	return seal.ReportClear(reportStub(fields))
}
