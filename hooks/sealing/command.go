package sealing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"

	"homeward/hooks/reports"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// NewCommand returns the seal-existing command.
func NewCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:   "seal-existing",
		Short: "Seal the reports, messages, staff notes and attachments stored in clear for embassies that now have a key, and wipe the plaintext from the database file (stop the server first)",
		Long: `seal-existing seals, to each embassy's newest key, the reports, reporters' messages, staff
replies and notes, and attachments (photos, voice notes) that were stored in clear before the
embassy had a key, through the same write path as any other write (the search index and the change
log follow; a file in clear is deleted from the storage once its sealed copy is stored). A staff
reply stored in clear is sealed to the embassy's key too, not to the reporter's receipt, which the
server never keeps: staff still read it in the console, and the reporter's phone says that the
embassy replied and that the reply is read at the embassy. Then it removes the plaintext from the
database file: deleted content is overwritten (PRAGMA secure_delete), the search index is
merged so no old segment keeps a word, the write-ahead log is checkpointed and truncated, and
VACUUM rewrites the file. Run it with the server stopped: another process holding the
database keeps the log from being truncated, and the command then fails and says so.
Backups made before hold the plaintext still: it lists them, for you to delete.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true, // a failure here is not a usage error
		RunE: func(cmd *cobra.Command, args []string) error {
			return SealExisting(app, cmd.OutOrStdout())
		},
	}
}

// SealExisting seals what is stored in clear for embassies with a key and
// wipes the plaintext from the database file, printing what it did to out.
func SealExisting(app core.App, out io.Writer) error {
	var reportsDone, messagesDone, repliesDone, notesDone, filesDone int
	err := app.RunInTransaction(func(txApp core.App) error {
		// The transaction's connection overwrites what it deletes or
		// changes; VACUUM below rewrites the rest of the file anyway.
		if _, err := txApp.DB().NewQuery("PRAGMA secure_delete = ON").Execute(); err != nil {
			return fmt.Errorf("secure delete: %w", err)
		}
		var err error
		if reportsDone, err = sealAll(txApp, reports.CollectionReports, "sealed IS NULL OR sealed = '' OR sealed = 'null'",
			"embassy IN (SELECT embassy FROM "+CollectionKeys+")"); err != nil {
			return err
		}
		if messagesDone, err = sealAll(txApp, CollectionMessages, "(sealed IS NULL OR sealed = '' OR sealed = 'null') AND direction = {:dir}",
			"report IN (SELECT id FROM reports WHERE embassy IN (SELECT embassy FROM "+CollectionKeys+"))"); err != nil {
			return err
		}
		// Replies and notes after their reports: the rules take an
		// embassy envelope on a reply or note of a sealed report only.
		if repliesDone, err = sealStaffSide(txApp, CollectionMessages, "direction = {:dir} AND body != ''", vocab.DirectionStaff); err != nil {
			return err
		}
		if notesDone, err = sealStaffSide(txApp, reports.CollectionEvents, "kind = {:dir} AND note != ''", vocab.EventNote); err != nil {
			return err
		}
		filesDone, err = sealFiles(txApp)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Sealed %d reports and %d reporters' messages.\n", reportsDone, messagesDone)
	fmt.Fprintf(out, "Sealed %d staff replies and %d staff notes to the embassy's key (a reply sealed so is read at the embassy, not on the reporter's phone).\n", repliesDone, notesDone)
	fmt.Fprintf(out, "Sealed %d attachments; their files in clear are deleted from the storage.\n", filesDone)
	if err := wipe(app); err != nil {
		return err
	}
	fmt.Fprintln(out, "The database file holds no plaintext of them any more: search index merged, write-ahead log truncated, file vacuumed.")
	backups, _ := filepath.Glob(filepath.Join(app.DataDir(), core.LocalBackupsDirName, "*"))
	if len(backups) > 0 {
		fmt.Fprintf(out, "These backups were made before and still hold the plaintext; delete them, and copies made of them elsewhere:\n")
		for _, b := range backups {
			fmt.Fprintf(out, "  %s\n", b)
		}
	}
	return nil
}

// sealAll re-saves, through the write path, every record of coll that
// matches where (and scope) and has no envelope: sealBeforeWrite seals it.
func sealAll(txApp core.App, coll, where, scope string) (int, error) {
	var recs []*core.Record
	err := txApp.RecordQuery(coll).AndWhere(dbx.NewExp(where, dbx.Params{"dir": vocab.DirectionReporter})).
		AndWhere(dbx.NewExp(scope)).All(&recs)
	if err != nil {
		return 0, fmt.Errorf("find %s in clear: %w", coll, err)
	}
	for _, r := range recs {
		if err := txApp.SaveWithContext(reports.WithActor(context.Background(), reports.ActorSystem), r); err != nil {
			return 0, fmt.Errorf("seal %s %s: %w", coll, r.Id, err)
		}
	}
	return len(recs), nil
}

// sealStaffSide seals, to the newest key of the report's embassy, every
// staff reply or note of coll (where, with its {:dir}) stored in clear on
// a sealed report of an embassy with a key, and saves it through the
// write path, which checks the envelope and marks it sealed_by "server".
// The server holds no reply key for an old reply (the receipt is never
// kept), so a reply is sealed as a note is: to the embassy's key, bound
// to the message as a reporter's message is (seal.MessageClear).
func sealStaffSide(txApp core.App, coll, where, dir string) (int, error) {
	var recs []*core.Record
	err := txApp.RecordQuery(coll).AndWhere(dbx.NewExp(where, dbx.Params{"dir": dir})).
		AndWhere(dbx.NewExp("sealed IS NULL OR sealed = '' OR sealed = 'null'")).
		AndWhere(dbx.NewExp("report IN (SELECT id FROM reports WHERE embassy IN (SELECT embassy FROM " + CollectionKeys + "))")).
		All(&recs)
	if err != nil {
		return 0, fmt.Errorf("find %s in clear: %w", coll, err)
	}
	for _, r := range recs {
		if err := sealStaffRecord(txApp, coll, r); err != nil {
			return 0, fmt.Errorf("seal %s %s: %w", coll, r.Id, err)
		}
		if err := txApp.SaveWithContext(reports.WithActor(context.Background(), reports.ActorSystem), r); err != nil {
			return 0, fmt.Errorf("seal %s %s: %w", coll, r.Id, err)
		}
	}
	return len(recs), nil
}

// sealStaffRecord seals a reply's body or a note's text to its report's
// embassy's newest key, as the staff browser seals a note (vault.js):
// bound to the record's id and clear fields, the note to its event's
// embassy, the reply to its report's.
func sealStaffRecord(app core.App, coll string, r *core.Record) error {
	report, err := app.FindRecordById(reports.CollectionReports, r.GetString("report"))
	if err != nil {
		return err
	}
	key, err := NewestKey(app, report.GetString("embassy"))
	if err != nil {
		return err
	}
	field, embassy, fields := "body", report.GetString("embassy"), seal.MessageClear(r)
	var body any = seal.MessageBody{Body: r.GetString("body")}
	if coll == reports.CollectionEvents {
		field, embassy, fields = "note", r.GetString("embassy"), seal.NoteClear(r)
		body = seal.NoteBody{Note: r.GetString("note")}
	}
	plain, err := json.Marshal(body)
	if err != nil {
		return err
	}
	clear, err := seal.ClearHash(fields)
	if err != nil {
		return err
	}
	env, err := seal.Seal(key.Public, seal.Binding{Embassy: embassy, Kid: key.Kid, Record: r.Id, Clear: clear}, plain)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return err
	}
	r.Set(FieldSealed, types.JSONRaw(raw))
	r.Set(field, "")
	return nil
}

// sealFiles re-saves, through the write path, every attachment stored in
// clear for a report of an embassy with a key, with its own bytes as a new
// file: sealFileBeforeWrite seals it, and the file in clear is deleted
// from the storage once the transaction commits.
func sealFiles(txApp core.App) (int, error) {
	var recs []*core.Record
	err := txApp.RecordQuery(CollectionAttachments).
		AndWhere(dbx.NewExp("(sealed_by IS NULL OR sealed_by = '') AND file != ''")).
		AndWhere(dbx.NewExp("report IN (SELECT id FROM reports WHERE embassy IN (SELECT embassy FROM " + CollectionKeys + "))")).
		All(&recs)
	if err != nil {
		return 0, fmt.Errorf("find attachments in clear: %w", err)
	}
	if len(recs) == 0 {
		return 0, nil
	}
	fsys, err := txApp.NewFilesystem()
	if err != nil {
		return 0, err
	}
	defer fsys.Close()
	for _, r := range recs {
		rd, err := fsys.GetReader(r.BaseFilesPath() + "/" + r.GetString(fieldFile))
		if err != nil {
			return 0, fmt.Errorf("read attachment %s: %w", r.Id, err)
		}
		b, err := io.ReadAll(io.LimitReader(rd, maxFileBytes+1))
		rd.Close()
		if err != nil {
			return 0, fmt.Errorf("read attachment %s: %w", r.Id, err)
		}
		f, err := filesystem.NewFileFromBytes(b, r.GetString(fieldFile))
		if err != nil {
			return 0, err
		}
		r.Set(fieldFile, f)
		if err := txApp.Save(r); err != nil {
			return 0, fmt.Errorf("seal attachment %s: %w", r.Id, err)
		}
	}
	return len(recs), nil
}

// wipe removes deleted content from the database file: FTS5's merge drops
// the index segments that held old words, the WAL is checkpointed into the
// file and truncated, and VACUUM writes every page anew.
func wipe(app core.App) error {
	if _, err := app.DB().NewQuery("INSERT INTO report_search (report_search) VALUES ('optimize')").Execute(); err != nil {
		return fmt.Errorf("merge the search index: %w", err)
	}
	if err := checkpoint(app); err != nil {
		return err
	}
	if err := app.Vacuum(); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if err := checkpoint(app); err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(app.DataDir(), "data.db-wal")); err == nil && fi.Size() > 0 {
		return fmt.Errorf("the write-ahead log still holds %d bytes: stop the server and run seal-existing again", fi.Size())
	}
	return nil
}

// checkpoint copies the WAL into the database file and truncates it; it
// fails when another connection keeps it from finishing.
func checkpoint(app core.App) error {
	var busy, logPages, moved int
	if err := app.DB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Row(&busy, &logPages, &moved); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint: the database is in use; stop the server and run seal-existing again")
	}
	return nil
}
