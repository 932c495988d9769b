package staff

import (
	"errors"
	"net/url"
	"strconv"

	validation "github.com/pocketbase/ozzo-validation/v4"
)

// What a client sends the staff routes in the query is read here, the
// same way on every route: a value the route cannot read is refused with
// a field error in PocketBase's shape, never defaulted, so a client's
// mistake shows at once instead of as an answer to another question.

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
