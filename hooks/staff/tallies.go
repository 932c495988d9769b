package staff

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"homeward/hooks/reports"
)

// Folding the tally log (migration 1764120800).
const (
	// FoldDelay is how long after a report is written the server folds the
	// tally log: a push's reports, or a second of a surge's, are folded in
	// one go, and a count never reads more than about that many log rows.
	FoldDelay = time.Second
	// FoldEvery folds whatever raw SQL wrote, which no hook sees.
	FoldEvery = time.Minute
)

// FoldTallies folds the rows of report_tally_log into report_tallies and
// report_facet_tallies, one statement each, and deletes them, in one
// transaction: a count reads the tallies and the log in one statement
// (readFacetTallies), so it sees each write once, before or after the
// fold. Once the transaction commits, the folded rows go to the cube too
// (cube.go), before any count reads the log again. It returns how many log
// rows it folded; app must not be a transaction.
func FoldTallies(app core.App) (int, error) {
	if app.IsTransactional() {
		// The cube takes the folded rows when the fold commits.
		return 0, errors.New("fold the tally log: in a transaction")
	}
	c := cubeOf(app)
	c.mu.Lock()
	defer c.mu.Unlock()
	var folded int
	var cubeRows []cubeRow
	err := app.RunInTransaction(func(tx core.App) error {
		var last struct {
			Seq   int `db:"seq"`
			Count int `db:"n"`
		}
		err := tx.DB().NewQuery("SELECT coalesce(max(seq), 0) AS seq, count(*) AS n FROM report_tally_log").One(&last)
		if err != nil || last.Count == 0 {
			return err
		}
		if c.loaded {
			var err error
			cubeRows, err = c.readCubeRows(tx.DB(), `SELECT `+cubeColumns("report_tally_log")+`, report_tally_log.sign
				FROM report_tally_log WHERE report_tally_log.seq <= {:last} ORDER BY report_tally_log.seq`, dbx.Params{"last": last.Seq})
			if err != nil {
				return fmt.Errorf("fold the tally log into the cube: %w", err)
			}
		}
		for _, sql := range []string{
			`INSERT INTO report_tallies (embassy, counted, dimension, key, reports, people)
				SELECT embassy, counted, dimension, key, sum(sign), sum(sign * people) FROM report_tally_log_keys
				WHERE seq <= {:last} GROUP BY embassy, counted, dimension, key
				ON CONFLICT (embassy, counted, dimension, key) DO UPDATE SET
					reports = reports + excluded.reports, people = people + excluded.people`,
			`INSERT INTO report_facet_tallies (embassy, facet, value, dimension, key, reports)
				SELECT embassy, facet, value, dimension, key, sum(sign) FROM report_tally_log_facet_cells
				WHERE seq <= {:last} GROUP BY embassy, facet, value, dimension, key
				ON CONFLICT (embassy, facet, value, dimension, key) DO UPDATE SET
					reports = reports + excluded.reports`,
			`DELETE FROM report_tally_log WHERE seq <= {:last}`,
		} {
			if _, err := tx.DB().NewQuery(sql).Bind(dbx.Params{"last": last.Seq}).Execute(); err != nil {
				return fmt.Errorf("fold the tally log: %w", err)
			}
		}
		folded = last.Count
		return nil
	})
	if err == nil {
		c.apply(cubeRows)
	}
	return folded, err
}

// folder folds the tally log FoldDelay after a report is written, and
// every FoldEvery, while the app serves.
type folder struct {
	app        core.App
	kick       chan struct{}
	stop       chan struct{}
	stopped    chan struct{}
	start, end sync.Once
	running    bool // set once by start
}

// bindFolder starts the folder when app serves, kicks it on every write
// of a report a hook sees (raw SQL is folded every FoldEvery), and stops
// it when app terminates, after the fold under way.
func bindFolder(app core.App) {
	f := &folder{app: app, kick: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	kick := func(e *core.ModelEvent) error {
		select {
		case f.kick <- struct{}{}:
		default:
		}
		return e.Next()
	}
	app.OnModelAfterCreateSuccess(reports.CollectionReports).BindFunc(kick)
	app.OnModelAfterUpdateSuccess(reports.CollectionReports).BindFunc(kick)
	app.OnModelAfterDeleteSuccess(reports.CollectionReports).BindFunc(kick)
	app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		f.start.Do(func() {
			f.running = true
			go f.run()
		})
		return se.Next()
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		f.end.Do(func() { close(f.stop) })
		f.start.Do(func() {}) // a folder not started by now never starts
		if f.running {
			select {
			case <-f.stopped:
			case <-time.After(10 * time.Second):
				app.Logger().Error("fold the tally log: still folding at exit")
			}
		}
		return e.Next()
	})
}

func (f *folder) run() {
	defer close(f.stopped)
	tick := time.NewTicker(FoldEvery)
	defer tick.Stop()
	f.fold()
	// Loaded now, the cube is ready for the first count that needs it.
	if err := cubeOf(f.app).warm(f.app); err != nil {
		f.app.Logger().Error("load the count cube", "error", err)
	}
	for {
		select {
		case <-f.stop:
			return
		case <-tick.C:
		case <-f.kick:
			select {
			case <-f.stop:
				return
			case <-time.After(FoldDelay):
			}
		}
		f.fold()
	}
}

func (f *folder) fold() {
	if _, err := FoldTallies(f.app); err != nil {
		f.app.Logger().Error("fold the tally log", "error", err)
	}
}
