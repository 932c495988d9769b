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
