package staff_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/hooks/staff"
	"homeward/internal/htcds"
	"homeward/internal/htcds/htcdstest"
	"homeward/internal/testserver"
	"homeward/internal/vocab"
)

// Reports the HTCDS scenarios add to the seeded world: only sharedX may
// appear in embassy X's case export.
const (
	sharedX   = "reportx00000000htcd1" // consented to sharing
	spamX     = "reportx00000000htcd2" // consented, but spam: no case
	sharedY   = "reporty00000000htcd1" // consented, of embassy Y
	sharedPin = "Siti Rahma"
)

func htcdsWorld(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	save := func(data map[string]any) { testserver.SaveRecord(t, app, "reports", data) }
	save(map[string]any{
		"id": sharedX, "embassy": embassyX, "people_count": 12, "nationality": "ID", "language": "km",
		"gender": "female", "needs": []string{"medical", "legal", "shelter"}, "passport_held": "yes",
		"compound_location": "=cmd|' /C calc'!A0", "compound_point": map[string]any{"lat": 16.69, "lon": 98.51},
		"contact_name": sharedPin, "contact_phone": "+000 555 0101", "consent_contact": true, "consent_share": true,
		"channel": "self",
	})
	save(map[string]any{"id": spamX, "embassy": embassyX, "consent_share": true, "channel": "self", "status": "spam"})
	save(map[string]any{"id": sharedY, "embassy": embassyY, "consent_share": true, "channel": "self"})
}

func oneExportEvent(t testing.TB, app *tests.TestApp, note string) {
	ev := findEvents(t, app, dbx.HashExp{"kind": vocab.EventExport, "embassy": embassyX})
	if len(ev) != 1 || ev[0].GetString("actor") != staffX || !strings.Contains(ev[0].GetString("note"), note) {
		t.Fatalf("want one export event by staff X saying %q, got %d", note, len(ev))
	}
}

func TestHTCDSExport(t *testing.T) {
	t.Parallel()
	std := htcdstest.Standard(t)
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:   "the case export holds only the consented reports of the embassy, in the standard's names and values",
			Method: http.MethodGet, URL: "/api/staff/htcds.csv", BeforeTestFunc: htcdsWorld,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"Homeward report " + sharedX, sharedPin},
			NotExpectedContent: []string{reportX, contactPhoneX, spamX, sharedY, reportY},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				oneExportEvent(t, app, "HTCDS export")
				var body bytes.Buffer
				body.ReadFrom(res.Body)
				rows := readCSV(t, body.Bytes())
				if !slices.Equal(rows[0], htcds.Columns) {
					t.Fatalf("header %v, want %v", rows[0], htcds.Columns)
				}
				if len(rows) != 2 {
					t.Fatalf("%d rows, want the one consented report", len(rows)-1)
				}
				got := map[string]string{}
				for i, c := range rows[0] {
					f, ok := std[c]
					if !ok {
						t.Errorf("column %s is not an HTCDS 2.0 field", c)
					}
					got[c] = rows[1][i]
					for _, v := range strings.Split(rows[1][i], htcds.MultiSeparator) {
						if v != "" && len(f.Values) > 0 && !slices.Contains(f.Values, v) {
							t.Errorf("%s = %q is not in the standard's list", c, v)
						}
					}
				}
				want := map[string]string{
					"cas_ReferringOrganisation": "Embassy X", "cas_Status": "Active", "prs_Gender": "Feminine",
					"prs_Citizenship": "ID", "prs_PrimaryLanguage": "khm", "vic_MethodsOfControl": "WithholdsDocuments",
					"spl_Type": "Health;Legal", "hte_Type": "Exploitation", "hte_Latitude": "16.69", "hte_Longitude": "98.51",
					"prs_FirstName": sharedPin, "prs_MobilePhone": "'+000 555 0101", "con_Consent": "true",
					"hte_Description": "'=cmd|' /C calc'!A0",
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s = %q, want %q", k, got[k], v)
					}
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "the statistics extract counts people in HTCDS terms and suppresses every cell under k",
			Method: http.MethodGet, URL: "/api/staff/htcds-aggregate.csv", BeforeTestFunc: htcdsWorld,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"field,value,people", "total,,18", "prs_Citizenship,ID,18"},
			NotExpectedContent: []string{sharedPin, sharedX, reportX},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				oneExportEvent(t, app, "HTCDS aggregate")
				var body bytes.Buffer
				body.ReadFrom(res.Body)
				for _, r := range readCSV(t, body.Bytes())[1:] {
					if r[0] != "total" {
						if _, ok := std[r[0]]; !ok {
							t.Errorf("field %s is not an HTCDS 2.0 field", r[0])
						}
						if f := std[r[0]]; r[1] != "" && len(f.Values) > 0 && !slices.Contains(f.Values, r[1]) {
							t.Errorf("%s value %q is not in the standard's list", r[0], r[1])
						}
					}
					if n, err := strconv.Atoi(r[2]); r[2] != "" && (err != nil || n < 11) {
						t.Errorf("cell %v is under k = 11", r)
					}
				}
			},
		}),
		{
			Name: "guests get no export", Method: http.MethodGet, URL: "/api/staff/htcds.csv",
			TestAppFactory: newApp, ExpectedStatus: http.StatusUnauthorized,
			ExpectedContent: []string{`"status":401`}, ExpectedEvents: map[string]int{"*": 0},
		},
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestEveryReportFieldIsMappedToHTCDSOrListedAsNot holds htcds.Mapped and
// htcds.Unmapped (which docs/API.md lists) to the reports collection: a
// new report field must be placed in one of them.
func TestEveryReportFieldIsMappedToHTCDSOrListedAsNot(t *testing.T) {
	t.Parallel()
	app := testserver.NewApp(t, false)
	col, err := app.FindCollectionByNameOrId("reports")
	if err != nil {
		t.Fatal(err)
	}
	// Homeward's bookkeeping, not about the person or the case.
	own := []string{"updated", "version", "receipt_hash", "device_created", "last_activity"}
	for _, f := range col.Fields.FieldNames() {
		_, mapped := htcds.Mapped[f]
		_, unmapped := htcds.Unmapped[f]
		if !mapped && !unmapped && !slices.Contains(own, f) {
			t.Errorf("report field %s is neither mapped to HTCDS nor listed in htcds.Unmapped", f)
		}
	}
}

