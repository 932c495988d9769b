package seal_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"homeward/internal/browsertest"
	"homeward/internal/seal"
	"homeward/internal/testserver"
)

// browserPage opens a page of the real app in Chromium, from which the
// tests import /js/seal.js.
func browserPage(t testing.TB) context.Context {
	t.Helper()
	app := testserver.NewApp(t, false)
	srv := testserver.Start(t, app)
	ctx := browsertest.New(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/verify")); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// inPage runs an async function body in the page with seal.js as s and
// the JSON arg as arg, and decodes its JSON result into out.
func inPage(t testing.TB, ctx context.Context, body string, arg, out any) {
	t.Helper()
	in, err := json.Marshal(arg)
	if err != nil {
		t.Fatal(err)
	}
	js := `(async () => { const s = await import('/js/seal.js'); const arg = ` + string(in) + `;
		const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
		const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
		` + body + ` })().then(JSON.stringify)`
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
}

// TestBrowserPassesTheRFC9180Vectors holds the phone's HPKE (@hpke/core,
// as bundled for Chrome 80) to RFC 9180 A.3.1 in Chromium: the recipient
// key derived from ikmR, the encapsulated key from ikmE, every listed
// encryption at its sequence number, the exports, and the recipient
// opening them all.
func TestBrowserPassesTheRFC9180Vectors(t *testing.T) {
	ctx := browserPage(t)
	var res struct {
		Errors []string `json:"errors"`
		Checks int      `json:"checks"`
	}
	inPage(t, ctx, `
		const v = arg, errors = []; let checks = 0;
		const check = (what, got, want) => { checks++; if (got !== want) errors.push(what + ': ' + got + ' != ' + want); };
		const rkp = await s.suite.kem.deriveKeyPair(unhex(v.ikmR).buffer);
		check('pkR', hex(await s.suite.kem.serializePublicKey(rkp.publicKey)), v.pkRm);
		check('skR', hex(await s.suite.kem.serializePrivateKey(rkp.privateKey)), v.skRm);
		const sender = await s.suite.createSenderContext({ recipientPublicKey: rkp.publicKey, info: unhex(v.info).buffer, ekm: unhex(v.ikmE).buffer });
		check('enc', hex(sender.enc), v.enc);
		const recipient = await s.suite.createRecipientContext({ recipientKey: rkp, enc: sender.enc, info: unhex(v.info).buffer });
		const bySeq = new Map(v.encryptions.map((e) => [e.seq, e]));
		const last = Math.max(...bySeq.keys());
		for (let seq = 0; seq <= last; seq++) {
			const e = bySeq.get(seq);
			const pt = e ? unhex(e.pt) : new Uint8Array([seq & 255]);
			const ad = e ? unhex(e.aad) : new Uint8Array(0);
			const ct = await sender.seal(pt.buffer, ad.buffer);
			if (e) check('ct ' + seq, hex(ct), e.ct);
			check('open ' + seq, hex(await recipient.open(ct, ad.buffer)), hex(pt));
		}
		for (const x of v.exports) {
			check('export ' + x.context, hex(await sender.export(unhex(x.context).buffer, x.L)), x.value);
			check('recipient export ' + x.context, hex(await recipient.export(unhex(x.context).buffer, x.L)), x.value);
		}
		return { errors, checks };`, loadVector(t), &res)
	if len(res.Errors) > 0 {
		t.Fatalf("%d of %d checks failed: %v", len(res.Errors), res.Checks, res.Errors)
	}
	if res.Checks < 2+1+257+6+6 {
		t.Fatalf("only %d checks ran", res.Checks)
	}
}

// TestGoAndBrowserOpenEachOther: a body sealed by Go's crypto/hpke opens
// in Chromium with seal.js, a body sealed in Chromium opens in Go, and both
// compute the same clear hash, for text in the scripts reporters write.
func TestGoAndBrowserOpenEachOther(t *testing.T) {
	ctx := browserPage(t)
	key := newKey(t)
	fields := map[string]any{
		"embassy": "emb1", "language": "my", "needs": []string{"medical", "shelter"}, "people_count": 3,
		"minors_present": true, "nationality": "မြန်မာ", "empty": "", "none": []string{},
	}
	var goFields []seal.Field
	for name, v := range fields {
		goFields = append(goFields, seal.Field{Name: name, Value: v})
	}
	clear, err := seal.ClearHash(goFields)
	if err != nil {
		t.Fatal(err)
	}
	b := seal.Binding{Embassy: "emb1", Kid: "k1", Record: "rec00000000000000001", Clear: clear}
	message := `{"message":"ကျွန်တော်တို့ ၃ ယောက် · ពួកយើង ៣ នាក់ · 我们三个人","contact_phone":"+000 555 0100"}`
	fromGo, err := seal.Seal(key.PublicKey(), b, []byte(message))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Clear    string        `json:"clear"`
		Opened   string        `json:"opened"`
		Sealed   seal.Envelope `json:"sealed"`
		Tampered string        `json:"tampered"`
	}
	inPage(t, ctx, `
		const clear = await s.clearHash(arg.fields);
		const sk = await s.suite.kem.deserializePrivateKey(unhex(arg.sk).buffer);
		const binding = { embassy: 'emb1', kid: 'k1', record: 'rec00000000000000001', clear };
		const opened = new TextDecoder().decode(await s.open(sk, binding, arg.envelope));
		const sealed = await s.seal(unhex(arg.pk), binding, new TextEncoder().encode(arg.message + ' (from the phone)'));
		let tampered = 'opened';
		try { await s.open(sk, { ...binding, record: 'rec00000000000000002' }, arg.envelope); } catch (e) { tampered = 'refused'; }
		return { clear, opened, sealed, tampered };`,
		map[string]any{"fields": fields, "sk": hex.EncodeToString(key.Bytes()), "pk": hex.EncodeToString(key.PublicKey().Bytes()),
			"envelope": fromGo, "message": message}, &res)
	if res.Clear != hex.EncodeToString(clear[:]) {
		t.Fatalf("clear hash: browser %s, Go %x", res.Clear, clear)
	}
	if res.Opened != message {
		t.Fatalf("the browser opened %q", res.Opened)
	}
	if res.Tampered != "refused" {
		t.Fatal("the browser opened a body moved to another record")
	}
	got, err := seal.Open(key, b, res.Sealed)
	if err != nil || string(got) != message+" (from the phone)" {
		t.Fatalf("Go opened the phone's envelope as %q, %v", got, err)
	}
}

// reportStub is a report as ReportClear reads it.
type reportStub map[string]any

func (r reportStub) GetString(n string) string { s, _ := r[n].(string); return s }
func (r reportStub) GetBool(n string) bool     { b, _ := r[n].(bool); return b }
func (r reportStub) GetInt(n string) int       { i, _ := r[n].(int); return i }
func (r reportStub) GetStringSlice(n string) []string {
	s, _ := r[n].([]string)
	return s
}

// TestBrowserAndGoAgreeOnKeysAndClearFields holds seal.js to Go on what
// the phone, the server and the staff's browsers must compute alike: the
// clear fields of a report as the API returns it (needs in another order,
// left_on with its time), the key id, and the key chain: a signature made
// with WebCrypto over the chain statement verifies in Go, and fails for
// another epoch.
func TestBrowserAndGoAgreeOnKeysAndClearFields(t *testing.T) {
	ctx := browserPage(t)
	key := newKey(t)
	phone := reportStub{"embassy": "emb1", "channel": "self", "language": "km", "nationality": "ខ្មែរ", "people_count": 2,
		"minors_present": true, "needs": []string{"shelter", "medical"}, "left_on": "2026-11-02", "consent_contact": true, "consent_version": "v3"}
	clear, err := seal.ClearHash(seal.ReportClear(phone))
	if err != nil {
		t.Fatal(err)
	}
	pub := base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes())
	var res struct {
		Clear, Kid, Verify, Sig string
	}
	inPage(t, ctx, `
		const server = { embassy: 'emb1', channel: 'self', volunteer: '', language: 'km', nationality: 'ខ្មែរ', people_count: 2,
			minors_present: true, needs: ['medical', 'shelter'], left_on: '2026-11-02 00:00:00.000Z', consent_contact: true,
			consent_share: false, consent_version: 'v3', message: '', status: 'new', urgent: true };
		const clear = await s.clearHash(s.reportClear(server));
		const kid = await s.keyId(s.unbase64url(arg.pub));
		const signer = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
		const verify = s.base64url(await crypto.subtle.exportKey('raw', signer.publicKey));
		const sig = s.base64url(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signer.privateKey,
			s.chainStatement('emb1', 2, kid, arg.pub, verify)));
		return { Clear: clear, Kid: kid, Verify: verify, Sig: sig };`, map[string]any{"pub": pub}, &res)
	if res.Clear != hex.EncodeToString(clear[:]) {
		t.Errorf("clear hash: browser %s, Go %x", res.Clear, clear)
	}
	if want := seal.KeyID(key.PublicKey().Bytes()); res.Kid != want {
		t.Errorf("key id: browser %s, Go %s", res.Kid, want)
	}
	if !seal.VerifyChain(res.Verify, seal.ChainStatement("emb1", 2, res.Kid, pub, res.Verify), res.Sig) {
		t.Error("Go does not verify the browser's chain signature")
	}
	if seal.VerifyChain(res.Verify, seal.ChainStatement("emb1", 3, res.Kid, pub, res.Verify), res.Sig) {
		t.Error("the chain signature verifies for another epoch")
	}
}

