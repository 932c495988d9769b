package sealkeys

import (
	"fmt"
	"net/http"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
)

// grantForm is the body of POST /api/sealkeys/grants: epochs the caller
// holds, each sealed in the caller's browser to a colleague's personal key.
type grantForm struct {
	Staff  string      `json:"staff"`
	Grants []grantItem `json:"grants"`
}

func (f *grantForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Staff, validation.Required, validation.Length(15, 15)),
		validation.Field(&f.Grants, validation.Required, validation.Length(1, maxGrants)),
	)
}

// grantHandler gives a colleague the embassy key epochs the caller holds,
// all or none.
func grantHandler(e *core.RequestEvent) error {
	var form grantForm
	if err := e.BindBody(&form); err != nil {
		return e.BadRequestError("Failed to read the grant.", err)
	}
	for i := range form.Grants {
		form.Grants[i].Staff = form.Staff
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("The grant is not valid.", err)
	}
	embassy, me := e.Auth.GetString("embassy"), e.Auth.Id
	err := e.App.RunInTransaction(func(txApp core.App) error {
		seen := map[int]bool{}
		for _, g := range form.Grants {
			if seen[g.Epoch] {
				return refuse(http.StatusBadRequest, "grants", "validation_repeated", "Each epoch is granted once.")
			}
			seen[g.Epoch] = true
			if err := checkHolderKey(txApp, embassy, g); err != nil {
				return err
			}
			key, err := txApp.FindFirstRecordByFilter(CollectionKeys, "embassy = {:e} && epoch = {:n}", dbx.Params{"e": embassy, "n": g.Epoch})
			if err != nil {
				return refuse(http.StatusBadRequest, "grants", "validation_no_epoch", fmt.Sprintf("The embassy has no key epoch %d.", g.Epoch))
			}
			if !holds(txApp, key.Id, me) {
				return refuse(http.StatusForbidden, "grants", "validation_not_holder", "Only a holder of an embassy key can grant it.")
			}
			if holds(txApp, key.Id, g.Staff) {
				return refuse(http.StatusBadRequest, "grants", "validation_holds_already", fmt.Sprintf("This member of staff holds epoch %d already.", g.Epoch))
			}
			if err := saveGrant(txApp, embassy, key, g, me); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return answerRefusal(e, "the grant", err)
	}
	return e.NoContent(http.StatusNoContent)
}
