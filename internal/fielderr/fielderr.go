// Package fielderr words PocketBase's field errors (ozzo-validation's
// validation.Errors, the shape of "data" in a 400) for a person reading a
// command's output or an error's reason: "slug: Invalid value format.",
// where validation.Errors.Error() gives "slug: Invalid value format.."
// (it ends the list with a period, after messages that already end with
// one).
package fielderr

import (
	"errors"
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
