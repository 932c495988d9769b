package staff_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/tests"
)

// TestARoutingIsReadAsSent: POST /api/staff/reports/{id}/route refuses a
// field it does not take, at any depth, and a value of the wrong type, by
// name, and moves nothing; the URL's query parameters, which a multipart
// body carries along, are not taken for fields. (The routing's sealing
// rules are tested in hooks/sealing.)
func TestARoutingIsReadAsSent(t *testing.T) {
	t.Parallel()
	url := "/api/staff/reports/" + reportX + "/route"
	unmoved := func(t testing.TB, app *tests.TestApp, _ *http.Response) {
		wantField(t, app, reportX, "embassy", embassyX)
	}
	refused := func(name, body string, content ...string) tests.ApiScenario {
		return as(staffX, tests.ApiScenario{
			Name:            name,
			Method:          http.MethodPost,
			URL:             url,
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            strings.NewReader(body),
			ExpectedStatus:  http.StatusBadRequest,
			ExpectedContent: append(content, `"message":"The routing is not valid."`),
			ExpectedEvents:  map[string]int{"*": 0},
			AfterTestFunc:   unmoved,
		})
	}
	withQuery, withQueryType := multipartPayload(t, `{"embassy":"`+embassyY+`"}`)
	unknown, unknownType := multipartPayload(t, `{"embassy":"`+embassyY+`","note":"moved"}`)
	scenarios := []tests.ApiScenario{
		refused("a field the routing does not take", `{"embassy":"`+embassyY+`","assignee":""}`,
			`"assignee":{"code":"validation_field_not_allowed","message":"This field cannot be set here."}`),
		refused("a field a message does not take", `{"embassy":"`+embassyY+`","messages":[{"id":"abcdefghijklmno","sealed":{"v":1},"body":"hi"}]}`,
			`"messages":{"0":{"body":{"code":"validation_field_not_allowed"`),
		refused("an embassy that is not a string", `{"embassy":15}`,
			`"embassy":{"code":"validation_invalid_type","message":"Must be a string."}`),
		refused("messages that are not a list", `{"embassy":"`+embassyY+`","messages":{"id":"abcdefghijklmno"}}`,
			`"messages":{"code":"validation_invalid_type","message":"Must be a list of objects."}`),
		as(staffX, tests.ApiScenario{
			Name:               "a multipart routing: a field it does not take is refused, the URL's parameters are not fields",
			Method:             http.MethodPost,
			URL:                url + "?fields=id",
			Headers:            map[string]string{"Content-Type": unknownType},
			Body:               unknown,
			ExpectedStatus:     http.StatusBadRequest,
			ExpectedContent:    []string{`"note":{"code":"validation_field_not_allowed"`},
			NotExpectedContent: []string{`"fields"`},
			ExpectedEvents:     map[string]int{"*": 0},
			AfterTestFunc:      unmoved,
		}),
		as(staffX, tests.ApiScenario{
			Name:            "a multipart routing with the URL's parameters is routed",
			Method:          http.MethodPost,
			URL:             url + "?fields=id,embassy",
			Headers:         map[string]string{"Content-Type": withQueryType},
			Body:            withQuery,
			ExpectedStatus:  http.StatusOK,
			ExpectedContent: []string{`{"embassy":"` + embassyY + `","id":"` + reportX + `"}`},
			ExpectedEvents:  map[string]int{"OnRecordUpdate": 1}, // the report, saved once
		}),
	}
	for _, s := range scenarios {
		s.Test(t)
	}
}

// multipartPayload is a multipart body holding payload as PocketBase's
// @jsonPayload, and its content type.
func multipartPayload(t testing.TB, payload string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if err := w.WriteField("@jsonPayload", payload); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &body, w.FormDataContentType()
}
