package staff

import (
	"fmt"
	"slices"
	"strconv"

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
	rg.GET("/htcds-aggregate.csv", htcdsAggregateHandler)
}

// htcdsHandler streams the consented reports as HTCDS rows.
func htcdsHandler(e *core.RequestEvent) error {
	embassy, err := e.App.FindRecordById("embassies", embassyOf(e))
	if err != nil {
		return e.ForbiddenError("Your account has no embassy.", err)
	}
	if err := logHTCDSExport(e, "HTCDS export of the reports whose reporter agreed to sharing"); err != nil {
		return err
	}
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
