package staff_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

// viewX is staff X's saved view.
const viewX = "viewx0000000001"

func withSavedView(t testing.TB, app *tests.TestApp, _ *core.ServeEvent) {
	testserver.SaveRecord(t, app, "staff_views", map[string]any{"id": viewX, "staff": staffX, "name": "Mine", "query": "mine=1"})
}

// TestSavedViewsAreEachStaffMembersOwn: a saved view is seen and changed by
// the member of staff who saved it, and by no colleague, whichever route
// of the records API is tried.
func TestSavedViewsAreEachStaffMembersOwn(t *testing.T) {
	base := "/api/collections/staff_views/records"
	scenario := func(who, name, method, url, body string, status int, content ...string) tests.ApiScenario {
		s := tests.ApiScenario{
			Name: name, Method: method, URL: url, ExpectedStatus: status, ExpectedContent: content,
			BeforeTestFunc: withSavedView,
			Headers:        map[string]string{"Content-Type": "application/json"},
		}
		if len(content) == 0 && status != http.StatusNoContent {
			s.ExpectedContent = []string{`"`} // any JSON answer; the status decides
		}
		if body != "" {
			s.Body = strings.NewReader(body)
		}
		if who == "" {
			s.TestAppFactory = newApp
			return s
		}
		return as(who, s)
	}
	for _, s := range []tests.ApiScenario{
		scenario(staffX, "the owner lists it", http.MethodGet, base, "", http.StatusOK, `"totalItems":1`, `"query":"mine=1"`),
		scenario(staffX2, "a colleague lists none", http.MethodGet, base, "", http.StatusOK, `"totalItems":0`),
		scenario(staffX2, "a colleague cannot read it", http.MethodGet, base+"/"+viewX, "", http.StatusNotFound),
		scenario(staffX2, "a colleague cannot change it", http.MethodPatch, base+"/"+viewX, `{"name":"Mine now"}`, http.StatusNotFound),
		scenario(staffX2, "a colleague cannot delete it", http.MethodDelete, base+"/"+viewX, "", http.StatusNotFound),
		scenario(staffX2, "nobody saves a view for someone else", http.MethodPost, base, `{"staff":"`+staffX+`","name":"Yours"}`, http.StatusBadRequest),
		scenario(staffX, "the owner cannot give it away", http.MethodPatch, base+"/"+viewX, `{"staff":"`+staffX2+`"}`, http.StatusNotFound),
		scenario(staffX, "the owner renames it", http.MethodPatch, base+"/"+viewX, `{"name":"Mine, urgent first","query":"mine=1&sort=-urgent"}`, http.StatusOK, `"name":"Mine, urgent first"`),
		scenario(staffX, "one name once per person", http.MethodPost, base, `{"staff":"`+staffX+`","name":"Mine"}`, http.StatusBadRequest, `"validation_not_unique"`),
		scenario(staffX2, "a colleague saves the same name for themself", http.MethodPost, base, `{"staff":"`+staffX2+`","name":"Mine","query":"unread=1"}`, http.StatusOK, `"staff":"`+staffX2+`"`),
		scenario(staffX, "the owner deletes it", http.MethodDelete, base+"/"+viewX, "", http.StatusNoContent),
		scenario("", "guests are refused", http.MethodGet, base, "", http.StatusUnauthorized, `"Sign in to see these records."`),
	} {
		s.Test(t)
	}
}