// TestGoAndBrowserAgreeOnReplies: the phone's reply key (WebCrypto's
// PBKDF2) is Go's seal.ReplyKey to the byte; a reply sealed in Go opens in
// Chromium with seal.js and one sealed in Chromium opens in Go; a reply
// moved to another message does not open; and a staff note's clear hash
// is Go's seal.NoteClear's.
func TestGoAndBrowserAgreeOnReplies(t *testing.T) {
	ctx := browserPage(t)
	const receipt, report = "48210937551280642296", "rep00000000000000001"
	key := seal.ReplyKey(receipt, report)
	b := seal.ReplyBinding{Message: "msg000000000001", Report: report, Direction: "staff"}
	reply := `{"body":"ស្អែក ម៉ោង ៩ · မနက်ဖြန် ၉ နာရီ · Come on Monday at 9:00 <b>&</b>"}`
	fromGo, err := seal.SealReply(key, b, []byte(reply))
	if err != nil {
		t.Fatal(err)
	}
	note := reportStub{"report": report, "kind": "note", "actor": "stf000000000001"}
	noteClear, err := seal.ClearHash(seal.NoteClear(note))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Key, Opened, Moved, NoteClear string
		Sealed                        seal.ReplyEnvelope
	}
	inPage(t, ctx, `
		const keyBytes = await s.replyKeyBytes(arg.receipt, arg.report);
		const key = await s.replyCryptoKey(s.base64url(keyBytes));
		const binding = { message: 'msg000000000001', report: arg.report, direction: 'staff' };
		const opened = new TextDecoder().decode(await s.openReply(key, binding, arg.envelope));
		let moved = 'opened';
		try { await s.openReply(key, { ...binding, message: 'msg000000000002' }, arg.envelope); } catch (e) { moved = 'refused'; }
		const sealed = await s.sealReply(keyBytes, binding, new TextEncoder().encode(arg.reply.replace('Monday', 'Tuesday')));
		const noteClear = await s.clearHash(s.noteClear({ report: arg.report, kind: 'note', actor: 'stf000000000001', note: '' }));
		return { Key: hex(keyBytes), Opened: opened, Moved: moved, Sealed: sealed, NoteClear: noteClear };`,
		map[string]any{"receipt": receipt, "report": report, "envelope": fromGo, "reply": reply}, &res)
	if res.Key != hex.EncodeToString(key) {
		t.Fatalf("reply key: browser %s, Go %x", res.Key, key)
	}
	if res.Opened != reply {
		t.Fatalf("the browser opened %q", res.Opened)
	}
	if res.Moved != "refused" {
		t.Fatal("the browser opened a reply moved to another message")
	}
	raw, err := json.Marshal(res.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseReplyEnvelope(raw); err != nil {
		t.Fatalf("the server would refuse the browser's reply: %v (%s)", err, raw)
	}
	got, err := seal.OpenReply(key, b, res.Sealed)
	if want := strings.Replace(reply, "Monday", "Tuesday", 1); err != nil || string(got) != want {
		t.Fatalf("Go opened the browser's reply as %q, %v", got, err)
	}
	if res.NoteClear != hex.EncodeToString(noteClear[:]) {
		t.Fatalf("note clear hash: browser %s, Go %x", res.NoteClear, noteClear)
	}
}

