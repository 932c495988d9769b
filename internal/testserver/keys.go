package testserver

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"homeward/internal/seal"
)

// EmbassyKey is an embassy key epoch saved by AddEmbassyKey, with the
// private halves that only staff browsers hold in the app.
type EmbassyKey struct {
	Embassy string
	Epoch   int
	Kid     string
	Private *ecdh.PrivateKey  // HPKE, opens the epoch's envelopes
	Signer  *ecdsa.PrivateKey // signs the next epoch
	Record  *core.Record      // the embassy_keys row
}

// NewEpochKeys makes a key epoch's two key pairs, as a staff browser
// does: the HPKE key (ECDH P-256) reports are sealed to, and the ECDSA
// P-256 key that signs the next epoch.
func NewEpochKeys(t testing.TB) (*ecdh.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	kem, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return kem, sign
}

// AddEmbassyKey makes a new key epoch for embassy, signed by prev (nil for
// the first epoch), and saves its embassy_keys row as the staff side
// would: kid = seal.KeyID, the chain signature over seal.ChainStatement in
// IEEE P1363 form.
func AddEmbassyKey(t testing.TB, app core.App, embassy string, prev *EmbassyKey) *EmbassyKey {
	t.Helper()
	priv, signer := NewEpochKeys(t)
	verify, err := signer.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	k := &EmbassyKey{Embassy: embassy, Epoch: 1, Kid: seal.KeyID(priv.PublicKey().Bytes()), Private: priv, Signer: signer}
	pub, ver, sig := b64.EncodeToString(priv.PublicKey().Bytes()), b64.EncodeToString(verify), ""
	if prev != nil {
		k.Epoch = prev.Epoch + 1
		sig = SignChain(t, prev.Signer, seal.ChainStatement(embassy, k.Epoch, k.Kid, pub, ver))
	}
	k.Record = SaveRecord(t, app, "embassy_keys", map[string]any{
		"embassy": embassy, "epoch": k.Epoch, "kid": k.Kid, "public_key": pub, "verify_key": ver, "signature": sig,
	})
	return k
}

// SignChain signs a chain statement as a staff browser does (WebCrypto's
// ECDSA P-256 with SHA-256: r||s, 64 bytes), base64url.
func SignChain(t testing.TB, signer *ecdsa.PrivateKey, statement []byte) string {
	t.Helper()
	h := sha256.Sum256(statement)
	r, s, err := ecdsa.Sign(rand.Reader, signer, h[:])
	if err != nil {
		t.Fatal(err)
	}
	rs := make([]byte, 64)
	r.FillBytes(rs[:32])
	s.FillBytes(rs[32:])
	return base64.RawURLEncoding.EncodeToString(rs)
}

// OpenReport opens a sealed report's envelope with k, bound as the phone
// and the server bind it (the report's embassy, k's id, the report's id
// and its clear fields as stored), and returns its body.
func (k *EmbassyKey) OpenReport(t testing.TB, report *core.Record) seal.ReportBody {
	t.Helper()
	var env seal.Envelope
	if err := json.Unmarshal([]byte(report.GetString("sealed")), &env); err != nil {
		t.Fatalf("report %s: sealed is not an envelope: %v", report.Id, err)
	}
	clear, err := seal.ClearHash(seal.ReportClear(report))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(k.Private, seal.Binding{Embassy: report.GetString("embassy"), Kid: k.Kid, Record: report.Id, Clear: clear}, env)
	if err != nil {
		t.Fatalf("report %s does not open with key %s: %v", report.Id, k.Kid, err)
	}
	var body seal.ReportBody
	if err := json.Unmarshal(plain, &body); err != nil {
		t.Fatalf("report %s: body %v", report.Id, err)
	}
	return body
}

// OpenMessage opens a sealed message's envelope with k (sealed to the key
// of embassy, its report's), and returns its body.
func (k *EmbassyKey) OpenMessage(t testing.TB, embassy string, message *core.Record) string {
	t.Helper()
	var env seal.Envelope
	if err := json.Unmarshal([]byte(message.GetString("sealed")), &env); err != nil {
		t.Fatalf("message %s: sealed is not an envelope: %v", message.Id, err)
	}
	clear, err := seal.ClearHash(seal.MessageClear(message))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(k.Private, seal.Binding{Embassy: embassy, Kid: k.Kid, Record: message.Id, Clear: clear}, env)
	if err != nil {
		t.Fatalf("message %s does not open with key %s: %v", message.Id, k.Kid, err)
	}
	var body seal.MessageBody
	if err := json.Unmarshal(plain, &body); err != nil {
		t.Fatalf("message %s: body %v", message.Id, err)
	}
	return body.Body
}

// OpenNote opens a sealed staff note (a report_events row of kind note)
// with k, sealed to the key of the event's embassy, and returns its text.
func (k *EmbassyKey) OpenNote(t testing.TB, event *core.Record) string {
	t.Helper()
	var env seal.Envelope
	if err := json.Unmarshal([]byte(event.GetString("sealed")), &env); err != nil {
		t.Fatalf("note %s: sealed is not an envelope: %v", event.Id, err)
	}
	clear, err := seal.ClearHash(seal.NoteClear(event))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := seal.Open(k.Private, seal.Binding{Embassy: event.GetString("embassy"), Kid: k.Kid, Record: event.Id, Clear: clear}, env)
	if err != nil {
		t.Fatalf("note %s does not open with key %s: %v", event.Id, k.Kid, err)
	}
	var body seal.NoteBody
	if err := json.Unmarshal(plain, &body); err != nil {
		t.Fatalf("note %s: body %v", event.Id, err)
	}
	return body.Note
}

// OpenReply opens a sealed staff reply with the reply key of receipt (as
// normalized digits), as the reporter's phone does, and returns its text.
func OpenReply(t testing.TB, receipt string, message *core.Record) string {
	t.Helper()
	var env seal.ReplyEnvelope
	if err := json.Unmarshal([]byte(message.GetString("sealed")), &env); err != nil {
		t.Fatalf("reply %s: sealed is not a reply envelope: %v", message.Id, err)
	}
	b := seal.ReplyBinding{Message: message.Id, Report: message.GetString("report"), Direction: message.GetString("direction")}
	plain, err := seal.OpenReply(seal.ReplyKey(receipt, b.Report), b, env)
	if err != nil {
		t.Fatalf("reply %s does not open with the receipt's key: %v", message.Id, err)
	}
	var body seal.MessageBody
	if err := json.Unmarshal(plain, &body); err != nil {
		t.Fatalf("reply %s: body %v", message.Id, err)
	}
	return body.Body
}

// OpenAttachment opens a sealed attachment's stored file with k, bound to
// its report (of k's embassy), and returns the media type sealed inside
// and the file's bytes.
func (k *EmbassyKey) OpenAttachment(t testing.TB, app core.App, att *core.Record) (string, []byte) {
	t.Helper()
	mime, data, err := seal.OpenFile(k.Private, k.Embassy, att.GetString("report"), ReadFile(t, app, att, "file"))
	if err != nil {
		t.Fatalf("attachment %s does not open with key %s: %v", att.Id, k.Kid, err)
	}
	return mime, data
}
