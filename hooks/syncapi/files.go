package syncapi

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"homeward/internal/media"
	"homeward/internal/seal"
)

// tus 1.0 (https://tus.io/protocols/resumable-upload), core and creation.
const (
	tusVersion    = "1.0.0"
	tusExtensions = "creation"
	// maxUploadSize matches the attachments file field: a phone photo or
	// a few minutes of voice.
	maxUploadSize = 10 << 20
	// uploadsDir, under the data dir, holds unfinished uploads so they
	// survive a restart; backups of the data dir carry them.
	uploadsDir = "sync_uploads"
	// MaxAttachments bounds the files of one report, whichever way they
	// come (tus here, OpenRosa submissions): a report needs a few photos
	// and voice notes; an anonymous sender must not fill the disk.
	MaxAttachments = 20
	// staleUpload is how long an unfinished upload is kept. A volunteer
	// may come back online days later and resume.
	staleUpload = 14 * 24 * time.Hour
)

// HeaderAttachment names the stored attachment once an upload completes.
const HeaderAttachment = "Homeward-Attachment"

var uploadIdPattern = regexp.MustCompile(`^[a-f0-9]{32}$`)

// heifTypes are the media types a client may name for a HEIF photo.
var heifTypes = map[string]bool{
	"image/heic": true, "image/heif": true, "image/heic-sequence": true, "image/heif-sequence": true, "image/avif": true,
}

// uploadInfo is the state of one upload, kept beside its bytes.
type uploadInfo struct {
	Length     int64  `json:"length"`
	Report     string `json:"report"`
	Owner      string `json:"owner"`                 // who may continue it: see ownerKey
	SourceHash string `json:"source_hash,omitempty"` // SHA-256 the client gave for its file
	Attachment string `json:"attachment,omitempty"`  // set once complete
	Sealed     bool   `json:"sealed,omitempty"`      // declared sealed: stored as it came, never cleaned
}

// uploads stores unfinished uploads on disk and serialises writes to each.
type uploads struct {
	dir  string
	mu   sync.Mutex
	busy map[string]bool
}

func newUploads(app core.App) (*uploads, error) {
	dir := filepath.Join(app.DataDir(), uploadsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make uploads dir: %w", err)
	}
	// Drop uploads abandoned long ago.
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleUpload {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	return &uploads{dir: dir, busy: map[string]bool{}}, nil
}

func (u *uploads) dataPath(id string) string { return filepath.Join(u.dir, id+".bin") }
func (u *uploads) infoPath(id string) string { return filepath.Join(u.dir, id+".json") }

// lock claims an upload for one request at a time.
func (u *uploads) lock(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.busy[id] {
		return false
	}
	u.busy[id] = true
	return true
}

func (u *uploads) unlock(id string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.busy, id)
}

func (u *uploads) load(id string) (uploadInfo, error) {
	var info uploadInfo
	if !uploadIdPattern.MatchString(id) {
		return info, os.ErrNotExist
	}
	raw, err := os.ReadFile(u.infoPath(id))
	if err != nil {
		return info, err
	}
	return info, json.Unmarshal(raw, &info)
}

func (u *uploads) store(id string, info uploadInfo) error {
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	tmp := u.infoPath(id) + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, u.infoPath(id))
}

// offset is how many bytes of an upload the server holds towards it. An
// upload counts as complete only once its attachment is stored: until then
// the last byte is held back, so a client never takes an upload whose
// finishing step failed (or was cut by a crash) for done; it resumes by
// sending that byte again and the finishing step runs again.
func (u *uploads) offset(id string, info uploadInfo) int64 {
	if info.Attachment != "" {
		return info.Length
	}
	st, err := os.Stat(u.dataPath(id))
	if err != nil {
		return 0
	}
	return min(st.Size(), info.Length-1)
}

// remove forgets an upload the server refused for good.
func (u *uploads) remove(id string) {
	os.Remove(u.dataPath(id))
	os.Remove(u.infoPath(id))
}

