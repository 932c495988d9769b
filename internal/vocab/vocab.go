// Package vocab is Homeward's domain vocabulary, written once: the values
// a report's fixed-choice fields hold (statuses, needs, languages, ...),
// the nationality list, the kinds of audit event, and the urgency rule.
//
// It lives in a package of its own, apart from hooks/reports which applies
// it, because everything else reads it too and it must depend on nothing:
// the report hooks, the staff and sync APIs, the generator of
// pb_public/js/vocabulary.js (the web apps' copy, kept equal by a test), and
// the tests that hold the database schema and the eight language files to
// it. Migrations keep their own frozen copies of the values, as applied
// migrations must; TestSelectFieldsHoldTheVocabulary fails when the schema
// and this package part, so a new status is a change here plus a migration.
package vocab

import (
	"slices"
	"strings"
)

// Report statuses, in workflow order, then the two side exits.
const (
	StatusNew         = "new"
	StatusInReview    = "in_review"
	StatusContacted   = "contacted"
	StatusAssisted    = "assisted"
	StatusRepatriated = "repatriated"
	StatusClosed      = "closed"
	StatusDuplicate   = "duplicate"
	StatusSpam        = "spam"
)

// Workflow is the usual path of a report, first to last.
var Workflow = []string{StatusNew, StatusInReview, StatusContacted, StatusAssisted, StatusRepatriated, StatusClosed}

// Statuses are all the statuses a report may have: the workflow, then the
// side exits duplicate and spam, which count no one in public statistics.
var Statuses = append(slices.Clone(Workflow), StatusDuplicate, StatusSpam)

// NeedMedical is the need that makes a report urgent.
const NeedMedical = "medical"

// Needs are what a reporter may ask for, in the order the form lists them.
var Needs = []string{"safety", NeedMedical, "shelter", "food_money", "documents", "legal", "repatriation", "family_contact", "other"}

// Languages are the app's languages, in the order the language menu lists
// them: a report's language, the languages an embassy's staff answer in,
// a QR poster's language, and the eight files of pb_public/i18n.
var Languages = []string{"en", "id", "zh", "vi", "th", "my", "km", "fil"}

// LanguageNames name each of Languages in itself, as the language menu and
// the QR pages show them.
var LanguageNames = map[string]string{
	"en":  "English",
	"id":  "Bahasa Indonesia",
	"zh":  "中文",
	"vi":  "Tiếng Việt",
	"th":  "ไทย",
	"my":  "မြန်မာ",
	"km":  "ខ្មែរ",
	"fil": "Filipino",
}

// Genders and AgeBands are a reporter's optional answers about themselves.
var (
	Genders  = []string{"female", "male", "other", "unknown"}
	AgeBands = []string{"under_18", "18_25", "26_35", "36_50", "over_50", "unknown"}
)

// PassportAnswers answer "does the employer hold your passport?".
var PassportAnswers = []string{"yes", "no", "unknown"}

// Channels say who wrote a report: the person themself, or a volunteer for
// them.
const (
	ChannelSelf      = "self"
	ChannelVolunteer = "volunteer"
)

// Channels are the values of a report's channel.
var Channels = []string{ChannelSelf, ChannelVolunteer}

// Who sealed a record's private fields (sealed_by): the reporter's phone,
// or the server on arrival, for a channel that sends plaintext (a report,
// a reporter's message, a photo or voice note); or a staff browser (a
// reply with the report's reply key, a note to the embassy's key).
const (
	SealedByPhone  = "phone"
	SealedByServer = "server"
	SealedByStaff  = "staff"
)

// SealedBy are the values of sealed_by.
var SealedBy = []string{SealedByPhone, SealedByServer}

// MessageSealedBy are the values of a message's sealed_by.
var MessageSealedBy = []string{SealedByPhone, SealedByServer, SealedByStaff}

// EventSealedBy are the values of an audit event's sealed_by (a note): a
// staff browser, or the server for a note stored in clear before its
// report was sealed (seal-existing).
var EventSealedBy = []string{SealedByStaff, SealedByServer}

// Directions say who wrote a message of a report's conversation.
const (
	DirectionReporter = "reporter"
	DirectionStaff    = "staff"
)

// Directions are the values of a message's direction.
var Directions = []string{DirectionReporter, DirectionStaff}

// Kinds of audit event (report_events.kind).
const (
	EventCreated   = "created"
	EventStatus    = "status"
	EventNote      = "note"
	EventReply     = "reply"
	EventRoute     = "route"
	EventDuplicate = "duplicate"
	EventExport    = "export"
	EventAssign    = "assign"
	EventPrint     = "print"
)

// EventKinds are the kinds of audit event.
var EventKinds = []string{EventCreated, EventStatus, EventNote, EventReply, EventRoute, EventDuplicate, EventExport, EventAssign, EventPrint}

// Nationalities are the ISO 3166-1 alpha-2 codes a report's nationality
// may hold: the people met in and around Cambodia's scam compounds
// (Cambodia and its neighbours, the countries UNODC and OHCHR name as
// origins of trafficked workers in the Mekong region, 2023), so the form
// on a phone stays a short list. Anyone else is NationalityOther; an empty
// nationality is unknown (not given). Their names in the app's languages
// are in pb_public/i18n/countries.json (hooks/reports writes it).
var Nationalities = []string{
	"KH", "CN", "HK", "TW", "VN", "TH", "LA", "MM", "MY", "ID", "PH", "SG", "TL",
	"IN", "BD", "NP", "PK", "LK", "KR", "JP", "MN", "KG", "RU", "TR", "BR",
	"KE", "UG", "ET", "NG",
}

// NationalityOther is the nationality of someone from a country not in
// Nationalities; what they wrote is kept in nationality_original.
const NationalityOther = "other"

// NationalityPattern is the nationality field's pattern: a code of the
// list, NationalityOther, or empty.
func NationalityPattern() string {
	return "^(|" + NationalityOther + "|" + strings.Join(Nationalities, "|") + ")$"
}

// The urgency rule: a report needs attention first when any of
// UrgentAnswers is yes (a safety risk now, minors present) or it asks for
// any of UrgentNeeds. The server stores the verdict in the report's urgent
// field; the staff console names the reasons from the same data.
var (
	UrgentAnswers = []string{"safety_risk_now", "minors_present"}
	UrgentNeeds   = []string{NeedMedical}
)

// Urgent applies the urgency rule to a report whose yes/no answers are
// read by answer (e.g. a record's GetBool) and whose needs are needs.
func Urgent(answer func(field string) bool, needs []string) bool {
	for _, f := range UrgentAnswers {
		if answer(f) {
			return true
		}
	}
	for _, n := range needs {
		if slices.Contains(UrgentNeeds, n) {
			return true
		}
	}
	return false
}
