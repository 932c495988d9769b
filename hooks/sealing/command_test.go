package sealing_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/internal/binarytest"
	"homeward/internal/testserver"
)

func TestMain(m *testing.M) { binarytest.Main(m) }

// TestSealExistingLeavesNoPlaintextInTheDataDir: reports, a reporter's
// message, a staff reply and a staff note stored in clear before their
// embassy had a key are sealed by
// `homeward seal-existing` (the real binary), open with the embassy's key,
// and afterwards no file of the data dir holds a byte of what was typed:
// not the database, its write-ahead log, the search index, the change log,
// nor the request log. An embassy with no key keeps its reports as they
// were, which also shows the search would have found a marker left behind.
func TestSealExistingLeavesNoPlaintextInTheDataDir(t *testing.T) {
	binarytest.Build(t) // skips under -short before any seeding
	// A PNG whose text chunk says "secret location", stored as it came
	// (Go code does not clean files).
	photo := testserver.TestData(t, "photo.png")
	const inPhoto = "secret location"
	const (
		marker = "MARKER-ex1st"
		kept   = "MARKER-keyless"
	)
	opts := testserver.TwoEmbassies()
	opts.Embassies[0].Id, opts.Embassies[1].Id = embX, embZ
	var key *testserver.EmbassyKey
	var ids []string
	var reply, note string
	dir, _ := testserver.SeedDir(t, opts, func(app core.App, s *testserver.Seeded) {
		for i := range 30 {
			r := testserver.SaveRecord(t, app, "reports", map[string]any{
				"embassy": embX, "people_count": 1 + i%3, "needs": []string{"shelter"},
				"message": marker + " we were held in building " + strings.Repeat("C", i%5), "contact_phone": "+000 555 0" + string(rune('1'+i%9)),
				"compound_location": marker + " compound", "current_location": marker + " now", "contact_name": marker + " name",
			})
			ids = append(ids, r.Id)
		}
		testserver.SaveRecord(t, app, "messages", map[string]any{"report": ids[0], "direction": "reporter", "body": marker + " a follow-up"})
		// A staff reply and a staff note, stored in clear before the
		// report was sealed.
		reply = testserver.SaveRecord(t, app, "messages", map[string]any{"report": ids[0], "direction": "staff", "body": marker + " a staff reply", "author": s.Staff[0].Id}).Id
		note = testserver.SaveRecord(t, app, "report_events", map[string]any{"embassy": embX, "report": ids[0], "kind": "note", "note": marker + " a staff note", "actor": s.Staff[0].Id}).Id
		file, err := filesystem.NewFileFromBytes(photo, "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		testserver.SaveRecord(t, app, "attachments", map[string]any{"report": ids[1], "file": file, "mime": "image/png"})
		testserver.SaveRecord(t, app, "reports", map[string]any{"embassy": embZ, "message": kept + " for Z"})
		// The embassy gets its key only now: what came before is in clear.
		key = testserver.AddEmbassyKey(t, app, embX, nil)
		// Checkpointed, so the plaintext sits in the database file itself.
		if _, err := app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
			t.Fatal(err)
		}
	})
	if len(testserver.FilesHolding(t, dir, marker)) == 0 || len(testserver.FilesHolding(t, dir, inPhoto)) == 0 {
		t.Fatal("the seeded data dir holds no plaintext: the test could not fail")
	}

	out := binarytest.New(t, dir).Run("seal-existing")
	if !strings.Contains(out, "Sealed 30 reports and 1 reporters' messages.") || !strings.Contains(out, "Sealed 1 attachments") ||
		!strings.Contains(out, "Sealed 1 staff replies and 1 staff notes") {
		t.Fatalf("seal-existing said:\n%s", out)
	}
	if found := testserver.FilesHolding(t, dir, marker); len(found) > 0 {
		t.Fatalf("after seal-existing, %v still hold %q", found, marker)
	}
	if found := testserver.FilesHolding(t, dir, inPhoto); len(found) > 0 {
		t.Fatalf("after seal-existing, %v still hold the photo's %q", found, inPhoto)
	}
	if found := testserver.FilesHolding(t, dir, kept); len(found) == 0 {
		t.Fatal("the report of the embassy with no key was changed")
	}

	app := testserver.NewAppFrom(t, dir)
	for _, id := range ids {
		r, err := app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		if r.GetString("sealed_by") != "server" {
			t.Fatalf("report %s sealed_by %q", id, r.GetString("sealed_by"))
		}
		if body := key.OpenReport(t, r); !strings.HasPrefix(body.Message, marker+" we were held") || body.ContactName != marker+" name" {
			t.Fatalf("report %s opened as %+v", id, body)
		}
	}
	msgs, err := app.FindAllRecords("messages", dbx.HashExp{"direction": "reporter"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	if got := key.OpenMessage(t, embX, msgs[0]); got != marker+" a follow-up" {
		t.Fatalf("the message opened as %q", got)
	}
	// The reply is sealed to the embassy's key (the server never had the
	// reporter's receipt to make the reply key), the note as the console
	// seals notes; both open with the embassy's key, as the console opens
	// them.
	r, err := app.FindRecordById("messages", reply)
	if err != nil {
		t.Fatal(err)
	}
	if got := key.OpenMessage(t, embX, r); got != marker+" a staff reply" || r.GetString("body") != "" || r.GetString("sealed_by") != "server" {
		t.Fatalf("the staff reply (sealed_by %q) opened as %q", r.GetString("sealed_by"), got)
	}
	n, err := app.FindRecordById("report_events", note)
	if err != nil {
		t.Fatal(err)
	}
	if got := key.OpenNote(t, n); got != marker+" a staff note" || n.GetString("note") != "" || n.GetString("sealed_by") != "server" {
		t.Fatalf("the staff note (sealed_by %q) opened as %q", n.GetString("sealed_by"), got)
	}
	atts, err := app.FindAllRecords("attachments")
	if err != nil || len(atts) != 1 {
		t.Fatalf("%d attachments, %v", len(atts), err)
	}
	if mime, data := key.OpenAttachment(t, app, atts[0]); mime != "image/png" || !bytes.Equal(data, photo) || atts[0].GetString("sealed_by") != "server" {
		t.Fatalf("the attachment (sealed_by %q) opened as %s, %d bytes", atts[0].GetString("sealed_by"), mime, len(data))
	}
}
