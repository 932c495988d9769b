// Package fielderr words PocketBase's field errors (ozzo-validation's
// validation.Errors, the shape of "data" in a 400) for a person reading a
// command's output or an error's reason: "slug: Invalid value format.",
// where validation.Errors.Error() gives "slug: Invalid value format.."
// (it ends the list with a period, after messages that already end with
// one).
package fielderr

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// Describe is err in words: each field's message after its name, nested
// fields by their path ("ops.0.base: …"), joined by "; ". An error that
// holds no field errors is its own Error().
func Describe(err error) string {
	var fields validation.Errors
	if !errors.As(err, &fields) {
		return err.Error()
	}
	var parts []string
	describe(&parts, "", fields)
	return strings.Join(parts, "; ")
}

func describe(parts *[]string, path string, fields validation.Errors) {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := k
		if path != "" {
			name = path + "." + k
		}
		var nested validation.Errors
		if errors.As(fields[k], &nested) {
			describe(parts, name, nested)
			continue
		}
		*parts = append(*parts, name+": "+fields[k].Error())
	}
}

// Wrap is err with Describe's words as its message; errors.Is and
// errors.As still reach err.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	return wrapped{err}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return Describe(w.err) }
func (w wrapped) Unwrap() error { return w.err }

// JSONKind says in words which JSON value a Go type is read from, for an
// error that names what a field must be ("Must be a list of strings.").
func JSONKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		switch t.Elem().Kind() {
		case reflect.String:
			return "a list of strings"
		case reflect.Struct:
			return "a list of objects"
		}
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a valid value"
}

// NotAllowed is the field error of a field a route does not take, the same
// on the sync API and the staff routes, so a client meets one answer.
var NotAllowed = validation.NewError("validation_field_not_allowed", "This field cannot be set here.")

// WrongType is the field error of a value not of the JSON type its field
// takes; want says which, as JSONKind does ("a list of strings").
func WrongType(want string) error {
	return validation.NewError("validation_invalid_type", "Must be "+want+".")
}
