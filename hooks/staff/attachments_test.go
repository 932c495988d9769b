package staff_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
)

// saveAttachment stores a small PNG as an attachment of report and returns
// the record.
func saveAttachment(t testing.TB, app core.App, report string) *core.Record {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{R: uint8(x * 6), G: 90, B: uint8(y * 8), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	f, err := filesystem.NewFileFromBytes(buf.Bytes(), "photo.png")
	if err != nil {
		t.Fatal(err)
	}
	col, err := app.FindCollectionByNameOrId("attachments")
	if err != nil {
		t.Fatal(err)
	}
	rec := core.NewRecord(col)
	rec.Set("report", report)
	rec.Set("file", f)
	rec.Set("sha256", hex.EncodeToString(sum[:]))
	rec.Set("size", buf.Len())
	rec.Set("mime", "image/png")
	if err := app.Save(rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

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
