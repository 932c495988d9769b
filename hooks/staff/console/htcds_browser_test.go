package console_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"

	"homeward/hooks/staff/internal/fixture"
	"homeward/internal/htcds"
	"homeward/internal/testserver"
)

// TestTheHTCDSFileOfSealedReportsIsMadeInTheBrowser: the console's HTCDS
// export fills a sealed report's private columns (contact, compound and
// its point) from the envelope it opens, by the server's table of sealed
// columns, and the server logs exactly the exported ids; no file of the
// data dir holds the sealed words. The console's reading of the table is
// held to Go's (htcds.SealedCell.Fill) on a table of reports.
func TestTheHTCDSFileOfSealedReportsIsMadeInTheBrowser(t *testing.T) {
	app, srv, _, a := keyedConsole(t, 2*time.Minute)
	const (
		id     = "htcdssealed000000001"
		marker = "Htcds-Marker-Egret"
	)
	// X has a key: the server seals the report's private fields on arrival.
	testserver.SaveRecord(t, app, "reports", map[string]any{
		"id": id, "embassy": fixture.EmbassyX, "channel": "self", "people_count": 1, "gender": "female", "nationality": "ID",
		"consent_contact": true, "consent_share": true, "contact_name": marker, "contact_phone": "+000 555 0188",
		"compound_location": marker + " tower", "compound_point": map[string]any{"lat": 10.6, "lon": 103.5},
	})
	if r, err := app.FindRecordById("reports", id); err != nil || r.GetString("sealed_by") != "server" || r.GetString("contact_name") != "" {
		t.Fatalf("the report is not stored sealed (%v)", err)
	}

	a.do("catch the file", chromedp.Evaluate[chromedp.Void](`(() => {
		window.exported = [];
		const make = URL.createObjectURL;
		URL.createObjectURL = (blob) => { window.exported.push(blob); return make(blob); };
	})()`))
	a.do("open the exports", chromedp.Evaluate[chromedp.Void](`location.hash = '#/stats'`))
	a.waitFor("the exports show", `document.body.dataset.page === 'stats' && !!document.querySelector('[data-htcds]')`)
	a.click("export HTCDS", `[data-htcds] button[type="submit"]`)
	a.waitFor("the file is made", `document.querySelector('[data-htcds]').dataset.exported === '1'`)
	file := evaluate[string](a, "read the file", `window.exported[0].arrayBuffer().then((b) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(b))`)
	rows := fixture.ReadCSV(t, []byte(file))
	if len(rows) != 2 || !slices.Equal(rows[0], htcds.Columns) {
		t.Fatalf("the file is %q", rows)
	}
	got := map[string]string{}
	for i, c := range rows[0] {
		got[c] = rows[1][i]
	}
	want := map[string]string{
		"cas_IncomingReferralDetails": "Homeward report " + id, "prs_Gender": "Feminine", "prs_Citizenship": "ID",
		"prs_FirstName": marker, "prs_MobilePhone": "'+000 555 0188", "hte_Type": "Exploitation",
		"hte_Description": marker + " tower", "hte_Latitude": "10.6", "hte_Longitude": "103.5",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	ev := fixture.FindEvents(t, app, dbx.HashExp{"kind": "export", "embassy": fixture.EmbassyX})
	if len(ev) != 1 || ev[0].GetString("actor") != fixture.StaffX || !strings.Contains(ev[0].GetString("note"), "HTCDS export made in the browser") ||
		!strings.HasSuffix(ev[0].GetString("note"), ": "+id) {
		t.Fatalf("want one HTCDS export event by staff X listing %s, got %d", id, len(ev))
	}

	// The console reads the table of sealed columns as Go does.
	type point struct {
		Lat float64 `json:"lat"`
		Lon float64 `json:"lon"`
	}
	type opened struct {
		ConsentContact bool   `json:"consent_contact"`
		ContactName    string `json:"contact_name"`
		ContactPhone   string `json:"contact_phone"`
		Compound       string `json:"compound_location"`
		Point          *point `json:"compound_point"`
	}
	cases := []opened{
		{ConsentContact: true, ContactName: "Ana", ContactPhone: "+000 1"},
		{ContactName: "Ana", ContactPhone: "+000 1", Compound: "KK Park", Point: &point{16.69, 98.51}},
		{Point: &point{0.0000001, -179.5}},
		{Point: &point{0, 0}},
		{},
	}
	var goCells [][]string
	for _, c := range cases {
		r := htcds.Report{ConsentContact: c.ConsentContact, ContactName: c.ContactName, ContactPhone: c.ContactPhone, Compound: c.Compound}
		if c.Point != nil && (c.Point.Lat != 0 || c.Point.Lon != 0) {
			r.Lat, r.Lon, r.HasPoint = c.Point.Lat, c.Point.Lon, true
		}
		var row []string
		for _, cell := range htcds.SealedCells {
			row = append(row, cell.Fill(r))
		}
		goCells = append(goCells, row)
	}
	table, _ := json.Marshal(htcds.SealedCells)
	input, _ := json.Marshal(cases)
	jsCells := evaluate[[][]string](a, "fill the table in the console", `(async () => {
		const { fill } = await import('/staff/htcds.js');
		const cells = `+string(table)+`;
		return `+string(input)+`.map((r) => cells.map((c) => fill(c, r)));
	})()`)
	for i := range cases {
		if !slices.Equal(goCells[i], jsCells[i]) {
			t.Errorf("case %d: the console fills %q, Go %q", i, jsCells[i], goCells[i])
		}
	}
	for _, m := range []string{marker, "+000 555 0188"} {
		testserver.NoFileHolds(t, srv.App.DataDir(), m)
	}
}
