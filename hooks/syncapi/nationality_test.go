package syncapi_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// TestPushedNationalitiesComeFromTheList: whatever a phone sends (a code
// from the form, a name typed in an older app, in any of its languages),
// the report stores a code of the list; text naming no listed country is
// stored as "other" and kept for staff.
func TestPushedNationalitiesComeFromTheList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i, tc := range []struct{ sent, code, original string }{
		{"MM", "MM", ""},
		{"မြန်မာ", "MM", ""},
		{"Myanmar", "MM", ""},
		{"người Việt", "VN", ""},
		{"ឥណ្ឌូណេស៊ី", "ID", ""},
		{"other", "other", ""},
		{"", "", ""},
		{"Atlantis", "other", "Atlantis"},
	} {
		id := newId()
		res := f.push(nil, "phone", []op{reportCreate("n"+string(rune('a'+i)), id, f.embassy[0], newReceipt(), map[string]any{"nationality": tc.sent})})
		if r := res.Results[0]; r.Status != "applied" {
			t.Fatalf("%q: %+v", tc.sent, r)
		}
		rec, err := f.app.FindRecordById("reports", id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.GetString("nationality") != tc.code || rec.GetString("nationality_original") != tc.original {
			t.Errorf("%q stored as %q (kept %q), want %q (kept %q)", tc.sent,
				rec.GetString("nationality"), rec.GetString("nationality_original"), tc.code, tc.original)
		}
	}
}

// TestPushedTextIsStoredComposed: the record hook that composes text runs
// for pushes too, so search and filters see one form.
func TestPushedTextIsStoredComposed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, msg, rcpt := newId(), newId()[:15], newReceipt()
	decomposed := norm.NFD.String("Chúng tôi ở bến xe Hà Nội")
	res := f.push(nil, "phone", []op{
		reportCreate("c1", id, f.embassy[0], rcpt, map[string]any{"message": decomposed, "current_location": decomposed}),
		{"op": "c2", "kind": "create", "collection": "messages", "id": msg, "receipt": rcpt, "data": map[string]any{"report": id, "body": decomposed}},
	})
	for _, r := range res.Results {
		if r.Status != "applied" {
			t.Fatalf("%+v", r)
		}
	}
	rep, _ := f.app.FindRecordById("reports", id)
	m, _ := f.app.FindRecordById("messages", msg)
	want := norm.NFC.String(decomposed)
	if rep.GetString("message") != want || rep.GetString("current_location") != want || m.GetString("body") != want {
		t.Fatalf("stored %q, %q, %q: not composed", rep.GetString("message"), rep.GetString("current_location"), m.GetString("body"))
	}
}