// sealedShared is a consented report of embassy X stored after X has a
// key: the server seals its private fields on arrival.
const (
	sealedShared    = "reportx00000000htcd3"
	sealedSharedPin = "Sealed-Htcds-Wren"
)

// sealedHTCDSWorld is htcdsWorld with a key for X and a consented report
// sealed by the server.
func sealedHTCDSWorld(t testing.TB, app *tests.TestApp, e *core.ServeEvent) {
	htcdsWorld(t, app, e)
	testserver.AddEmbassyKey(t, app, embassyX, nil)
	testserver.SaveRecord(t, app, "reports", map[string]any{
		"id": sealedShared, "embassy": embassyX, "people_count": 1, "consent_contact": true, "consent_share": true,
		"contact_name": sealedSharedPin, "contact_phone": "+000 555 0177", "compound_location": sealedSharedPin + " tower",
		"channel": "self",
	})
}

// TestTheServersHTCDSExportSaysWhatIsSealed: the server's own HTCDS file
// cannot hold a sealed report's private columns: it says how many rows
// are such, in a header and in the export's audit event; the rows route
// the console builds its file from gives each row with what the server
// can fill, the report to open, and the table of the sealed columns; and
// the console's export log of an HTCDS file takes only reports whose
// reporter agreed to sharing.
func TestTheServersHTCDSExportSaysWhatIsSealed(t *testing.T) {
	t.Parallel()
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:   "the server's file leaves a sealed report's private columns empty and says so",
			Method: http.MethodGet, URL: "/api/staff/htcds.csv", BeforeTestFunc: sealedHTCDSWorld,
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"Homeward report " + sealedShared, "Homeward report " + sharedX, sharedPin},
			NotExpectedContent: []string{sealedSharedPin, "555 0177"},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := res.Header.Get(staff.HeaderSealedOmitted); got != "1" {
					t.Errorf("%s: %q, want 1", staff.HeaderSealedOmitted, got)
				}
				oneExportEvent(t, app, "the private columns of 1 sealed reports left empty")
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "a file with no sealed report says none",
			Method: http.MethodGet, URL: "/api/staff/htcds.csv", BeforeTestFunc: htcdsWorld,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{"Homeward report " + sharedX},
			ExpectedEvents:  exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if got := res.Header.Get(staff.HeaderSealedOmitted); got != "0" {
					t.Errorf("%s: %q, want 0", staff.HeaderSealedOmitted, got)
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "the rows route gives the rows, the reports to open and the sealed columns' table, and logs nothing",
			Method: http.MethodGet, URL: "/api/staff/htcds-rows", BeforeTestFunc: sealedHTCDSWorld,
			ExpectedStatus: http.StatusOK,
			ExpectedContent: []string{`"sealed_cells":[{"column":"prs_FirstName","from":"contact_name","needs":"consent_contact"}`,
				`"columns":["cas_ReferringOrganisation"`, "Homeward report " + sealedShared, `"sealed_by":"server"`, sharedPin},
			NotExpectedContent: []string{sealedSharedPin, spamX, sharedY, reportY},
			ExpectedEvents:     map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "an HTCDS file made in the browser is logged",
			Method: http.MethodPost, URL: "/api/staff/exports", BeforeTestFunc: sealedHTCDSWorld,
			Body:            strings.NewReader(`{"ids":["` + sealedShared + `","` + sharedX + `"],"format":"htcds"}`),
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"reports":2`},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, _ *http.Response) {
				oneExportEvent(t, app, "HTCDS export made in the browser")
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "an HTCDS file may not hold a report whose reporter did not agree to sharing",
			Method: http.MethodPost, URL: "/api/staff/exports", BeforeTestFunc: sealedHTCDSWorld,
			Body:            strings.NewReader(`{"ids":["` + sharedX + `","` + reportX + `"],"format":"htcds"}`),
			ExpectedStatus:  http.StatusForbidden,
			ExpectedContent: []string{"not yours to export"},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// TestHTCDSRowsArePagedAsTheListIs: GET /api/staff/htcds-rows takes page
// and perPage by the report list's rules; a bad one is refused by name,
// never read as page 1.
func TestHTCDSRowsArePagedAsTheListIs(t *testing.T) {
	t.Parallel()
	refused := func(name, query string, content ...string) tests.ApiScenario {
		return as(staffX, tests.ApiScenario{
			Name:   name,
			Method: http.MethodGet, URL: "/api/staff/htcds-rows?" + query, BeforeTestFunc: htcdsWorld,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    append(content, `"message":"The page is not valid."`),
			NotExpectedContent: []string{sharedX},
			ExpectedEvents:     map[string]int{"*": 0},
		})
	}
	scenarios := []tests.ApiScenario{
		refused("page 0 is refused, as the page before the first", "page=0",
			`"page":{"code":"validation_min_greater_equal_than_required"`),
		refused("a page that is not a whole number is refused", "page=abc",
			`"page":{"code":"validation_invalid_int","message":"Must be a whole number."}`),
		refused("a page past the highest is refused", "page=9223372036854775807",
			`"page":{"code":"validation_max_less_equal_than_required"`),
		refused("a page larger than the export's pages is refused", "perPage=501",
			`"perPage":{"code":"validation_max_less_equal_than_required"`),
		refused("a page of 0 rows is refused", "perPage=0",
			`"perPage":{"code":"validation_min_greater_equal_than_required"`),
		as(staffX, tests.ApiScenario{
			Name:   "perPage sets the rows a page holds",
			Method: http.MethodGet, URL: "/api/staff/htcds-rows?page=2&perPage=1", BeforeTestFunc: sealedHTCDSWorld,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`"page":2`, `"perPage":1`},
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				var body struct {
					Items []struct {
						Report struct {
							Id string `json:"id"`
						} `json:"report"`
					} `json:"items"`
				}
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
					t.Fatal(err)
				}
				// Two reports are shared: page 2 holds one of them.
				if len(body.Items) != 1 || (body.Items[0].Report.Id != sharedX && body.Items[0].Report.Id != sealedShared) {
					t.Errorf("page 2 of 1 row holds %+v, want one shared report", body.Items)
				}
			},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}
