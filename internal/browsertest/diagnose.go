package browsertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// journal keeps the last lines a browser's pages wrote to their consoles,
// their uncaught exceptions and dialogs, for a failed test to print: a
// step that hangs says nothing of why by itself.
type journal struct {
	mu    sync.Mutex
	lines []string
}

const journalLines = 60

func (j *journal) add(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	line := time.Now().Format("15:04:05.000 ") + fmt.Sprintf(format, args...)
	if len(line) > 400 {
		line = line[:400] + "…"
	}
	j.lines = append(j.lines, line)
	if len(j.lines) > journalLines {
		j.lines = j.lines[len(j.lines)-journalLines:]
	}
}

func (j *journal) String() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.lines, "\n")
}

// watch records what the tab's pages print, throw and ask.
func (j *journal) watch(ctx context.Context) {
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			j.add("console.%s %s", e.Type, strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			j.add("exception %s (%s:%d)", msg, d.URL, d.LineNumber)
		case *page.EventJavascriptDialogOpening:
			j.add("dialog %s %q", e.Type, e.Message)
		case *page.EventFrameNavigated:
			if e.Frame.ParentID == "" {
				j.add("navigated to %s", e.Frame.URL)
			}
		case *target.EventTargetCrashed:
			j.add("target crashed: %s (%d)", e.Status, e.ErrorCode)
		}
	})
}

// diagnose prints, for a failed test, the journal and the state of the
// tab's page, asked with a short time limit of its own: a page whose main
// thread is stuck does not answer, and that is said too.
func diagnose(t testing.TB, tab context.Context, j *journal) {
	if !t.Failed() {
		return
	}
	state := PageState(tab)
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	targets, terr := chromedp.Targets(ctx)
	var ts []string
	for _, ti := range targets {
		ts = append(ts, fmt.Sprintf("%s %s", ti.Type, ti.URL))
	}
	if terr != nil {
		ts = append(ts, "targets: "+terr.Error())
	}
	t.Logf("browser at the failure:\n%s\ntargets: %s\nlast console lines, exceptions, dialogs and navigations:\n%s",
		state, strings.Join(ts, "; "), j)
}

// PageState says where the page of ctx is (address, load state, network,
// focus, visible screens, the start of its text), asked with a time limit
// of its own: a page whose main thread is stuck does not answer, and that
// is said too.
func PageState(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		url: location.href, ready: document.readyState, online: navigator.onLine,
		focus: document.activeElement && (document.activeElement.id || document.activeElement.tagName),
		screens: [...document.querySelectorAll('.screen')].filter((s) => !s.hidden).map((s) => s.id),
		text: document.body ? document.body.innerText.slice(0, 600) : ''})`))
	if err != nil {
		return "the page did not answer within 10 s: " + err.Error()
	}
	return "page: " + state
}
