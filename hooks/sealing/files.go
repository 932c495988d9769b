package sealing

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"

	"github.com/gabriel-vasile/mimetype"
	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"homeward/hooks/reports"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// The attachments collection and its fields these rules read and set.
const (
	CollectionAttachments = "attachments"
	fieldFile             = "file"
)

// maxFileBytes bounds what the rules read of a new file: the attachments
// file field's own limit, which its validation enforces.
const maxFileBytes = 10 << 20

// Error codes of the sealed-file rules, on the attachment's file field.
const (
	CodeSealedFileFormat = "validation_sealed_file_format"
	CodeSealedFileKey    = "validation_sealed_file_key"
	CodeFileNotSealed    = "validation_file_not_sealed"
)

// registerFiles binds the rules for a report's photos and voice notes, on
// every write path (tus uploads, OpenRosa, the records API, Go code):
//
//   - a file that starts as a sealed file (seal.IsSealedFile) must be one
//     (seal.ParseFile: header, suite, chunking) sealed to a key of its
//     report's embassy; it is stored as it came, application/octet-stream,
//     sealed_by "phone";
//   - any other file of no known media type is refused: the file field
//     lets application/octet-stream through for sealed files only;
//   - a plaintext file of a report whose embassy has a key is sealed by
//     the server to the newest key right before it is stored, sealed_by
//     "server"; its media type goes inside the sealed file.
//
// Cleaning a photo's metadata stays with the paths that take files from
// reporters (hooks/syncapi's CleanAttachment), before these rules.
func registerFiles(app core.App) {
	app.OnRecordCreate(CollectionAttachments).BindFunc(markFileSealedBy)
	app.OnRecordUpdate(CollectionAttachments).BindFunc(markFileSealedBy)
	app.OnRecordValidate(CollectionAttachments).BindFunc(checkSealedFile)
	app.OnRecordCreateExecute(CollectionAttachments).BindFunc(sealFileBeforeWrite)
	app.OnRecordUpdateExecute(CollectionAttachments).BindFunc(sealFileBeforeWrite)
}

// sniffBytes is how much of a new file the rules read to tell a sealed
// file (its header) or a media type (mimetype reads as much) from its
// start; only a plaintext file the server seals is read whole.
const sniffBytes = 3072

// newFile returns the first n bytes (all when n < 0) of the file a write
// sets and its length, or nil when it sets none.
func newFile(r *core.Record, n int64) ([]byte, int64, error) {
	files := r.GetUnsavedFiles(fieldFile)
	if len(files) == 0 {
		return nil, 0, nil
	}
	f, err := files[0].Reader.Open()
	if err != nil {
		return nil, 0, fmt.Errorf("open the new file: %w", err)
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the new file: %w", err)
	}
	if n < 0 || n > maxFileBytes {
		n = maxFileBytes + 1
	}
	b, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, 0, fmt.Errorf("read the new file: %w", err)
	}
	return b, size, nil
}

// markFileSealedBy keeps sealed_by the server's to say: "phone" for a new
// sealed file a writer sent (whose media type is then the sealed file's),
// "" for a new plaintext file (sealFileBeforeWrite sets "server" when it
// seals it), the stored value otherwise.
func markFileSealedBy(e *core.RecordEvent) error {
	b, _, err := newFile(e.Record, sniffBytes)
	if err != nil {
		return err
	}
	switch {
	case b != nil && seal.IsSealedFile(b) && !e.Record.IsNew() && e.Record.Original().GetString(FieldSealedBy) != "":
		// A sealed file sealed again (its report routed to another
		// embassy, in a staff browser) is still what its first sealer sealed.
		e.Record.Set(FieldSealedBy, e.Record.Original().GetString(FieldSealedBy))
		e.Record.Set("mime", seal.FileMime)
	case b != nil && seal.IsSealedFile(b):
		e.Record.Set(FieldSealedBy, vocab.SealedByPhone)
		e.Record.Set("mime", seal.FileMime)
	case b != nil || e.Record.IsNew():
		e.Record.Set(FieldSealedBy, "")
	default:
		e.Record.Set(FieldSealedBy, e.Record.Original().GetString(FieldSealedBy))
	}
	return e.Next()
}

