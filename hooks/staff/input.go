package staff

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/fielderr"
)

// What a client sends the staff routes, query parameters and JSON bodies,
// is read here, the same way on every route: a value the route cannot
// read, or a field it does not take, is refused with a field error in
// PocketBase's shape, never defaulted or dropped, so a client's mistake
// shows at once instead of as a change that silently did less.

// maxPage is the highest page a client may ask for: far past the end of
// any list (a billion pages of one report), and low enough that its
// offset, and that plus a page, stay exact in every integer the server
// and a JavaScript client use. Pages past the end, up to it, are empty.
const maxPage = 1_000_000_000

var (
	errNotWhole = validation.NewError("validation_invalid_int", "Must be a whole number.")
	errNotBool  = validation.NewError("validation_invalid_bool", "Must be 1, 0, true or false.")
)

// paging is the page and perPage query parameters of a route that answers
// a page at a time; a form embeds it and validates it with rules.
type paging struct {
	Page    int `json:"page"`    // from 1
	PerPage int `json:"perPage"` // the route's page size if not given
}

// newPaging is the first page of perPage items.
func newPaging(perPage int) paging {
	return paging{Page: 1, PerPage: perPage}
}

// read takes page and perPage from query, where given; their rules check
// them.
func (p *paging) read(query url.Values) error {
	for _, f := range []struct {
		name string
		to   *int
	}{{"page", &p.Page}, {"perPage", &p.PerPage}} {
		if err := queryInt(query, f.name, f.to); err != nil {
			return err
		}
	}
	return nil
}

// rules are the page's rules, for the Validate of the form that embeds
// p, with at most largest items a page.
func (p *paging) rules(largest int) []*validation.FieldRules {
	return []*validation.FieldRules{
		validation.Field(&p.Page, atLeast(1), validation.Max(maxPage)),
		validation.Field(&p.PerPage, atLeast(1), validation.Max(largest)),
	}
}

// offset is how many items come before the page.
func (p paging) offset() int {
	return (p.Page - 1) * p.PerPage
}

// atLeast is validation.Min(n) for a number the caller gave: Min passes 0
// as empty, and page=0 or perPage=0 is a value, refused with Min's error.
func atLeast(n int) validation.Rule {
	return validation.By(func(v any) error {
		if v.(int) < n {
			return validation.ErrMinGreaterEqualThanRequired.SetParams(map[string]any{"threshold": n})
		}
		return nil
	})
}

// queryInt sets *to to the whole number of query parameter name, when
// given. A number too large for an int is read as the largest (or
// smallest) int, for the field's rules to refuse with their bounds.
func queryInt(query url.Values, name string, to *int) error {
	s := query.Get(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return validation.Errors{name: errNotWhole}
	}
	*to = n
	return nil
}

// queryBool sets *to to query parameter name, when given: 1, 0, true or
// false (strconv.ParseBool's spellings).
func queryBool(query url.Values, name string, to *bool) error {
	s := query.Get(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return validation.Errors{name: errNotBool}
	}
	*to = b
	return nil
}

// readBody decodes the request's body into dst, a pointer to a form
// struct whose json tags name the fields it takes, from the request info
// (which the collection rules read too, so the body is read once). A
// field dst does not take, at any depth, is refused with fielderr.NotAllowed,
// and a value of the wrong type with a field error naming the type.
// Errors that are not validation.Errors are a body that is not JSON.
func readBody(e *core.RequestEvent, dst any) (*core.RequestInfo, error) {
	info, err := e.RequestInfo()
	if err != nil {
		return nil, err
	}
	body := info.Body
	if !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "application/json") {
		// A multipart or form body holds the URL's query parameters too
		// (http.Request.Form): those are not the client's fields.
		body = make(map[string]any, len(info.Body))
		for k, v := range info.Body {
			if !e.Request.URL.Query().Has(k) {
				body[k] = v
			}
		}
	}
	return info, decodeForm(body, dst)
}

// refuseBody answers err from readBody: field errors with invalid, the
// message the form's Validate errors get, and a body that is not JSON
// with unreadable.
func refuseBody(e *core.RequestEvent, invalid, unreadable string, err error) error {
	var fields validation.Errors
	if errors.As(err, &fields) {
		return e.BadRequestError(invalid, fields)
	}
	return e.BadRequestError(unreadable, err)
}

// decodeForm decodes body, a JSON object already read, into dst as
// readBody does.
func decodeForm(body map[string]any, dst any) error {
	t := reflect.TypeOf(dst).Elem()
	if errs := unknownFields(body, t); len(errs) > 0 {
		return errs
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	err = json.Unmarshal(raw, dst)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		path := strings.Split(typeErr.Field, ".")
		out := fielderr.WrongType(fielderr.JSONKind(fieldType(t, path)))
		for i := len(path) - 1; i >= 0; i-- {
			out = validation.Errors{path[i]: out}
		}
		return out
	}
	return err
}

// unknownFields are the fields of value, a decoded JSON value, that t
// (the Go type it is decoded into) does not take, nested as
// validation.Errors are: by field name, and by index in a list.
func unknownFields(value any, t reflect.Type) validation.Errors {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	errs := validation.Errors{}
	switch v := value.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil
		}
		for k, item := range v {
			f, ok := jsonField(t, k)
			if !ok {
				errs[k] = fielderr.NotAllowed
			} else if nested := unknownFields(item, f.Type); len(nested) > 0 {
				errs[k] = nested
			}
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, item := range v {
			if nested := unknownFields(item, t.Elem()); len(nested) > 0 {
				errs[strconv.Itoa(i)] = nested
			}
		}
	}
	return errs
}

// jsonField is the field of struct t that JSON name decodes into, by its
// json tag (the forms tag every field).
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fieldType is the type of the field at path (json names, as
// json.UnmarshalTypeError gives them) in struct t, through lists.
func fieldType(t reflect.Type, path []string) reflect.Type {
	for _, name := range path {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return t
		}
		f, ok := jsonField(t, name)
		if !ok {
			return t
		}
		t = f.Type
	}
	return t
}
