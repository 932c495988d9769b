package console_test

import (
	"testing"

	"homeward/hooks/staff/internal/fixture"
)

// TestTheHeaderKeepsTheEmbassyNameReadableOnALaptop: on a 1366 px laptop
// screen, with a long embassy name, the duty box saying no mail server is
// set and every link of the console, the header wraps its items onto
// another line rather than squeezing the embassy's name into a column a
// word wide.
func TestTheHeaderKeepsTheEmbassyNameReadableOnALaptop(t *testing.T) {
	app := fixture.NewApp(t)
	emb, err := app.FindRecordById("embassies", fixture.EmbassyX)
	if err != nil {
		t.Fatal(err)
	}
	emb.Set("name", "Embassy of the Republic of Testland in Phnom Penh")
	if err := app.Save(emb); err != nil {
		t.Fatal(err)
	}
	_, _, s, _ := signedInConsole(t, app, 1366, 768)
	s.waitFor("the embassy's name in the header", `document.querySelector('[data-embassy]').textContent.includes('Phnom Penh')`)
	s.waitFor("the name on at most two lines, and the header no taller than two rows of controls", `(() => {
		const name = document.querySelector('[data-embassy]');
		const line = parseFloat(getComputedStyle(name).lineHeight) || 24;
		const bar = document.querySelector('header.bar').getBoundingClientRect().height;
		return name.getBoundingClientRect().height <= 2 * line + 1 && bar <= 120;
	})()`)
}
