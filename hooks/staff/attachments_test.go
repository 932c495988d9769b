package staff_test

import (
	"net/http"
	"testing"
)

// TestAttachmentsNeedAFileTokenOfTheEmbassy proves the protected files of
// one embassy's reports cannot be fetched without a token, nor with a file
// token of another embassy's staff.
func TestAttachmentsNeedAFileTokenOfTheEmbassy(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	att := saveAttachment(t, app, reportX)
	srv := startServer(t, app)
	url := srv + "/api/files/" + att.Collection().Id + "/" + att.Id + "/" + att.GetString("file")

	fileToken := func(staffId string) string {
		rec, err := app.FindRecordById("staff", staffId)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := rec.NewFileToken()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, c := range []struct {
		name  string
		token string
		want  int
	}{
		{"no token", "", http.StatusNotFound},
		{"another embassy's staff", fileToken(staffY), http.StatusNotFound},
		{"the embassy's staff", fileToken(staffX), http.StatusOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := http.Get(url + "?token=" + c.token)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d", res.StatusCode, c.want)
			}
		})
	}
}
