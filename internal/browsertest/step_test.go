package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAStepOpensANewTabThatOutlivesIt: the first step in a new profile
// opens its tab, and the tab still answers after that step's deadline
// has passed.
func TestAStepOpensANewTabThatOutlivesIt(t *testing.T) {
	root := New(t, time.Minute)
	tab := NewTab(t, root)
	if err := Step(tab.Ctx, chromedp.Navigate(`data:text/html,<p id="p">one</p>`)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`document.getElementById('p').textContent`))
	if err != nil || got != "one" {
		t.Fatalf("after the first step the tab answers %q, %v", got, err)
	}
}
