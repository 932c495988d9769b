package seal

// SealedMessageFields are the messages fields a sealed message keeps only
// in its envelope (MessageBody); on the record they are empty.
var SealedMessageFields = []string{"body"}

// MessageBody is the plaintext of a message's envelope, as JSON, before
// padding.
type MessageBody struct {
	Body string `json:"body"`
}

// MessageClear returns the clear fields a message's envelope is bound to:
// the report it belongs to and who wrote it. A message's binding names
// the embassy of its report and the message's own id; seal.js's
// messageClear is the same list.
func MessageClear(r Record) []Field {
	return []Field{
		{"report", r.GetString("report")},
		{"direction", r.GetString("direction")},
	}
}

// SealedNoteFields are the report_events fields a sealed staff note keeps
// only in its envelope (NoteBody); on the record they are empty.
var SealedNoteFields = []string{"note"}

// NoteBody is the plaintext of a staff note's envelope, as JSON, before
// padding. A note of a sealed report is sealed in the staff browser to
// the embassy's newest key, like a reporter's message: only staff open it.
type NoteBody struct {
	Note string `json:"note"`
}

// NoteClear returns the clear fields a note's envelope is bound to: its
// report, its kind and who wrote it. Its binding names the report's
// embassy and the event's own id; seal.js's noteClear is the same list.
func NoteClear(r Record) []Field {
	return []Field{
		{"report", r.GetString("report")},
		{"kind", r.GetString("kind")},
		{"actor", r.GetString("actor")},
	}
}
