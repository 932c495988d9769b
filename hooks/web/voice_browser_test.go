package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
)

// newBrowserWithFakeMicrophone is browsertest.New with Chromium's fake
// audio device, so a voice note can be recorded headless.
func newBrowserWithFakeMicrophone(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	return browsertest.New(t, timeout,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
	)
}

// TestVoiceNoteReachesTheServer records a voice note with the fake
// microphone, files the report, and finds the audio stored as an attachment.
func TestVoiceNoteReachesTheServer(t *testing.T) {
	srv := startLive(t)
	seedEmbassy(t, srv.App, "test-indonesia", "Embassy of Testland")
	ctx := newBrowserWithFakeMicrophone(t, 90*time.Second)

	openApp(t, ctx, srv.URL+"/?embassy=test-indonesia&lang=en#report")
	waitFor(t, ctx, "the record button", `!document.getElementById('voice').hidden`)
	do(t, ctx, chromedp.Click(chromedp.ID("rec")))
	waitFor(t, ctx, "recording", `document.getElementById('rec-state').textContent === 'Recording…'`)
	do(t, ctx, chromedp.Sleep(1500*time.Millisecond), chromedp.Click(chromedp.ID("rec")))
	waitFor(t, ctx, "the voice note", `document.getElementById('photo-list').textContent.indexOf('Voice note') >= 0`)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("f-message"), "with a voice note"),
		chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
	waitFor(t, ctx, "the voice note sent", `self.homeward.db.all('files').then((f) => f.length === 1 && f[0].state === 'sent')`)

	atts, err := srv.App.FindAllRecords("attachments")
	if err != nil {
		t.Fatal(err)
	}
	if len(atts) != 1 || atts[0].GetString("mime") != "audio/webm" || atts[0].GetInt("size") < 100 {
		t.Fatalf("attachments: %d, want one audio/webm voice note", len(atts))
	}
}
