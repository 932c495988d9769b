// Package htcds writes Homeward reports as records of UN Migration's Human
// Trafficking Case Data Standard 2.0 (HTCDS, github.com/UNMigration/HTCDS,
// CC BY 4.0 by IOM), the way counter-trafficking case systems and the
// Counter Trafficking Data Collaborative exchange cases: one row per case
// with the standard's prefixed field names (as the standard's own Excel
// template names its columns) and its value names. Fields of the standard
// with no Homeward counterpart stay empty; Homeward fields with no HTCDS
// counterpart are listed in Unmapped and left out.
package htcds

import (
	"strconv"
	"strings"
	"time"

	"homeward/internal/vocab"
)

// Columns are the HTCDS fields an export fills, in column order.
var Columns = []string{
	"cas_ReferringOrganisation", "cas_IncomingReferralDate", "cas_ReasonForIncomingReferral", "cas_IncomingReferralDetails",
	"cas_Status", "cas_ReasonForCaseClosure",
	"prs_FirstName", "prs_MobilePhone", "prs_Gender", "prs_Citizenship", "prs_PrimaryLanguage",
	"vic_MethodsOfControl",
	"hte_Type", "hte_Description", "hte_Latitude", "hte_Longitude",
	"spl_Type", "con_Consent",
}

// MultiSeparator joins the values of a multiselect field in one cell, as
// Salesforce (the standard's reference system) exports them.
const MultiSeparator = ";"

// Report is what the mapping reads of a report.
type Report struct {
	Id             string
	Created        time.Time
	Embassy        string // the embassy's name: the referring organisation
	Status         string
	Gender         string
	Nationality    string // ISO 3166-1 alpha-2, vocab.NationalityOther or ""
	Language       string
	Needs          []string
	PassportHeld   string
	Compound       string
	Lat, Lon       float64
	HasPoint       bool
	ContactName    string
	ContactPhone   string
	ConsentContact bool
	ConsentShare   bool
}

// Statuses maps a report's status to cas_Status. The side exits
// (duplicate, spam) have none: such reports are no case and are never
// exported.
var Statuses = map[string]string{
	vocab.StatusNew:         "Active",
	vocab.StatusInReview:    "Active",
	vocab.StatusContacted:   "FollowUp",
	vocab.StatusAssisted:    "FollowUp",
	vocab.StatusRepatriated: "Closed",
	vocab.StatusClosed:      "Closed",
}

// Genders maps a report's gender to prs_Gender.
var Genders = map[string]string{
	"female":  "Feminine",
	"male":    "Masculine",
	"other":   "NonConforming",
	"unknown": "NonSpecifiedUnknown",
}

// Languages maps the app's languages to ISO 639-2 (terminology) codes, as
// prs_PrimaryLanguage asks.
var Languages = map[string]string{
	"en": "eng", "id": "ind", "zh": "zho", "vi": "vie", "th": "tha", "my": "mya", "km": "khm", "fil": "fil",
}

// Needs maps the needs that have a support plan type to spl_Type; the
// others are in Unmapped.
var Needs = map[string]string{
	vocab.NeedMedical: "Health",
	"legal":           "Legal",
	"food_money":      "Financial",
}

// PassportWithheld is the method of control a passport held by the
// employer is.
const PassportWithheld = "WithholdsDocuments"

// Mapped names, for each report field with an HTCDS counterpart, the
// columns it fills (docs/API.md lists them).
var Mapped = map[string][]string{
	"id":                {"cas_IncomingReferralDetails"},
	"created":           {"cas_IncomingReferralDate"},
	"embassy":           {"cas_ReferringOrganisation"},
	"status":            {"cas_Status", "cas_ReasonForCaseClosure"},
	"gender":            {"prs_Gender"},
	"nationality":       {"prs_Citizenship"},
	"language":          {"prs_PrimaryLanguage"},
	"needs":             {"spl_Type"},
	"passport_held":     {"vic_MethodsOfControl"},
	"compound_location": {"hte_Type", "hte_Description"},
	"compound_point":    {"hte_Type", "hte_Latitude", "hte_Longitude"},
	"contact_name":      {"prs_FirstName"},
	"contact_phone":     {"prs_MobilePhone"},
	"consent_share":     {"con_Consent"},
}

// Unmapped names the report fields (and values) with no HTCDS counterpart,
// for docs/API.md; a test holds this list to the report's fields.
var Unmapped = map[string]string{
	"safety_risk_now":      "no HTCDS field for a danger now; it drives Homeward's urgency",
	"minors_present":       "no HTCDS field for accompanying children (prs_NumberOfChildren counts the person's own)",
	"urgent":               "Homeward's triage",
	"people_count":         "HTCDS records one person per case",
	"age_band":             "prs_Birthdate is a date; an age band is not",
	"message":              "the reporter's own words stay with the embassy",
	"current_location":     "free text, not an address",
	"left_on":              "hte_Date is the date of an event of the trafficking, not of leaving",
	"contact_app":          "no HTCDS field for a messaging handle",
	"consent_contact":      "decides whether prs_FirstName and prs_MobilePhone are filled",
	"consent_version":      "Homeward's own",
	"channel":              "Homeward's own",
	"volunteer":            "Homeward's own",
	"assignee":             "a member of embassy staff, not the partner's case owner",
	"duplicate_of":         "duplicates are not exported",
	"nationality_original": "free text of a country not in the list",
	"needs":                "safety, shelter, documents, repatriation, family_contact and other have no spl_Type",
	"attachments":          "files are not exported",
	"sealed":               "the sealed private fields open only in the staff's browsers",
	"sealed_by":            "Homeward's own",
}

