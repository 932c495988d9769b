package staff

import (
	"encoding/json"
	"errors"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// FuzzDecodeForm holds decodeForm, which reads every body the staff
// routes take, to its promise on any JSON object: it never panics, it
// answers with field errors only, and a body it takes names no field its
// form lacks.
func FuzzDecodeForm(f *testing.F) {
	for _, seed := range []string{
		`{"ids":["reportx0000000000001"],"status":"closed"}`,
		`{"ids":["reportx0000000000001"],"status":"closed","embassy":"x"}`,
		`{"ids":"reportx0000000000001","assignee":7}`,
		`{"ids":[1,{"a":[]}],"format":"csv","contact":"yes","filter":null}`,
		`{"embassy":"embassyy0000001","sealed":{"v":1},"messages":[{"id":"abcdefghijklmno","sealed":{},"body":""}]}`,
		`{"messages":[{"id":1e400}],"embassy":[true]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var body map[string]any
		if json.Unmarshal([]byte(raw), &body) != nil {
			return
		}
		for _, form := range []any{&bulkForm{}, &exportedForm{}, &routeForm{}} {
			err := decodeForm(body, form)
			var fields validation.Errors
			if err != nil && !errors.As(err, &fields) {
				t.Fatalf("%T from %s: %v is not a field error", form, raw, err)
			}
			if err != nil {
				continue
			}
			// The form's own fields, as it encodes them (none is omitempty).
			out, _ := json.Marshal(form)
			var own map[string]any
			if err := json.Unmarshal(out, &own); err != nil {
				t.Fatal(err)
			}
			for k := range body {
				if _, ok := own[k]; !ok {
					t.Fatalf("%T took %s, with field %q it lacks", form, raw, k)
				}
			}
		}
	})
}
