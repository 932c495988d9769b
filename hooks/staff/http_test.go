package staff_test

import (
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/tests"

	"homeward/internal/testserver"
)

func startServer(t testing.TB, app *tests.TestApp) string {
	t.Helper()
	return testserver.Start(t, app).URL
}

func get(t testing.TB, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	return res
}
