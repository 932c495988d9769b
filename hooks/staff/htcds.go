package staff

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
	"homeward/internal/htcds"
	"homeward/internal/vocab"
)

// The HTCDS exports (internal/htcds): the caller's embassy's reports whose
// reporter agreed to sharing with partner organisations, as HTCDS case
// rows, and a k-anonymised count of all its counted reports in HTCDS
// terms for statistics. Both stream as the CSV export does, and each is
// an audit event before its first byte.

// sharedFilter is what an HTCDS case export may hold: reports whose
// reporter agreed to sharing, and no side exit (no case).
var sharedFilter = fmt.Sprintf("consent_share = true && %s", countedFilter)

// bindHTCDSApi registers the HTCDS exports on the staff routes.
func bindHTCDSApi(rg *router.RouterGroup[*core.RequestEvent]) {
	rg.GET("/htcds.csv", htcdsHandler)
	rg.GET("/htcds-rows", htcdsRowsHandler)
	rg.GET("/htcds-aggregate.csv", htcdsAggregateHandler)
}

// HeaderSealedOmitted is the header of GET /api/staff/htcds.csv that
// says how many of its rows are sealed reports, whose columns filled from
// private fields (htcds.SealedCells) are empty in it: the server cannot
// open them. The console's HTCDS export, made in the browser, fills them.
const HeaderSealedOmitted = "X-Homeward-Sealed-Omitted"

// htcdsHandler streams the consented reports as HTCDS rows. A sealed
// report's private columns are empty; the response says how many rows
// are such (HeaderSealedOmitted), and so does the export's audit event.
func htcdsHandler(e *core.RequestEvent) error {
	embassy, err := e.App.FindRecordById("embassies", embassyOf(e))
	if err != nil {
		return e.ForbiddenError("Your account has no embassy.", err)
	}
	sealed, err := countSealed(e, sharedFilter)
	if err != nil {
		return e.InternalServerError("Failed to count the sealed reports.", err)
	}
	note := "HTCDS export of the reports whose reporter agreed to sharing"
	if sealed > 0 {
		note += fmt.Sprintf(" (the private columns of %d sealed reports left empty)", sealed)
	}
	if err := logHTCDSExport(e, note); err != nil {
		return err
	}
	e.Response.Header().Set(HeaderSealedOmitted, strconv.Itoa(sealed))
	w := startCSV(e, "homeward-htcds")
	if err := w.Write(htcds.Columns); err != nil {
		return err
	}
	name := embassy.GetString("name")
	return streamReports(e, w, sharedFilter, "", func(r *core.Record) []string {
		row := htcds.Row(htcdsReport(r, name))
		for i := range row {
			row[i] = safeCell(row[i])
		}
		return row
	})
}

