package pb_migrations

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Anonymous phones' ops were kept in sync_ops under "g:<device id>" with
// their own op ids, which linked every report one phone ever sent. They are
// now kept under the device "g", each op under a keyed hash of the device
// id and the op id (receipts.Keys.OpKey as it was when this migration was
// written), so a phone's retry still finds its op and nothing else can.
// This rewrites the rows kept the old way.
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
		key, err := guestOpSecret(app.DataDir())
		if err != nil {
			return err
		}
		update := app.DB().NewQuery("UPDATE {{sync_ops}} SET [[device]] = 'g', [[op]] = {:key} WHERE [[device]] = {:device} AND [[op]] = {:op}")
		for _, r := range rows {
			k := guestOpKey(key, strings.TrimPrefix(r.Device, "g:"), r.Op)
			if _, err := update.Bind(dbx.Params{"key": k, "device": r.Device, "op": r.Op}).Execute(); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		return nil
	})
}

// guestOpSecret reads the receipt key this migration's rows are keyed
// with. Frozen here: the migration must mean the same thing whatever the
// live receipts package later does. Rows of this kind exist only on a
// server that has already made its key, so a missing key is an error.
func guestOpSecret(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "homeward_receipt.key")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read receipt key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("receipt key in %s is damaged", path)
	}
	return key, nil
}

// guestOpKey is HMAC-SHA256(key, "sync-op" || len(device) || device ||
// len(op) || op), each length a big-endian uint64, in hex: the op key of
// this migration's time, frozen.
func guestOpKey(key []byte, device, op string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("sync-op"))
	for _, part := range []string{device, op} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	return hex.EncodeToString(mac.Sum(nil))
}