// checkSealedFile refuses a new file that starts as a sealed file and is
// not one this server can keep for the report's embassy, and a new file of
// no known media type that is not sealed.
func checkSealedFile(e *core.RecordEvent) error {
	b, size, err := newFile(e.Record, sniffBytes)
	if err != nil || b == nil {
		if err != nil {
			return err
		}
		return e.Next()
	}
	if !seal.IsSealedFile(b) {
		if mimetype.Detect(b).Is(seal.FileMime) {
			return validation.Errors{fieldFile: validation.NewError(CodeFileNotSealed,
				"The file is neither a photo or voice note of a type Homeward takes nor a sealed file.")}
		}
		return e.Next()
	}
	h, err := seal.ParseFileHeader(b, size)
	if err != nil {
		return validation.Errors{fieldFile: validation.NewError(CodeSealedFileFormat,
			fmt.Sprintf("The sealed file must have a header of version %d with the suite %s and chunks of %d bytes, and a length that fits its chunks.",
				seal.FileVersion, seal.SuiteName, seal.FileChunk))}
	}
	embassy, err := attachmentEmbassy(e.App, e.Record)
	if err != nil {
		return err
	}
	var n int
	err = e.App.DB().Select("count(*)").From(CollectionKeys).
		Where(dbx.HashExp{"embassy": embassy, "kid": h.Kid}).Row(&n)
	if err != nil {
		return fmt.Errorf("find embassy key: %w", err)
	}
	if n == 0 {
		return validation.Errors{fieldFile: validation.NewError(CodeSealedFileKey,
			"The file is sealed to a key that is not one of the report's embassy's keys.")}
	}
	return e.Next()
}

// attachmentEmbassy is the embassy of an attachment's report, "" when the
// report does not exist (the relation's own validation refuses it).
func attachmentEmbassy(app core.App, r *core.Record) (string, error) {
	var embassy string
	err := app.DB().Select("embassy").From(reports.CollectionReports).
		Where(dbx.HashExp{"id": r.GetString("report")}).Row(&embassy)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the attachment's report: %w", err)
	}
	return embassy, nil
}

// sealFileBeforeWrite seals a new plaintext file to its report's
// embassy's newest key right before it is stored, when the embassy has a
// key: the plaintext never reaches the storage, and the record's hash,
// size and media type are the sealed file's.
func sealFileBeforeWrite(e *core.RecordEvent) error {
	head, _, err := newFile(e.Record, sniffBytes)
	if err != nil {
		return err
	}
	if head == nil || seal.IsSealedFile(head) {
		return e.Next()
	}
	embassy, err := attachmentEmbassy(e.App, e.Record)
	if err != nil {
		return err
	}
	key, err := NewestKey(e.App, embassy)
	if errors.Is(err, ErrNoKey) {
		return e.Next()
	}
	if err != nil {
		return err
	}
	b, _, err := newFile(e.Record, -1)
	if err != nil {
		return err
	}
	if err := SealAttachment(e.Record, b, key); err != nil {
		return err
	}
	return e.Next()
}

// SealAttachment replaces an attachment's new file, whose bytes are b, with
// them sealed to key, bound to the attachment's report, and sets its hash,
// size, media type and sealed_by "server". The media type sealed inside is
// the record's mime, or what the bytes sniff as.
func SealAttachment(r *core.Record, b []byte, key Key) error {
	inner := r.GetString("mime")
	if inner == "" || inner == seal.FileMime {
		inner, _, _ = mime.ParseMediaType(mimetype.Detect(b).String())
	}
	sealed, err := seal.SealFile(key.Public, key.Embassy, key.Kid, r.GetString("report"), inner, b)
	if err != nil {
		return fmt.Errorf("sealing: %w", err)
	}
	sum := sha256.Sum256(sealed)
	hash := hex.EncodeToString(sum[:])
	file, err := filesystem.NewFileFromBytes(sealed, hash[:16]+".bin")
	if err != nil {
		return fmt.Errorf("sealing: %w", err)
	}
	r.Set(fieldFile, file)
	r.Set("sha256", hash)
	r.Set("size", len(sealed))
	r.Set("mime", seal.FileMime)
	r.Set(FieldSealedBy, vocab.SealedByServer)
	return nil
}