// countSealed counts the caller's sealed reports that pass filter, up to
// maxExportRows (the most an export holds).
func countSealed(e *core.RequestEvent, filter string) (int, error) {
	q, err := scopedReports(e, "("+filter+") && sealed != null", "reports.id")
	if err != nil {
		return 0, err
	}
	var ids []string
	if err := q.Distinct(true).Limit(maxExportRows).Column(&ids); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// htcdsRow is one report of GET /api/staff/htcds-rows: its HTCDS row with
// what the server can fill, and the report (clear fields and envelope)
// for the console to open.
type htcdsRow struct {
	Row    []string     `json:"row"`
	Report *core.Record `json:"report"`
}

// htcdsRowsHandler answers a page (?page= from 1, ?perPage= up to and by
// default exportPage rows; newest first, up to maxExportRows in all) of
// the reports the HTCDS export holds, each as its row (formula-guarded)
// with the columns filled from private fields empty for a sealed report,
// beside the report itself, and the columns and the table the console
// fills a sealed report's private columns by once it has opened it
// (htcds.SealedCells). Nothing is logged here: the console tells the
// server which reports its file holds (POST /api/staff/exports, format
// "htcds"), as for its CSV export.
func htcdsRowsHandler(e *core.RequestEvent) error {
	embassy, err := e.App.FindRecordById("embassies", embassyOf(e))
	if err != nil {
		return e.ForbiddenError("Your account has no embassy.", err)
	}
	page, err := readHTCDSPage(e.Request.URL.Query())
	if err != nil {
		return e.BadRequestError("The page is not valid.", err)
	}
	offset := page.offset()
	items := []htcdsRow{}
	if offset < maxExportRows {
		q, err := scopedReports(e, sharedFilter)
		if err != nil {
			return e.InternalServerError("Failed to read the reports.", err)
		}
		var recs []*core.Record
		err = q.OrderBy("reports.created DESC").Offset(int64(offset)).Limit(int64(min(page.PerPage, maxExportRows-offset))).All(&recs)
		if err != nil {
			return e.InternalServerError("Failed to read the reports.", err)
		}
		for _, r := range recs {
			row := htcds.Row(htcdsReport(r, embassy.GetString("name")))
			for i := range row {
				row[i] = safeCell(row[i])
			}
			items = append(items, htcdsRow{Row: row, Report: r})
		}
	}
	return e.JSON(http.StatusOK, map[string]any{
		"columns": htcds.Columns, "sealed_cells": htcds.SealedCells,
		"page": page.Page, "perPage": page.PerPage, "maxRows": maxExportRows, "items": items,
	})
}

// readHTCDSPage reads the page of GET /api/staff/htcds-rows by the
// paging rules the report list follows.
func readHTCDSPage(query url.Values) (paging, error) {
	p := newPaging(exportPage)
	if err := p.read(query); err != nil {
		return p, err
	}
	return p, validation.ValidateStruct(&p, p.rules(exportPage)...)
}

// htcdsAggregateHandler counts people by HTCDS field and value over all
// the embassy's counted reports (consent to share a record is not needed
// for a count no one can be found in): every cell under MinCell is
// suppressed, as in the public statistics.
func htcdsAggregateHandler(e *core.RequestEvent) error {
	q, err := scopedReports(e, countedFilter)
	if err != nil {
		return e.InternalServerError("Failed to count reports.", err)
	}
	var recs []*core.Record
	if err := q.Limit(maxCountRows).All(&recs); err != nil {
		return e.InternalServerError("Failed to count reports.", err)
	}
	counts := map[string]map[string]int{}
	total := 0
	for _, r := range recs {
		people := max(r.GetInt("people_count"), 1)
		total += people
		htcds.Counts(counts, htcdsReport(r, ""), people)
	}
	if err := logHTCDSExport(e, fmt.Sprintf("HTCDS aggregate extract (k = %d)", MinCell)); err != nil {
		return err
	}
	w := startCSV(e, "homeward-htcds-aggregate")
	if err := w.Write([]string{"field", "value", "people"}); err != nil {
		return err
	}
	w.Write([]string{"total", "", cell(suppressOne(total))})
	for _, field := range htcds.AggregateFields {
		cells := Suppress(counts[field], field != "spl_Type")
		values := make([]string, 0, len(cells))
		for v := range cells {
			values = append(values, v)
		}
		slices.Sort(values)
		for _, v := range values {
			w.Write([]string{field, safeCell(v), cell(cells[v])})
		}
	}
	w.Flush()
	return w.Error()
}

// cell is a count as written: empty when suppressed.
func cell(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func logHTCDSExport(e *core.RequestEvent, note string) error {
	err := reports.WriteEvent(e.App, reports.Event{
		EmbassyId: embassyOf(e),
		Kind:      vocab.EventExport,
		Note:      note,
		Actor:     reports.ActorFromAuth(e.Auth),
	})
	if err != nil {
		return e.InternalServerError("Failed to log the export.", err)
	}
	return nil
}

// htcdsReport is what the HTCDS mapping reads of a report record.
func htcdsReport(r *core.Record, embassy string) htcds.Report {
	out := htcds.Report{
		Id:             r.Id,
		Created:        r.GetDateTime("created").Time(),
		Embassy:        embassy,
		Status:         r.GetString("status"),
		Gender:         r.GetString("gender"),
		Nationality:    r.GetString("nationality"),
		Language:       r.GetString("language"),
		Needs:          r.GetStringSlice("needs"),
		PassportHeld:   r.GetString("passport_held"),
		Compound:       r.GetString("compound_location"),
		ContactName:    r.GetString("contact_name"),
		ContactPhone:   r.GetString("contact_phone"),
		ConsentContact: r.GetBool("consent_contact"),
		ConsentShare:   r.GetBool("consent_share"),
	}
	if p, ok := r.Get("compound_point").(types.GeoPoint); ok && (p.Lat != 0 || p.Lon != 0) {
		out.Lat, out.Lon, out.HasPoint = p.Lat, p.Lon, true
	}
	return out
}
