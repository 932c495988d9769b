package console_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/seal"
)

// TestAKeyGrantedWhileASealedReportIsOnScreenOpensIt: a newcomer (X2)
// makes a personal key while X, who holds the embassy's key, has the Keys
// screen open: X's screen shows X2 with a Grant button without being
// opened again. X2, waiting, opens a sealed report: its message, contact
// and places say they are sealed to a key this browser lacks, not that they
// are empty. X grants the key, and the report on X2's screen opens, with
// no reload and no visit to the Keys screen.
func TestAKeyGrantedWhileASealedReportIsOnScreenOpensIt(t *testing.T) {
	app, srv, ctx, a := keyedConsole(t, 3*time.Minute)
	const id = "sealedlive0000000001"
	sealedReport(t, app, id, 1, seal.ReportBody{
		Message: "Live marker: we are three at the border.", ContactPhone: "+000 555 0199",
		CompoundLocation: "border compound, gate 2",
	})

	b := colleague(t, ctx, srv.URL, "x2@example.org", passphraseX2)
	a.waitFor("X's Keys screen shows X2's new personal key with a Grant button", `!!document.querySelector('#keys [data-grant="`+fixture.StaffX2+`"]')`)

	b.open("X2 opens the sealed report", "#/report/"+id)
	b.do("mark the page, to see it is not loaded again", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	b.waitFor("the report says it is sealed to a key X2 lacks", `!!document.querySelector('#report [data-seal="locked"]')`)
	b.waitFor("its message, contact and places say they are sealed, not empty", `(() => {
		const locked = 'Sealed: this browser has no key for it';
		const field = (n) => document.querySelector('#report [data-field="' + n + '"]').textContent;
		return !document.querySelector('#report .reporter-text') &&
			document.querySelector('#report [data-message-sealed]').textContent === locked &&
			field('contact_phone') === locked && field('compound_location') === locked && field('current_location') === locked &&
			field('people_count') === '2';
	})()`)

	a.click("X grants the key to X2", `[data-grant="`+fixture.StaffX2+`"]`)
	a.waitFor("X2 holds epoch 1", `document.querySelector('tr[data-member="`+fixture.StaffX2+`"]').dataset.holds === '1'`)
	b.waitFor("the report on X2's screen opens, in the same page", `window.notReloaded === true && !!document.querySelector('#report [data-seal="open"]') &&
		document.querySelector('#report .reporter-text').textContent === 'Live marker: we are three at the border.' &&
		document.querySelector('#report [data-field="contact_phone"]').textContent === '+000 555 0199'`)
	b.open("X2's Keys screen", "#/keys")
	b.status("unlocked")
}
