package console_test

import "homeward/hooks/staff/internal/fixture"

// The seeded app, its fixed ids and the helpers that fill and read it
// (hooks/staff/internal/fixture), under the names this package's tests use.
const (
	embassyX            = fixture.EmbassyX
	embassyY            = fixture.EmbassyY
	staffX              = fixture.StaffX
	staffX2             = fixture.StaffX2
	staffY              = fixture.StaffY
	volunteerV          = fixture.VolunteerV
	reportX             = fixture.ReportX
	reportY             = fixture.ReportY
	messageY            = fixture.MessageY
	eventX              = fixture.EventX
	eventY              = fixture.EventY
	contactPhoneX       = fixture.ContactPhoneX
	messageTextX        = fixture.MessageTextX
	urgentNewX          = fixture.UrgentNewX
	idleX               = fixture.IdleX
	idleClosedX         = fixture.IdleClosedX
	unreadX             = fixture.UnreadX
	readX               = fixture.ReadX
	literalSearchFilter = fixture.LiteralSearchFilter
)

var (
	newApp          = fixture.NewApp
	configureAll    = fixture.ConfigureAll
	saveReport      = fixture.SaveReport
	saveAttachment  = fixture.SaveAttachment
	findEvents      = fixture.FindEvents
	moreReports     = fixture.MoreReports
	queueReports    = fixture.QueueReports
	sorted2         = fixture.Sorted2
	readExport      = fixture.ReadExport
	consoleLanguage = fixture.ConsoleLanguage
	readCSV         = fixture.ReadCSV
)
