package qr_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/qr"
	"homeward/internal/testserver"
	"homeward/internal/zbar"
	_ "homeward/pb_migrations"
)

// appURL is the public address the fixtures set, so link URLs are stable.
const appURL = "https://homeward.example"

// fixture is a seeded app: two embassies with their staff, a superuser
// and a few links in known states.
type fixture struct {
	app        *tests.TestApp
	embassy    *core.Record // active, with contacts and a sealing key (epoch 1, then 2)
	other      *core.Record // a second active embassy, with no sealing key yet
	hidden     *core.Record // inactive
	staff      *core.Record // staff of embassy
	otherStaff *core.Record // staff of other
	superuser  *core.Record
	link       *core.Record // valid, language id
	revoked    *core.Record
	expired    *core.Record
	key        *testserver.EmbassyKey // f.embassy's first epoch
}

func newFixture(t testing.TB, keepRateLimits bool) *fixture {
	t.Helper()
	app := testserver.NewApp(t, keepRateLimits)
	app.Settings().Meta.AppURL = appURL
	f := &fixture{app: app}
	seeded := testserver.Seed(t, app, testserver.Options{
		Embassies: []testserver.Embassy{
			{Name: "DEMO Embassy of Indonesia", Slug: "kh-indonesia", Fields: map[string]any{
				"country": "Indonesia", "hotline": "+000 23 000 111", "messaging": "WhatsApp +000 12 345 678",
				"email": "help@embassy.example", "address": "1 Test Street\nTestland", "hours": "Mon-Fri 08:00-16:00",
				"languages": []string{"id", "en"}, "what_to_bring": "Any ID you still have.",
			}},
			{Name: "Embassy of Viet Nam", Slug: "kh-vietnam", Fields: map[string]any{"country": "Viet Nam", "hotline": "+000 23 222 333", "clear_until_keyed": false}},
			{Name: "Closed mission", Slug: "closed", Inactive: true, Fields: map[string]any{"country": "Nowhere", "hotline": "+000 1"}},
		},
		Staff: []testserver.Staff{
			{Email: "staff@embassy.example", Embassy: 0},
			{Email: "staff@other.example", Embassy: 1},
		},
	})
	f.embassy, f.other, f.hidden = seeded.Embassies[0], seeded.Embassies[1], seeded.Embassies[2]
	f.key = testserver.AddEmbassyKey(t, app, f.embassy.Id, nil)
	testserver.AddEmbassyKey(t, app, f.embassy.Id, f.key) // pages show the first epoch's, the root phones pin
	f.staff, f.otherStaff = seeded.Staff[0], seeded.Staff[1]
	f.superuser = seeded.Superuser
	f.link = saveRecord(t, app, "qr_links", map[string]any{
		"label": "Poipet shelter poster", "embassy": f.embassy.Id, "language": "id",
	})
	f.revoked = saveRecord(t, app, "qr_links", map[string]any{
		"label": "Bus poster", "embassy": f.embassy.Id, "language": "en", "revoked": true,
	})
	f.expired = saveRecord(t, app, "qr_links", map[string]any{
		"label": "Old campaign", "embassy": f.embassy.Id, "language": "en",
		"expires": types.NowDateTime().Add(-time.Hour),
	})
	return f
}

func saveRecord(t testing.TB, app core.App, collection string, data map[string]any) *core.Record {
	t.Helper()
	return testserver.SaveRecord(t, app, collection, data)
}

func linkURL(t testing.TB, app core.App, link *core.Record) string {
	t.Helper()
	u, err := qr.LinkURL(app, link)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func tokenOf(u string) string {
	return u[strings.LastIndex(u, "/q/")+3:]
}

// decodeQR reads every QR code in a PNG with zbarimg.
func decodeQR(t testing.TB, pngData []byte) string {
	t.Helper()
	return zbar.Decode(t, pngData)
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// rasterSVG draws an SVG made by the package (runs of dark modules) at
// scale pixels per module, so the SVG can be decoded like a PNG.
func rasterSVG(t testing.TB, svg string, scale int) []byte {
	t.Helper()
	m := regexp.MustCompile(`viewBox="0 0 (\d+) (\d+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatalf("no viewBox in %.200s", svg)
	}
	n, _ := strconv.Atoi(m[1])
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	runs := svgRun.FindAllStringSubmatch(svg, -1)
	if len(runs) == 0 {
		t.Fatal("no modules in the SVG")
	}
	for _, r := range runs {
		x, _ := strconv.Atoi(r[1])
		y, _ := strconv.Atoi(r[2])
		w, _ := strconv.Atoi(r[3])
		for py := y * scale; py < (y+1)*scale; py++ {
			for px := x * scale; px < (x+w)*scale; px++ {
				img.SetGray(px, py, color.Gray{})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tamper swaps the link id in a token's payload and keeps its signature.
func tamper(t testing.TB, token, jti string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	payload["jti"] = jti
	forged, _ := json.Marshal(payload)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
}
