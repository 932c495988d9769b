package syncapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// fullWidth writes an ASCII receipt as a Chinese phone keyboard in
// full-width mode does: digits U+FF10-FF19 in groups of four, separated by
// ideographic spaces (U+3000).
func fullWidth(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteRune('\u3000')
		}
		b.WriteRune(r - '0' + '０')
	}
	return b.String()
}

func TestAReceiptTypedOnAnyKeyboardFindsItsReport(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	for _, tc := range []struct{ name, code string }{
		{"full-width digits, ideographic spaces", fullWidth(s.rcpt[0])},
		{"Thai digits, en dashes", strings.Map(func(r rune) rune { return r - '0' + '๐' }, s.rcpt[0][:10]) + "\u2013" + s.rcpt[0][10:]},
		{"no-break and zero-width spaces", s.rcpt[0][:4] + "\u00a0" + s.rcpt[0][4:8] + "\u200b" + s.rcpt[0][8:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(s.pullAll(receipt(tc.code))); !slices.Contains(got, "reports/"+s.guestReport[0]) {
				t.Fatalf("pull with %q brought %v, want the report", tc.code, got)
			}
			res := s.push(receipt(tc.code), "g0", []op{{"op": "m-" + strings.Fields(tc.name)[0], "kind": "create", "collection": "messages",
				"id": newId()[:15], "data": map[string]any{"report": s.guestReport[0], "body": "typed on another keyboard"}}})
			if res.Results[0].Status != "applied" {
				t.Fatalf("a message with receipt %q: %+v", tc.code, res.Results[0])
			}
		})
	}
}

func TestMalformedReceiptsAreRefusedButNotCountedAsGuesses(t *testing.T) {
	t.Parallel()
	s := newScoped(t)
	malformed := []string{"4821 0937 5512", "4821 0937 5512 8064 229O", "4821/0937/5512/8064/2290", "hello", strings.Repeat("1", 21)}
	for i := range 30 {
		code := malformed[i%len(malformed)]
		var out struct{ Data map[string]any }
		if status := s.call(http.MethodGet, "/api/sync/pull", receipt(code), nil, &out); status != http.StatusBadRequest || out.Data["code"] != "receipt_malformed" {
			t.Fatalf("pull with %q: %d %v, want 400 receipt_malformed", code, status, out.Data)
		}
	}
	res := s.push(receipt("12345"), "g0", []op{{"op": "typo", "kind": "create", "collection": "messages",
		"id": newId()[:15], "data": map[string]any{"report": s.guestReport[0], "body": "a typo"}}})
	if r := res.Results[0]; r.Status != "rejected" || r.Error["status"] != float64(http.StatusBadRequest) {
		t.Fatalf("a message with a malformed X-Receipt: %+v, want rejected 400", r)
	}
	// None of these counted: the next 20 well-formed wrong codes are each
	// a 404, and only the 21st is limited.
	for i := 1; i <= 21; i++ {
		var out struct{ Data map[string]any }
		status := s.call(http.MethodGet, "/api/sync/pull", receipt(newReceipt()), nil, &out)
		want := http.StatusNotFound
		if i == 21 {
			want = http.StatusTooManyRequests
		}
		if status != want {
			t.Fatalf("wrong receipt %d after 31 malformed ones: %d %v, want %d", i, status, out.Data, want)
		}
	}
}
