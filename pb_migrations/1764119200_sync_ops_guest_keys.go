package pb_migrations

import (
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"

	"homeward/hooks/reports"
)

// Anonymous phones' ops were kept in sync_ops under "g:<device id>" with
// their own op ids, which linked every report one phone ever sent. They are
// now kept under the device "g", each op under a keyed hash of the device
// id and the op id (reports.OpKey), so a phone's retry still finds its op
// and nothing else can. This rewrites the rows kept the old way.
//
// There is no way back (the hashes cannot be undone): the down step leaves
// the rows as they are, and an old server would answer a retry of one of
// those ops by the record instead (a duplicate when the content matches).
func init() {
	m.Register(func(app core.App) error {
		var rows []struct {
			Device string `db:"device"`
			Op     string `db:"op"`
		}
		if err := app.DB().NewQuery("SELECT device, op FROM {{sync_ops}} WHERE substr(device, 1, 2) = 'g:'").All(&rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		keys, err := reports.LoadReceipts(app.DataDir())
		if err != nil {
			return err
		}
		update := app.DB().NewQuery("UPDATE {{sync_ops}} SET [[device]] = 'g', [[op]] = {:key} WHERE [[device]] = {:device} AND [[op]] = {:op}")
		for _, r := range rows {
			key := keys.OpKey(strings.TrimPrefix(r.Device, "g:"), r.Op)
			if _, err := update.Bind(dbx.Params{"key": key, "device": r.Device, "op": r.Op}).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		return nil
	})
}
