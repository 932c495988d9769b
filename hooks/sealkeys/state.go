package sealkeys

import (
	"encoding/json"
	"net/http"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// epochView is an embassy key epoch as the console sees it: the public row.
type epochView struct {
	Id        string `json:"id"`
	Epoch     int    `json:"epoch"`
	Kid       string `json:"kid"`
	PublicKey string `json:"public_key"`
	VerifyKey string `json:"verify_key"`
	Signature string `json:"signature"`
	CreatedBy string `json:"created_by"`
	Created   string `json:"created"`
	// The escrow the epoch is sealed to, signed by the epoch's own key
	// (EscrowStatement); empty when none.
	EscrowKid       string `json:"escrow_kid"`
	EscrowLabel     string `json:"escrow_label"`
	EscrowSignature string `json:"escrow_signature"`
}

func viewOfEpoch(k *core.Record) epochView {
	return epochView{
		Id: k.Id, Epoch: k.GetInt("epoch"), Kid: k.GetString("kid"), PublicKey: k.GetString("public_key"),
		VerifyKey: k.GetString("verify_key"), Signature: k.GetString("signature"),
		CreatedBy: k.GetString("created_by"), Created: k.GetString("created"),
		EscrowKid: k.GetString("escrow_kid"), EscrowLabel: k.GetString("escrow_label"), EscrowSignature: k.GetString("escrow_signature"),
	}
}

// memberView is a member of the embassy's staff: their personal public key
// (empty until they make one) and the epochs they hold.
type memberView struct {
	Id        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	Kid       string `json:"kid"`
	PublicKey string `json:"public_key"`
	Holds     []int  `json:"holds"`
}

// grantView is one of the caller's own grants.
type grantView struct {
	Epoch     int             `json:"epoch"`
	Kid       string          `json:"kid"`
	HolderKid string          `json:"holder_kid"`
	Wrapped   json.RawMessage `json:"wrapped"`
}

// personalView is the caller's own personal key with its backup.
type personalView struct {
	Kid       string          `json:"kid"`
	PublicKey string          `json:"public_key"`
	Backup    json.RawMessage `json:"backup"`
}

// stateView is the answer of GET /api/sealkeys.
type stateView struct {
	Embassy  string        `json:"embassy"`
	Epochs   []epochView   `json:"epochs"`
	Members  []memberView  `json:"members"`
	Me       *personalView `json:"me"`
	Grants   []grantView   `json:"grants"`
	Recovery *recoveryView `json:"recovery"`
	// Escrow is the escrow key a superuser set for the embassy, which new
	// epochs are sealed to; null when none (the default).
	Escrow *escrowView `json:"escrow"`
}

// stateHandler answers the caller's embassy's key state: its epochs, its
// staff with their public keys and what each holds, the caller's own
// personal key and backup, and the caller's own grants. Nobody else's
// backup or grant is ever in it.
func stateHandler(e *core.RequestEvent) error {
	embassy := e.Auth.GetString("embassy")
	epochs, err := findEpochs(e.App, embassy)
	if err != nil {
		return e.InternalServerError("Failed to read the embassy's keys.", err)
	}
	staff, err := e.App.FindAllRecords(collectionStaff, dbx.HashExp{"embassy": embassy})
	if err != nil {
		return e.InternalServerError("Failed to read the embassy's staff.", err)
	}
	out := stateView{Embassy: embassy, Epochs: []epochView{}, Members: []memberView{}, Grants: []grantView{}}
	epochOf := map[string]int{}
	for _, k := range epochs {
		out.Epochs = append(out.Epochs, viewOfEpoch(k))
		epochOf[k.Id] = k.GetInt("epoch")
	}
	for _, s := range staff {
		m := memberView{Id: s.Id, Name: s.GetString("name"), Email: s.GetString("email"), Holds: []int{}}
		if p, err := findPersonal(e.App, s.Id); err == nil {
			m.Kid, m.PublicKey = p.GetString("kid"), p.GetString("public_key")
			if s.Id == e.Auth.Id {
				out.Me = &personalView{Kid: m.Kid, PublicKey: m.PublicKey, Backup: rawJSON(p.GetString("backup"))}
			}
		}
		grants, err := e.App.FindAllRecords(CollectionGrants, dbx.HashExp{"staff": s.Id, "embassy": embassy})
		if err != nil {
			return e.InternalServerError("Failed to read the embassy's key holders.", err)
		}
		for _, g := range grants {
			m.Holds = append(m.Holds, g.GetInt("epoch"))
			if s.Id == e.Auth.Id {
				out.Grants = append(out.Grants, grantView{
					Epoch: g.GetInt("epoch"), Kid: kidOf(epochs, g.GetString("key")), HolderKid: g.GetString("holder_kid"),
					Wrapped: rawJSON(g.GetString("wrapped")),
				})
			}
		}
		out.Members = append(out.Members, m)
	}
	if r, err := findRecovery(e.App, embassy); err == nil {
		out.Recovery = &recoveryView{Kid: r.GetString("kid"), PublicKey: r.GetString("public_key"), Wrapped: rawJSON(r.GetString("wrapped")),
			CreatedBy: r.GetString("created_by"), Created: r.GetString("created")}
	}
	if x, err := findEscrow(e.App, embassy); err == nil {
		out.Escrow = &escrowView{Kid: x.GetString("kid"), Label: x.GetString("label"), PublicKey: x.GetString("public_key"), Updated: x.GetString("updated")}
	}
	return e.JSON(http.StatusOK, out)
}

func kidOf(epochs []*core.Record, id string) string {
	for _, k := range epochs {
		if k.Id == id {
			return k.GetString("kid")
		}
	}
	return ""
}

// findEpochs returns the embassy's key epochs, oldest first.
func findEpochs(app core.App, embassy string) ([]*core.Record, error) {
	return app.FindRecordsByFilter(CollectionKeys, "embassy = {:e}", "epoch", 0, 0, dbx.Params{"e": embassy})
}

// findPersonal returns a member of staff's personal key record.
func findPersonal(app core.App, staff string) (*core.Record, error) {
	return app.FindFirstRecordByData(CollectionPersonal, "staff", staff)
}

// holds reports whether staff holds the epoch key (a grant of it exists).
func holds(app core.App, key, staff string) bool {
	_, err := app.FindFirstRecordByFilter(CollectionGrants, "key = {:k} && staff = {:s}", dbx.Params{"k": key, "s": staff})
	return err == nil
}

// rawJSON is a stored JSON field as it is, or null when empty.
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