func bindFilesApi(a *api, g *router.RouterGroup[*core.RequestEvent]) {
	files := g.Group("/files")
	files.BindFunc(tusHeaders)
	files.OPTIONS("/{$}", a.filesOptions)
	files.POST("/{$}", a.filesCreate)
	files.HEAD("/{id}", a.filesHead)
	files.PATCH("/{id}", a.filesPatch)
}

// tusHeaders answers every tus request with the protocol version, and
// refuses a client that speaks another one.
func tusHeaders(e *core.RequestEvent) error {
	h := e.Response.Header()
	h.Set("Tus-Resumable", tusVersion)
	h.Set("Cache-Control", "no-store")
	if e.Request.Method != http.MethodOptions && e.Request.Header.Get("Tus-Resumable") != tusVersion {
		h.Set("Tus-Version", tusVersion)
		return codedError(http.StatusPreconditionFailed, CodeUploadUnsupported, "This server speaks tus "+tusVersion+" only.")
	}
	return e.Next()
}

func (a *api) filesOptions(e *core.RequestEvent) error {
	setTusDiscovery(e.Response.Header())
	return e.NoContent(http.StatusNoContent)
}

// setTusDiscovery sets what a tus server announces to OPTIONS (tus 1.0.0,
// "OPTIONS"): the versions and extensions it supports and its largest
// upload.
func setTusDiscovery(h http.Header) {
	h.Set("Tus-Resumable", tusVersion)
	h.Set("Tus-Version", tusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Max-Size", strconv.Itoa(maxUploadSize))
}

// tusOptionsBeforeCORS sets the tus discovery headers on an OPTIONS
// request to the upload endpoint before PocketBase's CORS middleware
// answers it (204, with no route reached), so a tus client's discovery,
// and a browser's preflight, see them.
func tusOptionsBeforeCORS(e *core.RequestEvent) error {
	if e.Request.Method == http.MethodOptions && strings.HasPrefix(e.Request.URL.Path, "/api/sync/files/") {
		setTusDiscovery(e.Response.Header())
	}
	return e.Next()
}

// parseMetadata reads tus Upload-Metadata: "key base64,key base64".
func parseMetadata(s string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k == "" {
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			continue
		}
		out[k] = string(dec)
	}
	return out
}

