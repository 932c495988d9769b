package browsertest_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/testserver"
)

func TestBrowserLoadsTheEmbeddedHomePage(t *testing.T) {
	srv := testserver.Start(t, testserver.NewApp(t, false))
	ctx := browsertest.New(t, 60*time.Second)

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title == "" {
		t.Fatal("the page has no title")
	}
}