// TestGoAndBrowserOpenEachOthersFiles: a file of several chunks sealed by
// Go opens in Chromium with seal.js's openFile, one sealed in Chromium
// opens with Go's OpenFile, and in Chromium a file with two chunks
// swapped, a chunk dropped, the last chunk dropped or the end cut off, or
// moved to another report, is refused.
func TestGoAndBrowserOpenEachOthersFiles(t *testing.T) {
	ctx := browserPage(t)
	key := newKey(t)
	kid := seal.KeyID(key.PublicKey().Bytes())
	data := randomBytes(t, 2*seal.FileChunk+5000)
	fromGo, err := seal.SealFile(key.PublicKey(), "emb1", kid, "rep00000000000000001", "image/jpeg", data)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding
	var res struct {
		Mime, Sum, Kid, Sealed, PhoneSum string
		Refused                          map[string]string
	}
	inPage(t, ctx, `
		const unb = (t) => Uint8Array.from(atob(t), (c) => c.charCodeAt(0));
		const b64 = (b) => { let s = ''; for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192)); return btoa(s); };
		const sk = await s.suite.kem.deserializePrivateKey(unhex(arg.sk).buffer);
		const file = unb(arg.file);
		const binding = { embassy: 'emb1', record: 'rep00000000000000001' };
		const opened = await s.openFile(sk, binding, file);
		const sum = hex(await crypto.subtle.digest('SHA-256', opened.data));
		const phone = new Uint8Array(3 * s.FILE_CHUNK + 123);
		for (let i = 0; i < phone.length; i += 65536) crypto.getRandomValues(phone.subarray(i, i + 65536));
		const sealed = await s.sealFile(unhex(arg.pk), { embassy: 'emb1', kid: arg.kid, record: 'rep00000000000000001' }, 'audio/webm', phone);
		const head = file.subarray(0, s.FILE_HEADER_SIZE), body = file.subarray(s.FILE_HEADER_SIZE), full = s.FILE_CHUNK + 16;
		const chunk = (i) => body.subarray(i * full, (i + 1) * full);
		const join = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, head.length)); out.set(head); let at = head.length; for (const p of parts) { out.set(p, at); at += p.length; } return out; };
		const cases = {
			swapped: [binding, join(chunk(1), chunk(0), chunk(2))],
			dropped: [binding, join(chunk(0), chunk(2))],
			lastDropped: [binding, join(chunk(0), chunk(1))],
			cutOff: [binding, file.subarray(0, file.length - 40)],
			moved: [{ embassy: 'emb1', record: 'rep00000000000000002' }, file],
		};
		const refused = {};
		for (const [name, [b, bytes]] of Object.entries(cases)) {
			try { await s.openFile(sk, b, bytes); refused[name] = 'opened'; } catch (e) { refused[name] = 'refused'; }
		}
		return { Mime: opened.mime, Sum: sum, Kid: s.fileKid(file), Sealed: b64(sealed),
			PhoneSum: hex(await crypto.subtle.digest('SHA-256', phone)), Refused: refused };`,
		map[string]any{"sk": hex.EncodeToString(key.Bytes()), "pk": hex.EncodeToString(key.PublicKey().Bytes()), "kid": kid,
			"file": b64.EncodeToString(fromGo)}, &res)
	sum := sha256.Sum256(data)
	if res.Mime != "image/jpeg" || res.Sum != hex.EncodeToString(sum[:]) || res.Kid != kid {
		t.Fatalf("the browser opened Go's file as %q, sha256 %s, kid %s", res.Mime, res.Sum, res.Kid)
	}
	for _, name := range []string{"swapped", "dropped", "lastDropped", "cutOff", "moved"} {
		if res.Refused[name] != "refused" {
			t.Errorf("the browser opened a file %s: %q", name, res.Refused[name])
		}
	}
	sealed, err := b64.DecodeString(res.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseFile(sealed); err != nil {
		t.Fatalf("the server would refuse the phone's file: %v", err)
	}
	mime, plain, err := seal.OpenFile(key, "emb1", "rep00000000000000001", sealed)
	phoneSum := sha256.Sum256(plain)
	if err != nil || mime != "audio/webm" || hex.EncodeToString(phoneSum[:]) != res.PhoneSum {
		t.Fatalf("Go opened the phone's file as %q, %d bytes, %v", mime, len(plain), err)
	}
	if _, _, err := seal.OpenFile(key, "emb1", "rep00000000000000002", sealed); err == nil {
		t.Fatal("Go opened the phone's file for another report")
	}
}

// TestBrowserOpensBodiesOfEverySize holds seal.js's inflating to Go's
// sealing for bodies around the buffer the browser inflates into (64 KiB)
// and up to MaxPlaintext: each opens whole, in both of the ways the
// browser inflates; a body of MaxPlaintext+1 (4 MiB of zeros, sealed to a
// few KB) is refused, not inflated.
func TestBrowserOpensBodiesOfEverySize(t *testing.T) {
	ctx := browserPage(t)
	key := newKey(t)
	b := binding(t)
	type body struct {
		Name     string        `json:"name"`
		Envelope seal.Envelope `json:"envelope"`
		Sum      string        `json:"sum"`
		Len      int           `json:"len"`
	}
	var bodies []body
	add := func(name string, data []byte) {
		env, err := seal.Seal(key.PublicKey(), b, data)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		bodies = append(bodies, body{name, env, hex.EncodeToString(sum[:]), len(data)})
	}
	add("short", []byte(`{"message":"ကူညီပေးပါ"}`))
	for _, n := range []int{64<<10 - 1, 64 << 10, 64<<10 + 1} {
		add(fmt.Sprintf("random %d", n), randomBytes(t, n))
		add(fmt.Sprintf("zeros %d", n), make([]byte, n))
	}
	add("random 300000", randomBytes(t, 300000))
	add("zeros MaxPlaintext", make([]byte, seal.MaxPlaintext))
	add("zeros MaxPlaintext+1", make([]byte, seal.MaxPlaintext+1))
	var res map[string]string
	inPage(t, ctx, `
		const sk = await s.suite.kem.deserializePrivateKey(unhex(arg.sk).buffer);
		const out = {};
		for (const b of arg.bodies) {
			try {
				const plain = await s.open(sk, arg.binding, b.envelope);
				out[b.name] = plain.length + ' ' + hex(await crypto.subtle.digest('SHA-256', plain));
			} catch (e) { out[b.name] = 'refused: ' + e.message; }
		}
		return out;`,
		map[string]any{"sk": hex.EncodeToString(key.Bytes()), "bodies": bodies,
			"binding": map[string]string{"embassy": b.Embassy, "kid": b.Kid, "record": b.Record, "clear": hex.EncodeToString(b.Clear[:])}}, &res)
	for _, bd := range bodies {
		got := res[bd.Name]
		if bd.Len > seal.MaxPlaintext {
			if !strings.HasPrefix(got, "refused: the sealed body is too large") {
				t.Errorf("%s: the browser gave %.80q, want it refused as too large", bd.Name, got)
			}
			continue
		}
		if want := fmt.Sprintf("%d %s", bd.Len, bd.Sum); got != want {
			t.Errorf("%s: the browser opened %.80q, want %q", bd.Name, got, want)
		}
	}
}
