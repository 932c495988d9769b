package web_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// zawgyiSamples reads the real Zawgyi lines and their Unicode from
// testdata/zawgyi (myanmar-tools' own samples), keeping lines with enough
// Burmese to judge.
func zawgyiSamples(t *testing.T) (zawgyi, unicode []string) {
	t.Helper()
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join("testdata", "zawgyi", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(string(b), "\n")
	}
	z, u := read("mmgov_zawgyi_src.txt"), read("mmgov_unicode_out.txt")
	for i := range z {
		if i < len(u) && len([]rune(z[i])) >= 10 && z[i] != u[i] {
			zawgyi, unicode = append(zawgyi, z[i]), append(unicode, u[i])
		}
	}
	if len(zawgyi) < 20 {
		t.Fatalf("only %d sample lines", len(zawgyi))
	}
	return zawgyi, unicode
}

// TestZawgyiIsFoundAndConverted: the vendored detector, run in Chromium as
// the phone runs it, scores real Zawgyi lines as Zawgyi and their Unicode
// as Unicode, gives the package's expected score for each line of its
// compatibility table, and the converter turns each Zawgyi line into its
// Unicode exactly. Then a person types a Zawgyi line into the report form:
// a notice offers the conversion, one tap converts the field, and Unicode
// Burmese gets no notice.
func TestZawgyiIsFoundAndConverted(t *testing.T) {
	srv := startLive(t)
	embassy := seedEmbassy(t, srv.App, "kh-myanmar", "Embassy of Myanmar")
	ctx := browsertest.New(t, 90*time.Second)
	openApp(t, ctx, srv.URL+"/?lang=my")
	zawgyi, unicode := zawgyiSamples(t)
	zj, _ := json.Marshal(zawgyi)
	uj, _ := json.Marshal(unicode)

	got := eval[map[string][]string](t, ctx, `import('/js/zawgyi-check.js').then((m) => {
		const z = `+string(zj)+`, u = `+string(uj)+`;
		const out = { missed: [], false: [], converted: [] };
		z.forEach((line, i) => {
			if (!(m.zawgyiProbability(line) > 0.95)) out.missed.push(String(i));
			if (!(m.zawgyiProbability(u[i]) < 0.05)) out.false.push(String(i));
			const c = m.zawgyiToUnicode(line);
			if (c !== u[i]) out.converted.push(i + ': ' + c + ' != ' + u[i]);
		});
		return out;
	})`)
	if len(got["missed"]) > 0 {
		t.Errorf("Zawgyi lines not found: %v of %d", got["missed"], len(zawgyi))
	}
	if len(got["false"]) > 0 {
		t.Errorf("Unicode lines taken for Zawgyi: %v of %d", got["false"], len(unicode))
	}
	for _, c := range got["converted"] {
		t.Errorf("converted wrongly: %s", c)
	}

	// The package's compatibility table: expected score, then text.
	raw, err := os.ReadFile(filepath.Join("testdata", "zawgyi", "compatibility.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		want, text, ok := strings.Cut(row, "\t")
		if !ok {
			continue
		}
		arg, _ := json.Marshal(text)
		score := eval[string](t, ctx, `import('/js/zawgyi-check.js').then((m) => String(m.zawgyiProbability(`+string(arg)+`)))`)
		w, _ := strconv.ParseFloat(strings.Replace(want, "E", "e", 1), 64)
		g, _ := strconv.ParseFloat(score, 64)
		if want == "-Infinity" && score != "-Infinity" || want != "-Infinity" && (g-w > 1e-6 || w-g > 1e-6) {
			t.Errorf("score of %q = %s, want %s", text, score, want)
		}
	}

	// In the form.
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-go="report"]`)), chromedp.WaitVisible(chromedp.ID("report-form")),
		chromedp.SetValue(chromedp.ID("f-embassy"), embassy))
	do(t, ctx, chromedp.SendKeys(chromedp.ID("f-message"), zawgyi[0]))
	waitFor(t, ctx, "the Zawgyi notice", `document.getElementById('f-message-zawgyi') && !document.getElementById('f-message-zawgyi').hidden`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#f-message-zawgyi button`)))
	if v := eval[string](t, ctx, `document.getElementById('f-message').value`); v != unicode[0] {
		t.Fatalf("the field holds %q after converting, want %q", v, unicode[0])
	}
	if !eval[bool](t, ctx, `document.getElementById('f-message-zawgyi').hidden`) {
		t.Error("the notice stays after converting")
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("f-compound"), unicode[1]))
	// The check the typing ran, once more and awaited, before looking.
	if eval[bool](t, ctx, `import('/js/zawgyi-check.js').then((m) => { m.check(document.getElementById('f-compound'));
		const n = document.getElementById('f-compound-zawgyi'); return !!n && !n.hidden; })`) {
		t.Error("Unicode Burmese got the Zawgyi notice")
	}
}