// A SealedCell is how one HTCDS column is filled from a report's private
// fields (seal.SealedReportFields), which a sealed report holds only in
// its envelope. Row fills these columns by this table from the report as
// the server has it (empty for a sealed report); the staff console fills
// them by the same table from the envelope it opens
// (pb_public/staff/htcds.js, which reads the table from GET
// /api/staff/htcds-rows), so the mapping of the sealed columns is written
// once, here.
type SealedCell struct {
	Column string `json:"column"`
	// From is the private field whose value fills the column;
	// "compound_point.lat" and "compound_point.lon" are the point's
	// coordinates, written as strconv.FormatFloat(x, 'f', -1, 64).
	From string `json:"from,omitempty"`
	// Value fills the column when any of IfAny holds something.
	Value string   `json:"value,omitempty"`
	IfAny []string `json:"if_any,omitempty"`
	// Needs is a clear yes/no field of the report that must be true for
	// the column to be filled.
	Needs string `json:"needs,omitempty"`
}

// SealedCells are the columns filled from private fields, in the order
// they are filled.
var SealedCells = []SealedCell{
	{Column: "prs_FirstName", From: "contact_name", Needs: "consent_contact"},
	{Column: "prs_MobilePhone", From: "contact_phone", Needs: "consent_contact"},
	{Column: "hte_Type", Value: "Exploitation", IfAny: []string{"compound_location", "compound_point"}},
	{Column: "hte_Description", From: "compound_location"},
	{Column: "hte_Latitude", From: "compound_point.lat"},
	{Column: "hte_Longitude", From: "compound_point.lon"},
}

// private is a private field of r as SealedCell.From names it ("" when
// not given); "compound_point" is "set" when r has a point.
func (r Report) private(field string) string {
	switch field {
	case "contact_name":
		return r.ContactName
	case "contact_phone":
		return r.ContactPhone
	case "compound_location":
		return r.Compound
	}
	if !r.HasPoint {
		return ""
	}
	switch field {
	case "compound_point":
		return "set"
	case "compound_point.lat":
		return strconv.FormatFloat(r.Lat, 'f', -1, 64)
	case "compound_point.lon":
		return strconv.FormatFloat(r.Lon, 'f', -1, 64)
	}
	return ""
}

// clearBool is a clear yes/no field of r as SealedCell.Needs names it.
func (r Report) clearBool(field string) bool {
	switch field {
	case "consent_contact":
		return r.ConsentContact
	case "consent_share":
		return r.ConsentShare
	}
	return false
}

// Fill is the value of the sealed column c for r.
func (c SealedCell) Fill(r Report) string {
	if c.Needs != "" && !r.clearBool(c.Needs) {
		return ""
	}
	if c.From != "" {
		return r.private(c.From)
	}
	for _, f := range c.IfAny {
		if r.private(f) != "" {
			return c.Value
		}
	}
	return ""
}

// Row is a report as one HTCDS row, in Columns order. Contact details are
// filled only when the reporter agreed both to sharing and to being
// contacted.
func Row(r Report) []string {
	v := map[string]string{
		"cas_ReferringOrganisation":     r.Embassy,
		"cas_IncomingReferralDate":      r.Created.UTC().Format(time.DateOnly),
		"cas_ReasonForIncomingReferral": "AdditionalServicesRequired",
		"cas_IncomingReferralDetails":   "Homeward report " + r.Id,
		"cas_Status":                    Statuses[r.Status],
		"prs_Gender":                    Genders[r.Gender],
		"prs_PrimaryLanguage":           Languages[r.Language],
		"con_Consent":                   strconv.FormatBool(r.ConsentShare),
	}
	if r.Status == vocab.StatusRepatriated {
		v["cas_ReasonForCaseClosure"] = "Returned home"
	}
	if r.Nationality != vocab.NationalityOther {
		v["prs_Citizenship"] = r.Nationality
	}
	if r.PassportHeld == "yes" {
		v["vic_MethodsOfControl"] = PassportWithheld
	}
	for _, c := range SealedCells {
		v[c.Column] = c.Fill(r)
	}
	var plans []string
	for _, n := range r.Needs {
		if p := Needs[n]; p != "" {
			plans = append(plans, p)
		}
	}
	v["spl_Type"] = strings.Join(plans, MultiSeparator)

	row := make([]string, len(Columns))
	for i, c := range Columns {
		row[i] = v[c]
	}
	return row
}

// AggregateFields are the HTCDS fields the statistics extract counts.
var AggregateFields = []string{"cas_Status", "prs_Gender", "prs_Citizenship", "prs_PrimaryLanguage", "vic_MethodsOfControl", "spl_Type"}

// Counts adds a report's people to counts, by HTCDS field and value ("" is
// not given). A multiselect field counts the people once under each value.
func Counts(counts map[string]map[string]int, r Report, people int) {
	row := Row(r)
	for i, c := range Columns {
		if !isAggregate(c) {
			continue
		}
		if counts[c] == nil {
			counts[c] = map[string]int{}
		}
		values := strings.Split(row[i], MultiSeparator)
		for _, val := range values {
			counts[c][val] += people
		}
	}
}

func isAggregate(c string) bool {
	for _, f := range AggregateFields {
		if f == c {
			return true
		}
	}
	return false
}
