package sealkeys

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"homeward/internal/seal"
)

// NewEscrowCommand returns the "escrow" command: make an escrow key pair
// (on the escrow holder's own machine), set or clear an embassy's escrow
// key, list them, and open a report with the escrow's private key.
func NewEscrowCommand(app core.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "escrow",
		Short: "Manage the optional escrow key an embassy's key epochs are also sealed to (off by default)",
		Long: `An escrow key is an HPKE P-256 key pair whose private half is held outside the embassy
(its ministry, for one). Once a superuser sets its public key for an embassy, every key epoch a
staff browser makes for that embassy is also sealed to it, and whoever holds its private key can
read every report, message, note and attachment sealed to those epochs. Every member of the
embassy's staff sees it, with its fingerprint and holder, on the console's Keys screen.
See docs/SECURITY.md, "Escrow key".`,
	}
	cmd.AddCommand(EscrowKeygenCommand(), escrowSetCommand(app), escrowClearCommand(app), escrowShowCommand(app), escrowOpenCommand(app))
	return cmd
}

// EscrowKeygenCommand is "escrow keygen". It needs no data dir: main runs
// it without starting the app, so the escrow holder's offline machine is
// left with the key file and nothing else.
func EscrowKeygenCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Make an escrow key pair: the private key goes to FILE (PEM, mode 0600), the public key is printed",
		Long: `keygen makes the escrow's key pair. Run it where the private key will be kept (an offline
machine of the escrow holder), not on the server: the server needs only the public key it prints.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("give --out FILE for the private key")
			}
			pub, err := WriteEscrowKey(out)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Private key written to %s: keep it offline; whoever holds it reads every report of the epochs sealed to it.\n", out)
			fmt.Fprintf(w, "Public key (give it to the server's administrator):\n%s\n", pub)
			raw, _ := b64.DecodeString(pub)
			fmt.Fprintf(w, "Fingerprint: %s\n", seal.Fingerprint(seal.KeyID(raw)))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file for the private key (PEM); it must not exist")
	return cmd
}

// WriteEscrowKey makes an escrow key pair, writes its private key to path
// as PKCS #8 PEM (mode 0600, refusing an existing file) and returns the
// public key, base64url.
func WriteEscrowKey(path string) (string, error) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write the private key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return "", fmt.Errorf("write the private key: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write the private key: %w", err)
	}
	return b64.EncodeToString(key.PublicKey().Bytes()), nil
}

// ReadEscrowKey reads a private key written by WriteEscrowKey.
func ReadEscrowKey(path string) (*ecdh.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the escrow key: %w", err)
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("read the escrow key: not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("read the escrow key: %w", err)
	}
	switch k := k.(type) {
	case *ecdh.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k.ECDH()
	}
	return nil, errors.New("read the escrow key: not a P-256 key")
}

func embassyBySlug(app core.App, slug string) (*core.Record, error) {
	rec, err := app.FindFirstRecordByData("embassies", "slug", slug)
	if err != nil {
		return nil, fmt.Errorf("no embassy with the slug %q", slug)
	}
	return rec, nil
}

func escrowSetCommand(app core.App) *cobra.Command {
	var label, public string
	cmd := &cobra.Command{
		Use:          "set SLUG --label WHO --public-key KEY",
		Short:        "Set (or replace) an embassy's escrow key: epochs its staff make from now on are sealed to it too",
		Example:      `escrow set indonesia-phnom-penh --label "Ministry of Foreign Affairs, Jakarta: key custodian" --public-key BHx…`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			rec, err := SetEscrow(app, args[0], label, public)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Escrow key of %s set: %s, fingerprint %s.\n", args[0], label, seal.Fingerprint(rec.GetString("kid")))
			fmt.Fprintln(w, "Every member of its staff sees it on the Keys screen. The next key epoch a staff browser makes is sealed to it; epochs made before are not.")
			return nil
		},
	}
	cmd.Flags().StringVar(&label, "label", "", "who holds the private key, as staff will read it (required)")
	cmd.Flags().StringVar(&public, "public-key", "", "the public key `escrow keygen` printed (required)")
	return cmd
}

// SetEscrow sets the escrow key of the embassy slug, through the write
// path every other one takes (the key id is computed there).
func SetEscrow(app core.App, slug, label, public string) (*core.Record, error) {
	emb, err := embassyBySlug(app, slug)
	if err != nil {
		return nil, err
	}
	rec, err := findEscrow(app, emb.Id)
	if err != nil {
		col, err := app.FindCollectionByNameOrId(CollectionEscrow)
		if err != nil {
			return nil, err
		}
		rec = core.NewRecord(col)
		rec.Set("embassy", emb.Id)
	}
	rec.Set("label", label)
	rec.Set("public_key", public)
	if err := app.Save(rec); err != nil {
		return nil, fmt.Errorf("set the escrow key: %w", err)
	}
	return rec, nil
}

func escrowClearCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:          "clear SLUG",
		Short:        "Stop sealing an embassy's new epochs to an escrow key (epochs already sealed to it stay so)",
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			emb, err := embassyBySlug(app, args[0])
			if err != nil {
				return err
			}
			rec, err := findEscrow(app, emb.Id)
			if err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%s has no escrow key.\n", args[0])
				return nil
			}
			if err := app.Delete(rec); err != nil {
				return fmt.Errorf("clear the escrow key: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s has no escrow key now. Epochs already sealed to it stay readable to its holder: start a new epoch on the Keys screen so new reports are not.\n", args[0])
			return nil
		},
	}
}

func escrowShowCommand(app core.App) *cobra.Command {
	return &cobra.Command{
		Use:          "show",
		Short:        "List the embassies with an escrow key, and the epochs sealed to each escrow",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := app.RunAllMigrations(); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			all, err := app.FindAllRecords(CollectionEscrow)
			if err != nil {
				return err
			}
			if len(all) == 0 {
				fmt.Fprintln(w, "No embassy has an escrow key.")
			}
			for _, x := range all {
				emb, _ := app.FindRecordById("embassies", x.GetString("embassy"))
				slug := x.GetString("embassy")
				if emb != nil {
					slug = emb.GetString("slug")
				}
				var epochs []int
				grants, _ := app.FindAllRecords(CollectionEscrowGrants, dbx.HashExp{"embassy": x.GetString("embassy"), "escrow_kid": x.GetString("kid")})
				for _, g := range grants {
					epochs = append(epochs, g.GetInt("epoch"))
				}
				fmt.Fprintf(w, "%s: %s, fingerprint %s, epochs sealed to it: %v\n", slug, x.GetString("label"), seal.Fingerprint(x.GetString("kid")), epochs)
			}
			return nil
		},
	}
}

func escrowOpenCommand(app core.App) *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "open --key FILE REPORT_ID",
		Short: "Open a sealed report, its messages and notes with the escrow's private key, and print them as JSON",
		Long: `open reads the data dir (a copy of it, or a backup unpacked into one, on the escrow holder's own
offline machine: --dir), opens the copies of the report's key epochs sealed to the escrow key in
FILE, and prints the report's sealed fields, the conversation and the staff notes as JSON.
Attachments are not written out.`,
		Args:         cobra.ExactArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if keyFile == "" {
				return errors.New("give --key FILE, the escrow's private key")
			}
			key, err := ReadEscrowKey(keyFile)
			if err != nil {
				return err
			}
			opened, err := OpenWithEscrow(app, key, args[0])
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(opened)
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "the escrow's private key (PEM, as keygen wrote it)")
	return cmd
}

// OpenedReport is a report opened with the escrow key.
type OpenedReport struct {
	Id       string          `json:"id"`
	Embassy  string          `json:"embassy"`
	Report   seal.ReportBody `json:"report"`
	Messages []OpenedText    `json:"messages"`
	Notes    []OpenedText    `json:"notes"`
}

// OpenedText is one message or note, opened (or in clear as stored).
type OpenedText struct {
	Id        string `json:"id"`
	Direction string `json:"direction,omitempty"`
	Created   string `json:"created"`
	Text      string `json:"text"`
}

// ErrNoEscrowCopy is returned for a record sealed to an epoch that was
// never sealed to the escrow key given.
var ErrNoEscrowCopy = errors.New("sealkeys: this epoch was not sealed to this escrow key")

// escrowKeys opens an embassy's epochs with an escrow key, on demand.
type escrowKeys struct {
	app     core.App
	escrow  *ecdh.PrivateKey
	embassy string
	byKid   map[string]*ecdh.PrivateKey
}

func (k *escrowKeys) get(kid string) (*ecdh.PrivateKey, error) {
	if p, ok := k.byKid[kid]; ok {
		return p, nil
	}
	epoch, err := k.app.FindFirstRecordByFilter(CollectionKeys, "embassy = {:e} && kid = {:k}", dbx.Params{"e": k.embassy, "k": kid})
	if err != nil {
		return nil, fmt.Errorf("no key epoch %s of the embassy", kid)
	}
	g, err := k.app.FindFirstRecordByFilter(CollectionEscrowGrants, "key = {:k} && escrow_kid = {:x}",
		dbx.Params{"k": epoch.Id, "x": seal.KeyID(k.escrow.PublicKey().Bytes())})
	if err != nil {
		return nil, fmt.Errorf("epoch %d: %w", epoch.GetInt("epoch"), ErrNoEscrowCopy)
	}
	var w Wrapped
	if err := json.Unmarshal([]byte(g.GetString("wrapped")), &w); err != nil {
		return nil, fmt.Errorf("epoch %d: %w", epoch.GetInt("epoch"), ErrEscrowCopy)
	}
	p, err := OpenEscrowCopy(k.escrow, k.embassy, epoch.GetInt("epoch"), kid, epoch.GetString("public_key"), w)
	if err != nil {
		return nil, fmt.Errorf("epoch %d: %w", epoch.GetInt("epoch"), err)
	}
	k.byKid[kid] = p
	return p, nil
}

// open opens an envelope stored in raw, bound to record and its clear
// fields, into v.
func (k *escrowKeys) open(raw, record string, clear []seal.Field, v any) error {
	env, err := seal.ParseEnvelope([]byte(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", record, err)
	}
	priv, err := k.get(env.Kid)
	if err != nil {
		return err
	}
	h, err := seal.ClearHash(clear)
	if err != nil {
		return err
	}
	plain, err := seal.Open(priv, seal.Binding{Embassy: k.embassy, Kid: env.Kid, Record: record, Clear: h}, env)
	if err != nil {
		return fmt.Errorf("%s does not open: %w", record, err)
	}
	return json.Unmarshal(plain, v)
}

// OpenWithEscrow opens report id, its conversation and its staff notes
// with the escrow's private key escrow: each record's epoch through its
// copy sealed to the escrow, a staff reply with the reply key inside the
// opened report. A record in clear is given as stored.
func OpenWithEscrow(app core.App, escrow *ecdh.PrivateKey, id string) (*OpenedReport, error) {
	r, err := app.FindRecordById("reports", id)
	if err != nil {
		return nil, fmt.Errorf("no report %s", id)
	}
	k := &escrowKeys{app: app, escrow: escrow, embassy: r.GetString("embassy"), byKid: map[string]*ecdh.PrivateKey{}}
	out := &OpenedReport{Id: r.Id, Embassy: k.embassy, Messages: []OpenedText{}, Notes: []OpenedText{}}
	if isSealed(r) {
		if err := k.open(r.GetString("sealed"), r.Id, seal.ReportClear(r), &out.Report); err != nil {
			return nil, err
		}
	} else {
		out.Report = seal.ReportBody{Message: r.GetString("message"), ContactName: r.GetString("contact_name"),
			ContactPhone: r.GetString("contact_phone"), ContactApp: r.GetString("contact_app"),
			CompoundLocation: r.GetString("compound_location"), CurrentLocation: r.GetString("current_location")}
	}
	msgs, err := app.FindRecordsByFilter("messages", "report = {:r}", "created", 0, 0, dbx.Params{"r": id})
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		t := OpenedText{Id: m.Id, Direction: m.GetString("direction"), Created: m.GetString("created"), Text: m.GetString("body")}
		if isSealed(m) {
			if t.Text, err = k.openMessage(m, out.Report.ReplyKey); err != nil {
				return nil, err
			}
		}
		out.Messages = append(out.Messages, t)
	}
	notes, err := app.FindRecordsByFilter("report_events", "report = {:r} && kind = 'note'", "created", 0, 0, dbx.Params{"r": id})
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		t := OpenedText{Id: n.Id, Created: n.GetString("created"), Text: n.GetString("note")}
		if isSealed(n) {
			var body seal.NoteBody
			if err := k.open(n.GetString("sealed"), n.Id, seal.NoteClear(n), &body); err != nil {
				return nil, err
			}
			t.Text = body.Note
		}
		out.Notes = append(out.Notes, t)
	}
	return out, nil
}

// openMessage opens a message: a staff reply sealed with the report's
// reply key, or anything sealed to an embassy key.
func (k *escrowKeys) openMessage(m *core.Record, replyKey string) (string, error) {
	if renv, err := seal.ParseReplyEnvelope([]byte(m.GetString("sealed"))); err == nil {
		key, err := b64.DecodeString(replyKey)
		if err != nil || replyKey == "" {
			return "", fmt.Errorf("reply %s: the report holds no reply key", m.Id)
		}
		b := seal.ReplyBinding{Message: m.Id, Report: m.GetString("report"), Direction: m.GetString("direction")}
		plain, err := seal.OpenReply(key, b, renv)
		if err != nil {
			return "", fmt.Errorf("reply %s does not open: %w", m.Id, err)
		}
		var body seal.MessageBody
		if err := json.Unmarshal(plain, &body); err != nil {
			return "", fmt.Errorf("reply %s: %w", m.Id, err)
		}
		return body.Body, nil
	}
	var body seal.MessageBody
	if err := k.open(m.GetString("sealed"), m.Id, seal.MessageClear(m), &body); err != nil {
		return "", err
	}
	return body.Body, nil
}

func isSealed(r *core.Record) bool {
	s := r.GetString("sealed")
	return s != "" && s != "null" && s != `""`
}
