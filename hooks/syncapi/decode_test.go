package syncapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"testing"
)

func FuzzDecodePush(f *testing.F) {
	f.Add([]byte(`{"device":"d","ops":[{"op":"1","kind":"create","collection":"reports","id":"abcdefghij0123456789","receipt":"12345678901234567890","data":{"embassy":"x"}}]}`), false)
	f.Add([]byte(`{"device":"d","ops":[{"op":"1","kind":"update","collection":"reports","id":"abcdefghij0123456789","base":3,"data":{}}]}`), false)
	f.Add([]byte(`{"device":"d","ops":[]}`), false)
	f.Add([]byte(`{"device":`), false)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(`{"device":"d","ops":[{"op":"1","kind":"create","collection":"messages","id":"abcdefghij01234","data":{"body":"hi"}}]}`))
	w.Close()
	f.Add(gz.Bytes(), true)
	f.Fuzz(func(t *testing.T, body []byte, gzipped bool) {
		req, err := decodePush(bytes.NewReader(body), gzipped)
		if err != nil {
			return
		}
		if len(req.Ops) == 0 || len(req.Ops) > maxPushOps || req.Device == "" {
			t.Fatalf("accepted a push with %d ops and device %q", len(req.Ops), req.Device)
		}
		for _, op := range req.Ops {
			if op.check() != nil {
				t.Fatalf("accepted a malformed op %+v", op)
			}
			if _, err := op.fields(); err != nil {
				t.Fatalf("accepted op data that does not decode: %v", err)
			}
		}
	})
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	for _, seq := range []int64{0, 1, 99, 1 << 40} {
		got, err := decodeCursor(encodeCursor(seq))
		if err != nil || got != seq {
			t.Fatalf("cursor for %d decodes to %d, %v", seq, got, err)
		}
	}
	for _, bad := range []string{"x", "c1.!!", "c1." + "LTE", "c1.YWJj"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Fatalf("cursor %q accepted", bad)
		}
	}
}

func TestPullResponseEncodesAsJSON(t *testing.T) {
	t.Parallel()
	in := pullResponse{Changes: []change{
		{Seq: 7, Collection: "reports", Id: "abc", Kind: kindUpsert, Version: 2, Data: json.RawMessage(`{"status":"new","message":"quote \" and \\u00e9"}`)},
		{Seq: 9, Collection: "messages", Id: "def", Kind: kindDelete, Data: json.RawMessage("null")},
	}, Cursor: encodeCursor(9), HasMore: true}
	want, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.encode(); !bytes.Equal(got, want) {
		t.Fatalf("encode:\n%s\nwant\n%s", got, want)
	}
}
