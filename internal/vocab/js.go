package vocab

import (
	"bytes"
	"encoding/json"
	"fmt"
)

//go:generate go run ./genjs ../../pb_public/js/vocabulary.js

// jsLists are the lists pb_public/js/vocabulary.js exports, by their
// JavaScript name, in the order the file shows them.
var jsLists = []struct {
	name, doc string
	values    []string
}{
	{"STATUSES", "every status of a report: the workflow, then the side exits", Statuses},
	{"WORKFLOW", "the usual path of a report, first to last", Workflow},
	{"NEEDS", "what a reporter may ask for, in the form's order", Needs},
	{"LANGUAGES", "the app's languages, in the language menu's order", Languages},
	{"GENDERS", "a reporter's optional answer about themself", Genders},
	{"AGE_BANDS", "a reporter's optional age band", AgeBands},
	{"PASSPORT_ANSWERS", "the answers to whether the employer holds the passport", PassportAnswers},
	{"CHANNELS", "who wrote a report", Channels},
	{"DIRECTIONS", "who wrote a message", Directions},
	{"EVENT_KINDS", "kinds of audit event", EventKinds},
	{"URGENT_ANSWERS", "yes to any of these makes a report urgent", UrgentAnswers},
	{"URGENT_NEEDS", "asking for any of these makes a report urgent", UrgentNeeds},
}

// JS is pb_public/js/vocabulary.js: the vocabulary as an ES module the
// reporter app, the volunteer app and the staff console import. The
// nationality codes are in pb_public/i18n/countries.json with their names.
func JS() []byte {
	var b bytes.Buffer
	b.WriteString("// vocabulary.js: Homeward's domain vocabulary for the web apps. Made by\n" +
		"// `go generate ./internal/vocab` from internal/vocab/vocab.go: change it\n" +
		"// there, never here (a test fails when this copy differs).\n\n")
	for _, l := range jsLists {
		values, err := json.Marshal(l.values)
		if err != nil {
			panic(err) // a slice of strings always marshals
		}
		fmt.Fprintf(&b, "/** %s: %s. */\nexport const %s = Object.freeze(%s);\n", l.name, l.doc, l.name, values)
	}
	fmt.Fprintf(&b, "/** NATIONALITY_OTHER: the nationality of someone from a country not in the list. */\nexport const NATIONALITY_OTHER = %q;\n", NationalityOther)
	return b.Bytes()
}
