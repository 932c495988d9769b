package staff

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
	"homeward/internal/vocab"
)

// Export limits.
const (
	// exportPage is how many reports are read per query while streaming.
	exportPage = 500
	// maxExportRows bounds one file: ten weeks of a flooded embassy. A
	// larger export is a backup, which superusers make from /_/.
	maxExportRows = 10000
)

// exportColumns are the report fields in every export, in column order.
var exportColumns = []string{
	"id", "created", "status", "urgent", "safety_risk_now", "minors_present", "needs",
	"people_count", "nationality", "nationality_original", "language", "gender", "age_band",
	"compound_location", "current_location", "left_on", "passport_held",
	"channel", "duplicate_of", "consent_contact", "consent_share", "message",
}

// contactColumns identify a person; they are exported only when the member
// of staff asks for them, and the export event says so.
var contactColumns = []string{"contact_name", "contact_phone", "contact_app"}

// exportHandler streams the caller's filtered report list as CSV and logs
// the export in report_events first, so even an interrupted download is on
// the record.
func exportHandler(e *core.RequestEvent) error {
	filter := e.Request.URL.Query().Get("filter")
	withContact := false
	if err := queryBool(e.Request.URL.Query(), "contact", &withContact); err != nil {
		return e.BadRequestError("The export query is not valid.", err)
	}
	needle, err := searchParam(e)
	if err != nil {
		return e.BadRequestError("The search is not valid.", err)
	}

	// Build the query before logging, so a bad filter logs nothing.
	if _, err := scopedReports(e, filter); err != nil {
		return e.BadRequestError("The filter is not valid.", err)
	}

	note := "CSV export without contact fields"
	if withContact {
		note = "CSV export WITH contact fields"
	}
	if filter != "" {
		note += "; filter: " + filter
	}
	if needle != "" {
		note += "; search: " + needle
	}
	err = reports.WriteEvent(e.App, reports.Event{
		EmbassyId: embassyOf(e),
		Kind:      vocab.EventExport,
		Note:      truncate(note, 4000),
		Actor:     reports.ActorFromAuth(e.Auth),
	})
	if err != nil {
		return e.InternalServerError("Failed to log the export.", err)
	}

	cols := exportColumns
	if withContact {
		cols = append(append([]string{}, exportColumns...), contactColumns...)
	}
	w := startCSV(e, "homeward-reports")
	if err := w.Write(cols); err != nil {
		return err
	}
	return streamReports(e, w, filter, needle, func(r *core.Record) []string { return exportRow(r, cols) })
}

// startCSV sends the headers of a CSV download named name-<UTC time>.csv,
// and the byte-order mark, which makes Excel read the file as UTF-8 rather
// than the machine's legacy code page (that garbles Burmese, Khmer and
// Thai); other CSV readers skip it.
func startCSV(e *core.RequestEvent, name string) *csv.Writer {
	h := e.Response.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`-`+time.Now().UTC().Format("20060102-1504")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	e.Response.WriteHeader(http.StatusOK)
	io.WriteString(e.Response, utf8BOM)
	return csv.NewWriter(e.Response)
}

// streamReports writes one row per report of the caller's that passes
// filter and, when needle is not empty, the search for it, newest first,
// a page at a time, up to maxExportRows.
func streamReports(e *core.RequestEvent, w *csv.Writer, filter, needle string, row func(*core.Record) []string) error {
	// The export pages through the reports newest first, each tested.
	search := textSearch{needle: needle}
	for offset := 0; offset < maxExportRows; offset += exportPage {
		q, err := scopedReports(e, filter)
		if err != nil {
			return brokenExport(e, w, err)
		}
		if needle != "" {
			q.AndWhere(searchExp(search, embassyOf(e)))
		}
		var page []*core.Record
		// created alone, so the (embassy, ..., created) indexes give the
		// order; every page runs the same plan, so ties keep their order.
		err = q.OrderBy("reports.created DESC").
			Offset(int64(offset)).Limit(int64(min(exportPage, maxExportRows-offset))).
			All(&page)
		if err != nil {
			return brokenExport(e, w, err)
		}
		for _, r := range page {
			if err := w.Write(row(r)); err != nil {
				return err
			}
		}
		w.Flush()
		if len(page) < exportPage {
			break
		}
	}
	w.Flush()
	return w.Error()
}

// brokenExport marks a file whose status line is already sent as broken,
// so it never looks complete.
func brokenExport(e *core.RequestEvent, w *csv.Writer, err error) error {
	e.App.Logger().Error("CSV export stopped early.", "error", err)
	w.Write([]string{"ERROR: the export stopped early"})
	w.Flush()
	return w.Error()
}

func exportRow(r *core.Record, cols []string) []string {
	row := make([]string, len(cols))
	for i, c := range cols {
		switch v := r.Get(c).(type) {
		case []string:
			row[i] = strings.Join(v, ";")
		case bool:
			row[i] = strconv.FormatBool(v)
		default:
			row[i] = fmt.Sprint(v)
		}
		row[i] = safeCell(row[i])
	}
	return row
}

// utf8BOM starts every export (see exportHandler).
const utf8BOM = "\ufeff"

// safeCell stops a spreadsheet from running a reporter's text as a formula
// (CSV injection, OWASP): a cell gets a leading apostrophe when it starts
// with a formula character, or with characters a spreadsheet skips before
// one (spaces of any script, tabs, line breaks, invisible format
// characters), or with a tab, carriage return or line feed at all. The
// full-width and small forms count too: spreadsheets in East Asian locales
// read "＝" as "=".
func safeCell(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' || s[0] == '\n' {
		return "'" + s
	}
	for _, r := range s {
		switch {
		case isFormulaStart(r):
			return "'" + s
		case unicode.IsSpace(r) || unicode.In(r, unicode.Zs, unicode.Cc, unicode.Cf):
			continue
		}
		return s
	}
	return s
}

// isFormulaStart reports whether a spreadsheet may begin a formula with r:
// =, +, -, @ and the forms of them that it folds to these (full-width,
// small, the minus sign).
func isFormulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@',
		'\uff1d', '\uff0b', '\uff0d', '\uff20', // full-width ＝ ＋ － ＠
		'\ufe66', '\ufe62', '\ufe63', '\ufe6b', // small ﹦ ﹢ ﹣ ﹫
		'\u2212': // minus sign
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
