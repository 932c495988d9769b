package openrosa_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"testing"

	"homeward/internal/media/mediatest"
	"homeward/internal/testserver"
)

// TestChunkedSubmissionIsStored sends a submission over a real socket
// with chunked transfer encoding, as Collect streams a form's files, and
// checks the body went out chunked and was stored once.
func TestChunkedSubmissionIsStored(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	srv := testserver.Start(t, w.factory(t))
	body := multipartBody(t, xmlPart(filled(uuid1, version(), "chunked", "photo.jpg")), filePart("photo.jpg", mediatest.OrientedJPEG(64, 48, 1, "")))
	for _, want := range []int{http.StatusCreated, http.StatusAccepted} {
		// An io.Reader of unknown length: the client sends it chunked.
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/openrosa/submission", io.MultiReader(bytes.NewReader(body.Bytes())))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range w.postHeaders(0) {
			req.Header.Set(k, v)
		}
		dump, err := httputil.DumpRequestOut(req, false)
		if err != nil || !bytes.Contains(dump, []byte("Transfer-Encoding: chunked")) {
			t.Fatalf("the request is not chunked:\n%s", dump)
		}
		req.Body = io.NopCloser(bytes.NewReader(body.Bytes()))
		req.ContentLength = -1
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("status %d, want %d: %s", res.StatusCode, want, answer)
		}
	}
	if n, _ := srv.App.CountRecords("attachments"); n != 1 {
		t.Fatalf("%d attachments, want 1", n)
	}
}