func (a *api) filesCreate(e *core.RequestEvent) error {
	c, err := resolveCaller(e)
	if err != nil {
		return err
	}
	length, err := strconv.ParseInt(e.Request.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 1 {
		return e.BadRequestError("Upload-Length must be the file's size in bytes.", nil)
	}
	if length > maxUploadSize {
		return codedError(http.StatusRequestEntityTooLarge, CodeFileTooLarge, fmt.Sprintf("A file may be at most %d bytes.", maxUploadSize))
	}
	if c.role == roleGuest && e.Request.Header.Get(HeaderReceipt) == "" {
		// As pull answers it, before the report is looked for.
		return receiptRequiredError()
	}
	meta := parseMetadata(e.Request.Header.Get("Upload-Metadata"))
	if meta["report"] == "" {
		// Not a report the server has yet (409, retried): a request no
		// retry can mend.
		return e.BadRequestError("Upload-Metadata must name the report: the key report, then the report's id in base64.", nil)
	}
	sealed := meta["sealed"] == "1"
	if sealed && !seal.FileLengthFits(length) {
		// Refused before a phone spends its data on it.
		return refusal(seal.ErrFileLength)
	}
	if !sealed && heifTypes[strings.ToLower(meta["filetype"])] {
		// Refused at creation, before a phone spends its data on it; the
		// bytes decide for any other type (see finish).
		return refusal(media.ErrHEIF)
	}
	report, err := e.App.FindRecordById(collReports, meta["report"])
	if err != nil {
		return codedError(http.StatusConflict, CodeReportNotSynced, "Send the report before its attachments; retry this upload later.")
	}
	owner, err := a.ownerKey(e, c, report)
	if err != nil {
		return err
	}
	if n, err := e.App.CountRecords(collAttachments, dbx.HashExp{"report": report.Id}); err != nil {
		return e.InternalServerError("", err)
	} else if n >= MaxAttachments {
		return tooManyFilesError()
	}
	info := uploadInfo{Length: length, Report: report.Id, Owner: owner, Sealed: sealed}
	if src := strings.ToLower(meta["sha256"]); len(src) == 64 {
		info.SourceHash = src
		// Content addressing: the same file for the same report is stored
		// once; a re-upload completes at once.
		var existing string
		err := e.App.DB().Select("id").From(collAttachments).
			Where(dbx.HashExp{"report": report.Id, "source_sha256": src}).Limit(1).Row(&existing)
		if err == nil {
			info.Attachment = existing
		} else if !errors.Is(err, sql.ErrNoRows) {
			return e.InternalServerError("", err)
		}
	}

	idBytes := make([]byte, 16)
	if _, err := rand.Read(idBytes); err != nil {
		return e.InternalServerError("", err)
	}
	id := hex.EncodeToString(idBytes)
	if info.Attachment == "" {
		if err := os.WriteFile(a.uploads.dataPath(id), nil, 0o600); err != nil {
			return e.InternalServerError("Failed to start the upload.", err)
		}
	}
	if err := a.uploads.store(id, info); err != nil {
		return e.InternalServerError("Failed to start the upload.", err)
	}
	h := e.Response.Header()
	h.Set("Location", "/api/sync/files/"+id)
	h.Set("Upload-Offset", strconv.FormatInt(a.uploads.offset(id, info), 10))
	if info.Attachment != "" {
		h.Set(HeaderAttachment, info.Attachment)
	}
	return e.NoContent(http.StatusCreated)
}

// loadOwned loads an upload the caller owns; any other is "not found".
func (a *api) loadOwned(e *core.RequestEvent) (string, uploadInfo, error) {
	id := e.Request.PathValue("id")
	c, err := resolveCaller(e)
	if err != nil {
		return "", uploadInfo{}, err
	}
	info, err := a.uploads.load(id)
	if err != nil {
		return "", info, codedError(http.StatusNotFound, CodeUploadNotFound, "No such upload; start it again.")
	}
	owner, err := a.ownerKey(e, c, nil)
	if err != nil {
		return "", info, err
	}
	if owner != info.Owner {
		return "", info, codedError(http.StatusNotFound, CodeUploadNotFound, "No such upload; start it again.")
	}
	return id, info, nil
}

func (a *api) filesHead(e *core.RequestEvent) error {
	id, info, err := a.loadOwned(e)
	if err != nil {
		return err
	}
	h := e.Response.Header()
	h.Set("Upload-Offset", strconv.FormatInt(a.uploads.offset(id, info), 10))
	h.Set("Upload-Length", strconv.FormatInt(info.Length, 10))
	if info.Attachment != "" {
		h.Set(HeaderAttachment, info.Attachment)
	}
	return e.NoContent(http.StatusOK)
}

func (a *api) filesPatch(e *core.RequestEvent) error {
	id, _, err := a.loadOwned(e)
	if err != nil {
		return err
	}
	if ct := e.Request.Header.Get("Content-Type"); ct != "application/offset+octet-stream" {
		return e.Error(http.StatusUnsupportedMediaType, "Upload chunks must be sent as application/offset+octet-stream.", nil)
	}
	claimed, err := strconv.ParseInt(e.Request.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || claimed < 0 {
		return e.BadRequestError("Upload-Offset must be the number of bytes sent before this chunk.", nil)
	}
	if !a.uploads.lock(id) {
		return e.Error(http.StatusLocked, "This upload is being written by another request.", nil)
	}
	defer a.uploads.unlock(id)
	// Read again under the lock: another request may have finished it.
	info, err := a.uploads.load(id)
	if err != nil {
		return codedError(http.StatusNotFound, CodeUploadNotFound, "No such upload; start it again.")
	}

	h := e.Response.Header()
	offset := a.uploads.offset(id, info)
	h.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if claimed != offset {
		return codedError(http.StatusConflict, CodeUploadOffset, "Upload-Offset does not match the server's; ask with HEAD and resume from there.")
	}
	rest := info.Length - offset
	if e.Request.ContentLength > rest {
		return a.tooLong(rest)
	}
	if info.Attachment != "" {
		// Complete (or the same file was stored before): an empty PATCH at
		// the end is answered again; any byte more was refused above, or
		// is here for a body of unknown length.
		if n, _ := io.Copy(io.Discard, io.LimitReader(e.Request.Body, 1)); n > 0 {
			return a.tooLong(0)
		}
		h.Set(HeaderAttachment, info.Attachment)
		return e.NoContent(http.StatusNoContent)
	}

	written, copyErr := writeChunk(a.uploads.dataPath(id), offset, e.Request.Body, rest)
	if errors.Is(copyErr, errChunkTooLong) {
		return a.tooLong(rest)
	}
	if copyErr != nil && written == 0 {
		return e.BadRequestError("Failed to read the upload chunk.", copyErr)
	}
	offset += written
	if offset < info.Length {
		h.Set("Upload-Offset", strconv.FormatInt(offset, 10))
		return e.NoContent(http.StatusNoContent)
	}
	attachment, err := a.finish(e.App, id, info)
	if err != nil {
		// Refused for good: the upload is gone (HEAD answers 404). Any other
		// failure keeps the bytes but not the last one (see offset).
		if _, gone := a.uploads.load(id); gone != nil {
			h.Del("Upload-Offset")
		} else {
			h.Set("Upload-Offset", strconv.FormatInt(a.uploads.offset(id, info), 10))
		}
		return err
	}
	h.Set("Upload-Offset", strconv.FormatInt(info.Length, 10))
	h.Set(HeaderAttachment, attachment)
	return e.NoContent(http.StatusNoContent)
}

// errTooManyFiles rolls back the store of a file past MaxAttachments.
var errTooManyFiles = errors.New("too many attachments")

func tooManyFilesError() error {
	return codedError(http.StatusRequestEntityTooLarge, CodeTooManyFiles, fmt.Sprintf("A report may have at most %d attachments.", MaxAttachments))
}

// tooLong refuses a chunk that runs past Upload-Length, as tusd does.
func (a *api) tooLong(rest int64) error {
	return codedError(http.StatusRequestEntityTooLarge, CodeUploadExceeded,
		fmt.Sprintf("This chunk runs past the upload's Upload-Length: at most %d more bytes; nothing of it was kept.", rest))
}

// errChunkTooLong is a chunk body with more bytes than the upload lacks.
var errChunkTooLong = errors.New("chunk runs past Upload-Length")

// writeChunk writes r at offset of the file at path, after dropping
// anything beyond offset (a last byte held back, see offset), and syncs
// it, so whatever arrived before a cut connection counts and survives a
// crash. A body longer than limit writes nothing: errChunkTooLong.
func writeChunk(path string, offset int64, r io.Reader, limit int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	if err := f.Truncate(offset); err != nil {
		f.Close()
		return 0, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return 0, err
	}
	n, copyErr := io.Copy(f, io.LimitReader(r, limit+1))
	if n > limit {
		n, copyErr = 0, errChunkTooLong
		if err := f.Truncate(offset); err != nil {
			copyErr = errors.Join(copyErr, err)
		}
	}
	syncErr := f.Sync()
	closeErr := f.Close()
	return n, errors.Join(copyErr, syncErr, closeErr)
}

// finish cleans a complete upload (or, declared sealed, checks it is a
// sealed file) and stores it as an attachment, once per (report,
// content). A file refused for good (not a format Homeward
// takes, or content the attachments collection refuses) is answered 415
// and the upload dropped, so the client stops sending it; any other
// failure (a busy database, a full disk, a hook) is a 500 that leaves
// the upload resumable.
func (a *api) finish(app core.App, id string, info uploadInfo) (string, error) {
	raw, err := os.ReadFile(a.uploads.dataPath(id))
	if err != nil {
		return "", router.NewInternalServerError("", err)
	}
	take := CleanAttachment
	if info.Sealed {
		take = SealedAttachment
	}
	att, err := take(raw)
	if err != nil {
		a.uploads.remove(id)
		return "", RefusedFile(err)
	}
	var attachmentId string
	err = app.RunInTransaction(func(txApp core.App) error {
		// Counted again here: uploads begun together each passed the
		// count when they began.
		n, err := txApp.CountRecords(collAttachments, dbx.HashExp{"report": info.Report})
		if err != nil {
			return err
		}
		var created bool
		attachmentId, created, err = StoreAttachment(txApp, info.Report, att)
		if err == nil && created && n >= MaxAttachments {
			return errTooManyFiles
		}
		return err
	})
	if errors.Is(err, errTooManyFiles) {
		a.uploads.remove(id)
		return "", tooManyFilesError()
	}
	if refused := RefusedFile(err); refused != nil {
		a.uploads.remove(id)
		return "", refused
	}
	if err != nil {
		return "", router.NewInternalServerError("Failed to store the attachment; ask with HEAD and resume the upload to try again.", err)
	}
	info.Attachment = attachmentId
	if err := a.uploads.store(id, info); err != nil {
		return "", router.NewInternalServerError("Failed to store the attachment; ask with HEAD and resume the upload to try again.", err)
	}
	os.Remove(a.uploads.dataPath(id))
	return attachmentId, nil
}

// refusal is the answer to a file media.Clean or seal.ParseFile refused.
func refusal(err error) error {
	switch {
	case errors.Is(err, seal.ErrFileFormat):
		return codedError(http.StatusUnsupportedMediaType, CodeBadSealedFile, fmt.Sprintf(
			"The upload is declared sealed but is not a sealed file: it needs the header of version %d with the suite %s and chunks of %d bytes (docs/API.md); do not send it again.",
			seal.FileVersion, seal.SuiteName, seal.FileChunk))
	case errors.Is(err, seal.ErrFileLength):
		return codedError(http.StatusUnsupportedMediaType, CodeBadSealedFile,
			"The upload is declared sealed but its length does not fit whole chunks of a padded file (docs/API.md); do not send it again.")
	case errors.Is(err, media.ErrHEIF):
		return codedError(http.StatusUnsupportedMediaType, CodeUnsupportedFile, "HEIC/HEIF photos are not accepted: send the photo as JPEG (the Homeward app converts photos on the phone).")
	case errors.Is(err, media.ErrImageTooLarge):
		return codedError(http.StatusUnsupportedMediaType, CodeUnsupportedFile, fmt.Sprintf("The photo has more than %d pixels; send a smaller one.", media.MaxImagePixels))
	}
	return codedError(http.StatusUnsupportedMediaType, CodeUnsupportedFile, "The file is not a readable JPEG or PNG photo or WebM, Ogg, MP4, AAC or MP3 voice note.")
}

// refusedFields names the fields a validation error refused, never their
// values (which would be the report's content).
func refusedFields(errs validation.Errors) string {
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func extension(mime string) string {
	switch mime {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "audio/webm":
		return ".webm"
	case "audio/ogg":
		return ".ogg"
	case "audio/mp4":
		return ".m4a"
	case "audio/aac":
		return ".aac"
	case seal.FileMime:
		return ".bin"
	}
	return ".mp3"
}
