package syncapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
)

// publicJSON writes the same JSON value as encoding/json for every kind of
// value a record holds.
func TestPublicJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	col := core.NewBaseCollection("things")
	col.Fields.Add(
		&core.TextField{Name: "text"},
		&core.NumberField{Name: "num"},
		&core.BoolField{Name: "flag"},
		&core.SelectField{Name: "tags", MaxSelect: 5, Values: []string{"a", "<b>", "ü\u2028", "bad\xff"}},
		&core.JSONField{Name: "raw"},
		&core.DateField{Name: "when"},
		&core.GeoPointField{Name: "point"},
		&core.TextField{Name: "secret", Hidden: true},
	)
	for _, data := range []map[string]any{
		{"text": "plain"},
		{"text": "quote \" backslash \\ <html> & \n\t\x01 ภาษาไทย 😀", "num": 3.5, "flag": true, "tags": []string{"a", "<b>", "ü\u2028"},
			"raw": `{"x":[1,2,{"y":null}]}`, "when": "2026-11-26 10:00:00.123Z", "point": map[string]any{"lon": 104.9, "lat": 11.55}, "secret": "never"},
		{"text": "invalid \xff utf-8", "num": -1e21, "tags": []string{"a", "bad\xff"}, "raw": nil},
	} {
		rec := core.NewRecord(col)
		rec.Id = "abc"
		rec.Load(data)
		got, err := publicJSON(rec)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(rec.PublicExport())
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("publicJSON wrote invalid JSON %s: %v", got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("publicJSON:\n %s\nencoding/json:\n %s", got, want)
		}
		if strings.Contains(string(got), "never") {
			t.Errorf("publicJSON wrote a hidden field: %s", got)
		}
	}
}
