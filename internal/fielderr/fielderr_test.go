package fielderr_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	validation "github.com/pocketbase/ozzo-validation/v4"

	"homeward/internal/fielderr"
)

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{validation.Errors{"slug": validation.NewError("validation_invalid_format", "Invalid value format.")}, "slug: Invalid value format."},
		{validation.Errors{
			"name": validation.NewError("validation_required", "Cannot be blank."),
			"base": validation.NewError("validation_required", "An update must carry the version it was based on."),
			"id":   nil,
		}, "base: An update must carry the version it was based on.; name: Cannot be blank."},
		{validation.Errors{"data": validation.Errors{"people_count": validation.NewError("validation_invalid_type", "Must be a number.")}}, "data.people_count: Must be a number."},
		{errors.New("plain"), "plain"},
	} {
		if got := fielderr.Describe(c.err); got != c.want {
			t.Errorf("Describe(%#v) = %q, want %q", c.err, got, c.want)
		}
	}
	inner := validation.Errors{"slug": validation.NewError("validation_invalid_format", "Invalid value format.")}
	w := fielderr.Wrap(inner)
	var fields validation.Errors
	if w.Error() != "slug: Invalid value format." || !errors.As(w, &fields) || fielderr.Wrap(nil) != nil {
		t.Errorf("Wrap: %q, As %v", w.Error(), errors.As(w, &fields))
	}
}

func TestJSONKind(t *testing.T) {
	type form struct{ A int }
	for _, c := range []struct {
		t    reflect.Type
		want string
	}{
		{reflect.TypeFor[string](), "a string"},
		{reflect.TypeFor[*int64](), "a whole number"},
		{reflect.TypeFor[float64](), "a number"},
		{reflect.TypeFor[bool](), "true or false"},
		{reflect.TypeFor[[]string](), "a list of strings"},
		{reflect.TypeFor[[]form](), "a list of objects"},
		{reflect.TypeFor[[]int](), "a list"},
		{reflect.TypeFor[map[string]any](), "an object"},
		{reflect.TypeFor[json.RawMessage](), "a JSON value"},
	} {
		if got := fielderr.JSONKind(c.t); got != c.want {
			t.Errorf("JSONKind(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}
