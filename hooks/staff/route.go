package staff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/types"

	"homeward/hooks/reports"
	"homeward/hooks/sealing"
	"homeward/internal/seal"
	"homeward/internal/vocab"
)

// maxRouteMessages bounds the reporter's messages one routing seals
// again: far more than a report's conversation holds, small enough for
// one transaction.
const maxRouteMessages = 1000

// routeForm is the body of POST /api/staff/reports/{id}/route: the
// embassy the report goes to and, for a sealed report, its envelope and
// its reporter's messages' envelopes sealed again to that embassy's key
// in the staff browser.
type routeForm struct {
	Embassy  string          `json:"embassy"`
	Sealed   json.RawMessage `json:"sealed"`
	Messages []routeMessage  `json:"messages"`
}

// routeMessage is a reporter's message sealed again for the new embassy.
type routeMessage struct {
	Id     string          `json:"id"`
	Sealed json.RawMessage `json:"sealed"`
}

// Validate checks the form's shape; the envelopes are checked by the
// sealing rules when each record is saved.
func (f *routeForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Embassy, validation.Required, validation.Length(15, 15)),
		validation.Field(&f.Messages, validation.Length(0, maxRouteMessages), validation.Each(validation.By(func(v any) error {
			m, _ := v.(routeMessage)
			if len(m.Id) != 15 || len(m.Sealed) == 0 {
				return validation.NewError("validation_route_message", "Each message needs its id and its envelope.")
			}
			return nil
		}))),
	)
}

// errRouteNotFound is a report or message the caller may not route.
var errRouteNotFound = errors.New("not found")

// routeHandler routes a report of the caller's embassy to another
// embassy, in one transaction with what the staff browser sealed again
// for it: the report's envelope and its reporter's messages'. Each record
// is saved through PocketBase's public save with the caller as the writer,
// so every model rule holds (the staff fields, hooks/sealing's rule that a
// sealed report moves only with an envelope to a key of the new embassy,
// the route events). A sealed report whose reporter's messages would stay
// sealed to the first embassy is refused whole. Staff notes stay with the
// first embassy (report_events.embassy): they are its internal record.
func routeHandler(e *core.RequestEvent) error {
	form := &routeForm{}
	info, err := readBody(e, form)
	if err != nil {
		return refuseBody(e, "The routing is not valid.", "Failed to read the routing.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The routing is not valid.", err)
	}
	id := e.Request.PathValue("id")
	ctx := reports.WithActor(e.Request.Context(), reports.ActorFromAuth(e.Auth))
	var saved *core.Record
	err = e.App.RunInTransaction(func(txApp core.App) error {
		rec, err := findChangeable(txApp, info, id)
		if err != nil {
			return errRouteNotFound
		}
		if rec.GetString("embassy") == form.Embassy {
			return validation.Errors{"embassy": validation.NewError("validation_route_same", "The report is already at this embassy.")}
		}
		if _, err := txApp.FindFirstRecordByFilter("embassies", "id = {:id} && active = true", map[string]any{"id": form.Embassy}); err != nil {
			return validation.Errors{"embassy": validation.NewError("validation_route_embassy", "There is no active embassy with this id.")}
		}
		rec.Set("embassy", form.Embassy)
		if len(form.Sealed) > 0 && string(form.Sealed) != "null" {
			rec.Set(sealing.FieldSealed, types.JSONRaw(form.Sealed))
		}
		if err := txApp.SaveWithContext(ctx, rec); err != nil {
			return err
		}
		for _, m := range form.Messages {
			msg, err := txApp.FindRecordById(sealing.CollectionMessages, m.Id)
			if err != nil || msg.GetString("report") != rec.Id || msg.GetString("direction") != vocab.DirectionReporter {
				return validation.Errors{"messages": validation.NewError("validation_route_message",
					"Message "+m.Id+" is not a reporter's message of this report.")}
			}
			msg.Set(sealing.FieldSealed, types.JSONRaw(m.Sealed))
			if err := txApp.SaveWithContext(ctx, msg); err != nil {
				return fmt.Errorf("message %s: %w", m.Id, err)
			}
		}
		if err := resealFiles(e, txApp, ctx, rec.Id); err != nil {
			return err
		}
		stale, err := sealing.StaleMessages(txApp, rec.Id, form.Embassy)
		if err != nil {
			return err
		}
		if len(stale) > 0 {
			return validation.Errors{"messages": validation.NewError("validation_route_messages_not_resealed",
				fmt.Sprintf("%d of the reporter's messages are still sealed to the first embassy's key: seal them again for the new embassy in the same routing.", len(stale)))}
		}
		saved = rec
		return nil
	})
	var invalid validation.Errors
	switch {
	case errors.Is(err, errRouteNotFound):
		return e.NotFoundError("The report was not found.", nil)
	case errors.As(err, &invalid):
		return e.BadRequestError("The routing is not valid.", invalid)
	case errors.Is(err, reports.ErrStaffField):
		return reports.ErrStaffField
	case err != nil:
		return e.BadRequestError("Failed to route the report.", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"id": saved.Id, "embassy": saved.GetString("embassy"),
		"version": saved.GetInt("version"), "messages": len(form.Messages), "attachments": resealedFiles(e)})
}

// routeFilePrefix names a sealed attachment's file sealed again for the
// new embassy in a multipart routing: routeFilePrefix + the attachment id.
const routeFilePrefix = "file_"

// resealFiles replaces each sealed attachment of report with its file
// sealed again in the staff browser for the new embassy, sent as
// routeFilePrefix + its id; every sealed attachment must come. Each is
// saved through the model hooks (hooks/sealing's sealed-file rules check
// the new file is sealed to a key of the report's new embassy); PocketBase
// deletes the replaced file from the storage once the write commits.
func resealFiles(e *core.RequestEvent, txApp core.App, ctx context.Context, report string) error {
	atts, err := txApp.FindAllRecords(sealing.CollectionAttachments,
		dbx.HashExp{"report": report}, dbx.Not(dbx.HashExp{sealing.FieldSealedBy: ""}))
	if err != nil {
		return fmt.Errorf("find the report's attachments: %w", err)
	}
	for _, att := range atts {
		files, _ := e.FindUploadedFiles(routeFilePrefix + att.Id)
		if len(files) != 1 {
			return validation.Errors{"attachments": validation.NewError("validation_route_attachments_not_resealed",
				fmt.Sprintf("%d sealed photos or voice notes of the report must be sealed again for the new embassy in the same routing.", len(atts)))}
		}
		sum, size, err := fileDigest(files[0])
		if err != nil {
			return err
		}
		att.Set("file", files[0])
		att.Set("sha256", sum)
		att.Set("size", size)
		att.Set("mime", seal.FileMime)
		if err := txApp.SaveWithContext(ctx, att); err != nil {
			return fmt.Errorf("attachment %s: %w", att.Id, err)
		}
	}
	return nil
}

// resealedFiles counts the files sent sealed again.
func resealedFiles(e *core.RequestEvent) int {
	if e.Request.MultipartForm == nil {
		return 0
	}
	n := 0
	for key := range e.Request.MultipartForm.File {
		if strings.HasPrefix(key, routeFilePrefix) {
			n++
		}
	}
	return n
}

// fileDigest is the SHA-256 (hex) and length of an uploaded file.
func fileDigest(f *filesystem.File) (string, int64, error) {
	r, err := f.Reader.Open()
	if err != nil {
		return "", 0, fmt.Errorf("read the uploaded file: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("read the uploaded file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
