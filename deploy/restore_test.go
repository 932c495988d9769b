package deploy_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"homeward/internal/binarytest"
)

const drillSuperuser, drillPassword = "drill@example.org", "a long drill password"

// pushBatch is the reports per push: small, so each report's
// acknowledgement time is close to its commit time.
const pushBatch = 5

// pushPause is the client's pause after each answered push: up to about
// 250 reports a second, far above any real day (a mass release is a few a
// second) but not a write benchmark. With no pause, on a busy 2-core
// machine, the replica lagged up to 0.7 s behind a writer that never let go
// of the database; the drill checks the promise, not that limit.
const pushPause = 20 * time.Millisecond

// pushFor is how long reports are pushed before the kill: long enough that
// many were acknowledged more than a second before it.
const pushFor = 4 * time.Second

// acked is a report the server acknowledged, and when.
type acked struct {
	id string
	at time.Time
}

// restoreScript runs deploy/restore.sh into pbData with env, as
// litestream.service does before every start.
func restoreScript(env []string, pbData string) (string, error) {
	cmd := exec.Command("sh", kitFile("restore.sh"), pbData)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func randomId(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// TestRestoreDrill: reports are pushed while Litestream replicates; the
// server and Litestream are SIGKILLed mid-push; restore.sh brings the
// database back from the replica into a fresh dir; the server starts on it
// and every report acknowledged more than a second before the kill is
// there.
func TestRestoreDrill(t *testing.T) {
	litestream := tool(t, "litestream")
	work := t.TempDir()
	pbData := filepath.Join(work, "pb_data")
	replicaDir := filepath.Join(work, "replica")
	env := func(dataDir string) []string {
		return append(os.Environ(),
			"HOMEWARD_DATA_DIR="+dataDir,
			"LITESTREAM_REPLICA_URL=file://"+replicaDir,
			"LITESTREAM_BIN="+litestream,
		)
	}

	// First start, in litestream.service's order: restore (nothing to
	// restore yet), replicate, then Homeward.
	if out, err := restoreScript(env(pbData), pbData); err != nil {
		t.Fatalf("restore.sh on a first start: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(pbData, "data.db")); err == nil {
		t.Fatal("restore.sh made a database with no replica to restore from")
	}
	ls := start(t, env(pbData), litestream, "replicate", "-config", kitFile("litestream.yml"))

	s := binarytest.New(t, pbData)
	s.Run("superuser", "upsert", drillSuperuser, drillPassword)
	s.Run("embassy", "add", "drill-embassy", "--name", "Drill embassy", "--country", "Testland", "--active", "--clear-until-keyed")
	if out := s.Run(homewardArgs(t, "qr keys")...); !strings.Contains(out, "qr_signing_keys.json") {
		t.Fatalf("qr keys printed:\n%s", out)
	}
	s.Start()
	// The keys archive of docs/DEPLOY.md, made once the server has started.
	keys := filepath.Join(work, "homeward-keys.tgz")
	// It runs in a subshell with its umask, so it runs through sh, and it
	// must be readable by its maker alone: it holds the private keys.
	archive := docCommand(t, "(umask 077 && tar -C /var/lib/homeward/pb_data -czf", map[string]string{"/var/lib/homeward/pb_data": pbData, "homeward-keys.tgz": keys})
	if out, err := run(os.Environ(), []string{"sh", "-c", strings.Join(archive, " ")}); err != nil {
		t.Fatalf("keys archive: %v\n%s", err, out)
	}
	if fi, err := os.Stat(keys); err != nil {
		t.Fatal(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Fatalf("the keys archive has mode %v, want 0600", fi.Mode().Perm())
	}
	su := s.SignIn("_superusers", drillSuperuser, drillPassword)
	// One test client pushes faster than a phone may.
	if status, err := s.Do(http.MethodPatch, "/api/settings", su, map[string]any{"rateLimits": map[string]any{"enabled": false}}, nil); status != http.StatusOK {
		t.Fatalf("disable rate limits: %d %v", status, err)
	}
	var embassies struct{ Items []struct{ Id string } }
	if status, err := s.Do(http.MethodGet, "/api/collections/embassies/records?perPage=1", "", nil, &embassies); status != http.StatusOK || len(embassies.Items) != 1 {
		t.Fatalf("the drill embassy: %d %v", status, err)
	}
	embassy := embassies.Items[0].Id

	// Litestream picks a new database up within seconds; the drill starts
	// once the replica has it, as a deployment is past its first minute.
	for deadline := time.Now().Add(readyTimeout); ; time.Sleep(100 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(replicaDir, "ltx", "0", "*.ltx")); len(files) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica after %v; litestream:\n%s", readyTimeout, ls.out)
		}
	}

	receipt := randomId(20, "0123456789")
	// A phone pushes reports until the server stops answering; a 500
	// (nothing stored) is retried with the same ops, as the outbox does.
	stop := make(chan struct{})
	type outcome struct {
		acked   []acked
		retries int
	}
	pushed := make(chan outcome, 1)
	go func() {
		var o outcome
		for n := 0; ; n++ {
			ops := make([]map[string]any, pushBatch)
			for i := range ops {
				ops[i] = map[string]any{"op": fmt.Sprintf("op-%d-%d", n, i), "kind": "create", "collection": "reports",
					"id": randomId(20, "abcdefghijklmnopqrstuvwxyz0123456789"), "receipt": receipt,
					"data": map[string]any{"embassy": embassy, "message": "drill report", "people_count": 1}}
			}
			for {
				select {
				case <-stop:
					pushed <- o
					return
				default:
				}
				var out struct {
					Results []struct{ Id, Status string }
				}
				status, err := s.Do(http.MethodPost, "/api/sync/push", "", map[string]any{"device": "drill-phone", "ops": ops}, &out)
				if status == http.StatusInternalServerError {
					o.retries++
					continue
				}
				if err != nil {
					pushed <- o // killed mid-push: this answer never came
					return
				}
				at := time.Now()
				for _, r := range out.Results {
					if r.Status == "applied" {
						o.acked = append(o.acked, acked{r.Id, at})
					}
				}
				time.Sleep(pushPause)
				break
			}
		}
	}()
	time.Sleep(pushFor)

	killedAt := time.Now()
	ls.kill()
	s.Kill()
	close(stop)
	o := <-pushed
	reports := o.acked
	if len(reports) == 0 {
		t.Fatal("no report was acknowledged before the kill")
	}

	// The restore as docs/DEPLOY.md gives it, into a fresh dir: restore.sh
	// stops until the keys archive is unpacked, then puts the database in
	// place; then the server starts.
	fresh := filepath.Join(work, "restored", "pb_data")
	drill := map[string]string{"/tmp/drill/pb_data": fresh, "homeward-keys.tgz": keys, "/usr/local/lib/homeward/restore.sh": kitFile("restore.sh")}
	if out, err := run(os.Environ(), docCommand(t, "mkdir -p /tmp/drill/pb_data", drill)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	restore := docCommand(t, "/usr/local/lib/homeward/restore.sh", drill)
	out, err := run(env(fresh), restore)
	if err == nil || !strings.Contains(out, "key files are missing") {
		t.Fatalf("restore.sh without the keys: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(fresh, "data.db")); err == nil {
		t.Fatal("restore.sh left a database without its keys in place")
	}
	if out, err := run(os.Environ(), docCommand(t, "tar -C /tmp/drill/pb_data -xzf", drill)); err != nil {
		t.Fatalf("unpack keys: %v\n%s", err, out)
	}
	if out, err := run(env(fresh), restore); err != nil {
		t.Fatalf("restore.sh: %v\n%s", err, out)
	}
	// The server as the drill starts it: its flags from DEPLOY.md, on a
	// free port here. --drill keeps the restored settings' backups and
	// mail from reaching out.
	var flags []string
	serve := docCommand(t, "homeward serve", drill)
	for i := 2; i < len(serve); i++ {
		if serve[i] == "--http" || serve[i] == "--dir" {
			i++
			continue
		}
		flags = append(flags, serve[i])
	}
	r := binarytest.Start(t, fresh, flags...)
	if !strings.Contains(r.Output(), "Restore drill (--drill)") {
		t.Fatalf("the drill's server (flags %q) does not say it runs as a drill:\n%s", flags, r.Output())
	}
	su = r.SignIn("_superusers", drillSuperuser, drillPassword)
	present := map[string]bool{}
	for page := 1; ; page++ {
		var list struct {
			Items      []struct{ Id string }
			TotalPages int
		}
		if status, err := r.Do(http.MethodGet, fmt.Sprintf("/api/collections/reports/records?perPage=500&fields=id&page=%d", page), su, nil, &list); status != http.StatusOK {
			t.Fatalf("list restored reports: %d %v", status, err)
		}
		for _, it := range list.Items {
			present[it.Id] = true
		}
		if page >= list.TotalPages {
			break
		}
	}

	// The reporter's receipt still opens the restored reports: the receipt
	// key came back with the database.
	req, _ := http.NewRequest(http.MethodGet, r.URL+"/api/sync/pull?limit=1", nil)
	req.Header.Set("X-Receipt", receipt)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"collection":"reports"`) {
		t.Fatalf("pull with the receipt after the restore: %d %s", res.StatusCode, body)
	}

	var older, olderMissing, lost int
	var firstLost time.Time
	for _, a := range reports {
		if killedAt.Sub(a.at) > time.Second {
			older++
			if !present[a.id] {
				olderMissing++
			}
		}
		if !present[a.id] {
			lost++
			if firstLost.IsZero() || a.at.Before(firstLost) {
				firstLost = a.at
			}
		}
	}
	rpo := time.Duration(0)
	if lost > 0 {
		rpo = killedAt.Sub(firstLost)
	}
	report(t, "acknowledged %d reports in %v (%d pushes answered 500, nothing stored, and were retried); "+
		"%d acknowledged more than 1 s before the kill; restored %d; acknowledged but not restored %d; RPO seen %v",
		len(reports), pushFor, o.retries, older, len(present), lost, rpo.Round(time.Millisecond))
	if olderMissing > 0 {
		t.Fatalf("%d reports acknowledged more than a second before the kill are missing after the restore", olderMissing)
	}
	if older == 0 {
		t.Fatal("no report was acknowledged more than a second before the kill: the drill proved nothing")
	}
}

// TestRestoreRefusesADatabaseMadeOverAReplica: on a lost server, a data.db
// made before the first start (section 3's commands, run by mistake) must
// not be replicated over the replica of the real one, where it would
// become the newest state; restore.sh refuses it and says how to restore.
// A new deployment's data.db, made the same way over an empty replica
// path, starts as before, and so does a database restore.sh restored.
func TestRestoreRefusesADatabaseMadeOverAReplica(t *testing.T) {
	litestream := tool(t, "litestream")
	work := t.TempDir()
	replica := "file://" + filepath.Join(work, "replica")
	env := func(dataDir string) []string {
		return append(os.Environ(), "HOMEWARD_DATA_DIR="+dataDir, "LITESTREAM_REPLICA_URL="+replica, "LITESTREAM_BIN="+litestream)
	}

	// A new deployment: section 3, then litestream.service's first start.
	first := filepath.Join(work, "first", "pb_data")
	f := binarytest.New(t, first)
	f.Run("superuser", "upsert", drillSuperuser, drillPassword)
	f.Run("embassy", "add", "drill-embassy", "--name", "Drill embassy", "--country", "Testland", "--active")
	if out, err := restoreScript(env(first), first); err != nil {
		t.Fatalf("restore.sh on a new deployment's first start: %v\n%s", err, out)
	}
	if out, err := run(env(first), []string{litestream, "replicate", "-once", "-config", kitFile("litestream.yml")}); err != nil {
		t.Fatalf("replicate: %v\n%s", err, out)
	}
	if out, err := restoreScript(env(first), first); err != nil {
		t.Fatalf("restore.sh on a replicating server's restart: %v\n%s", err, out)
	}

	// The lost server's rebuild, with a superuser made and the server
	// started once before Litestream: its data.db and a WAL of its own.
	lost := filepath.Join(work, "lost", "pb_data")
	s := binarytest.New(t, lost)
	s.Run("superuser", "upsert", "someone@example.org", "another long password")
	s.Start()
	s.Kill()
	if info, err := os.Stat(filepath.Join(lost, "data.db-wal")); err != nil || info.Size() == 0 {
		t.Fatalf("the killed server left no WAL beside its data.db (%v): the test proves nothing about one", err)
	}
	made, err := os.ReadFile(filepath.Join(lost, "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := restoreScript(env(lost), lost)
	if err == nil || !strings.Contains(out, "was not restored from the replica") || !strings.Contains(out, "data.db.unused") {
		t.Fatalf("restore.sh over a data.db made beside an existing replica: %v\n%s\nwant a refusal saying how to restore", err, out)
	}
	if now, _ := os.ReadFile(filepath.Join(lost, "data.db")); string(now) != string(made) {
		t.Fatal("restore.sh changed the data.db it refused")
	}

	// As the refusal says: move it away and start again. The WAL the
	// made database left must not be read into the restored one.
	if err := os.Rename(filepath.Join(lost, "data.db"), filepath.Join(lost, "data.db.unused")); err != nil {
		t.Fatal(err)
	}
	if out, err := restoreScript(env(lost), lost); err != nil {
		t.Fatalf("restore.sh after data.db was moved away: %v\n%s", err, out)
	}
	// Restored but not yet replicated (Litestream failed to start, say):
	// the next start takes it as restored.
	if out, err := restoreScript(env(lost), lost); err != nil {
		t.Fatalf("restore.sh on a restored database: %v\n%s", err, out)
	}
	r := binarytest.Start(t, lost)
	r.SignIn("_superusers", drillSuperuser, drillPassword)
	var embassies struct{ Items []struct{ Slug string } }
	if status, err := r.Do(http.MethodGet, "/api/collections/embassies/records?fields=slug", "", nil, &embassies); status != http.StatusOK {
		t.Fatalf("list embassies: %d %v", status, err)
	}
	if len(embassies.Items) != 1 || embassies.Items[0].Slug != "drill-embassy" {
		t.Fatalf("the restored database lists embassies %+v, want the replica's drill-embassy", embassies.Items)
	}
}
