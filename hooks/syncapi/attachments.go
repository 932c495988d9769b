package syncapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/router"

	"homeward/internal/media"
	"homeward/internal/seal"
)

// Attachment is a file cleaned for storing (media.Clean), with the
// hashes the attachments collection keeps. Every path that stores a
// reporter's file (tus uploads, OpenRosa submissions) makes one with
// CleanAttachment and stores it with StoreAttachment, so every file is
// cleaned the same way and stored once per report.
type Attachment struct {
	Data   []byte // the cleaned bytes, or the sealed file as sent
	Mime   string
	Sha256 string // of Data
	Source string // SHA-256 of the bytes as sent
}

// errFileRefused wraps every error of media.Clean: a file it cannot clean
// is refused for good.
var errFileRefused = errors.New("file refused")

// CleanAttachment cleans raw for storing. Any error is a refusal for good
// (see RefusedFile) and wraps media's reason.
func CleanAttachment(raw []byte) (Attachment, error) {
	clean, mime, err := media.Clean(raw)
	if err != nil {
		return Attachment{}, fmt.Errorf("%w: %w", errFileRefused, err)
	}
	sum := sha256.Sum256(clean)
	src := sha256.Sum256(raw)
	return Attachment{Data: clean, Mime: mime, Sha256: hex.EncodeToString(sum[:]), Source: hex.EncodeToString(src[:])}, nil
}

// SealedAttachment takes raw, declared sealed by the phone, for storing
// as it came: a sealed file cannot be cleaned, and needs no cleaning (the
// phone's canvas dropped the photo's metadata before sealing). Its shape
// is checked here (seal.ParseFile), its key by hooks/sealing's rules on
// the attachments collection. Any error is a refusal for good.
func SealedAttachment(raw []byte) (Attachment, error) {
	if _, err := seal.ParseFile(raw); err != nil {
		return Attachment{}, fmt.Errorf("%w: %w", errFileRefused, err)
	}
	sum := sha256.Sum256(raw)
	h := hex.EncodeToString(sum[:])
	return Attachment{Data: raw, Mime: seal.FileMime, Sha256: h, Source: h}, nil
}

// StoreAttachment saves a as an attachment of report through txApp, once
// per (report, cleaned content) and per (report, bytes as sent): the same
// file again returns the stored attachment's id with created false (a
// file the server sealed on arrival, hooks/sealing, is stored under the
// sealed file's hash, and found again by the hash of what was sent). A
// validation.Errors error means the attachments collection refused the
// file (see RefusedFile).
func StoreAttachment(txApp core.App, report string, a Attachment) (id string, created bool, err error) {
	same := "report = {:r} && sha256 = {:h}"
	if a.Source != "" {
		same = "report = {:r} && (sha256 = {:h} || source_sha256 = {:s})"
	}
	existing, err := txApp.FindFirstRecordByFilter(collAttachments, same, dbx.Params{"r": report, "h": a.Sha256, "s": a.Source})
	if err == nil {
		return existing.Id, false, nil
	}
	col, err := txApp.FindCachedCollectionByNameOrId(collAttachments)
	if err != nil {
		return "", false, err
	}
	file, err := filesystem.NewFileFromBytes(a.Data, a.Sha256[:16]+extension(a.Mime))
	if err != nil {
		return "", false, err
	}
	rec := core.NewRecord(col)
	rec.Set("report", report)
	rec.Set("file", file)
	rec.Set("sha256", a.Sha256)
	rec.Set("source_sha256", a.Source)
	rec.Set("size", len(a.Data))
	rec.Set("mime", a.Mime)
	if err := txApp.Save(rec); err != nil {
		return "", false, err
	}
	return rec.Id, true, nil
}

// RefusedFile is the answer to a file refused for good by CleanAttachment
// or StoreAttachment (415: do not send it again), or nil for any other
// error, which is the server's and worth a retry.
func RefusedFile(err error) *router.ApiError {
	var refused validation.Errors
	switch {
	case errors.As(err, &refused):
		var verr validation.Error
		if errors.As(refused["file"], &verr) && strings.HasPrefix(verr.Code(), "validation_sealed_file") {
			// The sealed-file rules' own sentences (hooks/sealing), which
			// name no content.
			return codedError(http.StatusUnsupportedMediaType, CodeBadSealedFile, verr.Message()+" Do not send it again.")
		}
		return codedError(http.StatusUnsupportedMediaType, CodeUnsupportedFile, "The file was refused ("+refusedFields(refused)+"); do not send it again.")
	case errors.Is(err, errFileRefused):
		return refusal(err).(*router.ApiError)
	}
	return nil
}
