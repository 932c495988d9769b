package syncapi_test

import (
	"net/http"
	"testing"
)

// markRead is the op a phone sends once it has shown a staff reply.
func markRead(opId, msg string, data map[string]any) op {
	return op{"op": opId, "kind": "update", "collection": "messages", "id": msg, "base": 0, "data": data}
}

func TestTheReporterSideMarksARepliesRead(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	read := map[string]any{"read_by_reporter": true}
	volReply := newId()[:15]
	s.push(bearer(s.staffTok[0]), "console", []op{{"op": "rv", "kind": "create", "collection": "messages", "id": volReply,
		"data": map[string]any{"report": s.volReport[0], "body": "Bring them to the shelter."}}})

	for _, tc := range []struct {
		name   string
		h      header
		op     op
		status string
		code   float64 // the refusal's HTTP status
	}{
		{"another reporter's receipt is refused", receipt(s.rcpt[1]), markRead("x1", s.staffReply, read), "rejected", 403},
		{"a malformed receipt is refused", receipt("4821"), markRead("x2", s.staffReply, read), "rejected", 400},
		{"the reporter's own message is not a reply", receipt(s.rcpt[0]), markRead("x3", s.reporterReply, read), "rejected", 400},
		{"no other field can be changed", receipt(s.rcpt[0]), markRead("x4", s.staffReply, map[string]any{"read_by_reporter": true, "body": "changed"}), "rejected", 400},
		{"a read reply cannot be unread", receipt(s.rcpt[0]), markRead("x5", s.staffReply, map[string]any{"read_by_reporter": false}), "rejected", 400},
		{"staff cannot mark for the reporter", bearer(s.staffTok[0]), markRead("x6", s.staffReply, read), "rejected", 403},
		{"another volunteer cannot mark it", device(s.deviceToken[1]), markRead("x7", volReply, read), "rejected", 403},
		{"an unknown message", receipt(s.rcpt[0]), markRead("x8", "nosuchmessage00", read), "rejected", 404},
		{"the reporter, with the receipt in the op", receipt(""), withReceipt(markRead("r1", s.staffReply, read), s.rcpt[0]), "applied", 0},
		{"again, from the phone's next pass", receipt(s.rcpt[0]), markRead("r2", s.staffReply, read), "applied", 0},
		{"the volunteer who filed the report", device(s.deviceToken[0]), markRead("v1", volReply, read), "applied", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if h["X-Receipt"] == "" && h["Authorization"] == "" {
				h = nil
			}
			r := s.push(h, "phone", []op{tc.op}).Results[0]
			if r.Status != tc.status || (tc.code != 0 && r.Error["status"] != tc.code) {
				t.Fatalf("got %s %v, want %s %v", r.Status, r.Error, tc.status, tc.code)
			}
		})
	}

	for _, id := range []string{s.staffReply, volReply} {
		rec, err := s.app.FindRecordById("messages", id)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.GetBool("read_by_reporter") || rec.GetString("body") == "changed" {
			t.Fatalf("message %s: read_by_reporter %v, body %q", id, rec.GetBool("read_by_reporter"), rec.GetString("body"))
		}
	}
	other, _ := s.app.FindRecordById("messages", s.reporterReply)
	if other.GetBool("read_by_reporter") {
		t.Fatal("the reporter's own message was marked")
	}

	// Staff see it through the records API the console reads...
	var msg struct {
		ReadByReporter bool `json:"read_by_reporter"`
	}
	if status := s.call(http.MethodGet, "/api/collections/messages/records/"+s.staffReply, header{"Authorization": s.staffTok[0]}, nil, &msg); status != http.StatusOK || !msg.ReadByReporter {
		t.Fatalf("staff read the reply as %d, read_by_reporter %v", status, msg.ReadByReporter)
	}
	// ...and through the change log, once.
	found := 0
	for _, c := range s.pullAll(bearer(s.staffTok[0])) {
		if c.Id == s.staffReply {
			found++
			if c.Data["read_by_reporter"] != true {
				t.Fatalf("staff pull shows the reply as %v", c.Data)
			}
		}
	}
	if found != 1 {
		t.Fatalf("the reply is %d times in the staff pull", found)
	}
}

func withReceipt(o op, code string) op {
	o["receipt"] = code
	return o
}
