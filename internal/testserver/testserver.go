// Package testserver runs the whole Homeward app, as main.go wires it, over
// a temporary data dir behind a real HTTP server on 127.0.0.1, for tests
// that need a socket (browsers, cut connections, concurrent clients).
package testserver

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tests"
	"github.com/spf13/cobra"

	"homeward/hooks"
	_ "homeward/pb_migrations" // the schema the tests run against
)

// Server is a running test instance.
type Server struct {
	App *tests.TestApp
	URL string // e.g. http://127.0.0.1:40123

	close func()
}

// Stop takes the server away (its connections too), as a lost signal
// would: the browser meets a refused connection.
func (s *Server) Stop() { s.close() }

// RepoRoot is the repository root, found from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// NewApp returns a test app over a fresh temp data dir with every Homeward
// package registered and the web root read from pb_public on disk.
// Rate limits are off unless keepRateLimits is set: tests drive many
// requests from one address on purpose.
func NewApp(t testing.TB, keepRateLimits bool) *tests.TestApp {
	t.Helper()
	app := NewAppFrom(t, t.TempDir())
	if keepRateLimits {
		app.Settings().RateLimits.Enabled = true
	}
	return app
}

// NewAppFrom is NewApp over a copy of an existing data dir (e.g. a seeded
// fixture), with rate limits off.
func NewAppFrom(t testing.TB, dataDir string) *tests.TestApp {
	t.Helper()
	app, err := tests.NewTestApp(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Cleanup)
	app.Settings().RateLimits.Enabled = false
	cfg := hooks.Config{
		Public: os.DirFS(filepath.Join(RepoRoot(), "pb_public")),
		// A test server listens on loopback, as on a developer's laptop:
		// tests that point QR codes at it need --dev's local public
		// address. PocketBase's own dev mode stays off.
		Dev: true,
		Out: io.Discard, // the start-up checks, printed on every scenario
	}
	if err := hooks.Register(app, cfg); err != nil {
		t.Fatal(err)
	}
	return app
}

// Start serves app on a real loopback socket until the test ends.
func Start(t testing.TB, app *tests.TestApp) *Server {
	t.Helper()
	router, err := apis.NewRouter(app)
	if err != nil {
		t.Fatal(err)
	}
	se := &core.ServeEvent{App: app, Router: router}
	var srv *httptest.Server
	err = app.OnServe().Trigger(se, func(e *core.ServeEvent) error {
		mux, err := e.Router.BuildMux()
		if err != nil {
			return err
		}
		srv = httptest.NewServer(mux)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &Server{App: app, URL: srv.URL, close: srv.Close}
}

// ReadFile returns the stored bytes of a record's file field.
func ReadFile(t testing.TB, app core.App, r *core.Record, field string) []byte {
	t.Helper()
	fsys, err := app.NewFilesystem()
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	rd, err := fsys.GetReader(r.BaseFilesPath() + "/" + r.GetString(field))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SaveRecord saves a new record of collection with data through the normal
// record path (hooks and validation included); a "password" entry is set as
// the account's password.
func SaveRecord(t testing.TB, app core.App, collection string, data map[string]any) *core.Record {
	t.Helper()
	col, err := app.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	rec := core.NewRecord(col)
	rec.Load(data)
	if pw, ok := data["password"].(string); ok {
		rec.SetPassword(pw)
	}
	if err := app.Save(rec); err != nil {
		t.Fatalf("save %s: %v", collection, err)
	}
	return rec
}

// RunCommand runs a command of Homeward's (e.g. qr.NewCommand(app)) with
// args and returns everything it printed, output and errors together.
func RunCommand(cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestData returns a file of internal/testserver/testdata: photos whose
// metadata (GPS EXIF, a PNG text chunk) must not survive an upload.
func TestData(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(), "internal", "testserver", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
