package seal_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"homeward/internal/seal"
)

// TestReplyKeyIsPBKDF2OfTheReceipt holds ReplyKey to a vector computed
// apart (Python's hashlib.pbkdf2_hmac('sha256', receipt, b'homeward reply
// key v1\x00' + report id, 600000, 16)), and to depend on both the receipt
// and the report.
func TestReplyKeyIsPBKDF2OfTheReceipt(t *testing.T) {
	t.Parallel()
	got := seal.ReplyKey("48210937551280642296", "rep00000000000000001")
	if hex.EncodeToString(got) != "0055120efb47b5776102d81211ae6d6c" {
		t.Fatalf("ReplyKey = %x", got)
	}
	if bytes.Equal(seal.ReplyKey("48210937551280642297", "rep00000000000000001"), got) {
		t.Fatal("another receipt gives the same key")
	}
	if bytes.Equal(seal.ReplyKey("48210937551280642296", "rep00000000000000002"), got) {
		t.Fatal("another report gives the same key")
	}
}

func TestAReplyOpensOnlyWithItsKeyAndBinding(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, seal.ReplyKeySize)
	other := bytes.Repeat([]byte{8}, seal.ReplyKeySize)
	b := seal.ReplyBinding{Message: "msg000000000001", Report: "rep00000000000000001", Direction: "staff"}
	plain := []byte(`{"body":"Come to the embassy on Monday, 9:00. ទូតនឹងជួយ។"}`)
	env, err := seal.SealReply(key, b, plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := seal.OpenReply(key, b, env)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v", got, err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.ParseReplyEnvelope(raw); err != nil {
		t.Fatalf("its own envelope does not parse: %v", err)
	}
	again, _ := seal.SealReply(key, b, plain)
	if again.Nonce == env.Nonce {
		t.Fatal("two replies share a nonce")
	}
	for _, tc := range []struct {
		name string
		key  []byte
		b    seal.ReplyBinding
	}{
		{"another key", other, b},
		{"another message", key, seal.ReplyBinding{Message: "msg000000000002", Report: b.Report, Direction: b.Direction}},
		{"another report", key, seal.ReplyBinding{Message: b.Message, Report: "rep00000000000000002", Direction: b.Direction}},
		{"the reporter's direction", key, seal.ReplyBinding{Message: b.Message, Report: b.Report, Direction: "reporter"}},
	} {
		if _, err := seal.OpenReply(tc.key, tc.b, env); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", tc.name, err)
		}
	}
	hpke := env
	hpke.Suite = seal.SuiteName
	if _, err := seal.OpenReply(key, b, hpke); !errors.Is(err, seal.ErrFormat) {
		t.Errorf("another suite: err = %v", err)
	}
}

// TestReplyEnvelopesOfAnotherShapeAreRefused: ParseReplyEnvelope, the
// server's only look at a reply, refuses what a staff browser does not
// send.
func TestReplyEnvelopesOfAnotherShapeAreRefused(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{7}, seal.ReplyKeySize)
	env, err := seal.SealReply(key, seal.ReplyBinding{Message: "m", Report: "r", Direction: "staff"}, []byte(`{"body":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(env)
	with := func(f func(map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	for name, raw := range map[string][]byte{
		"not JSON":         []byte("{"),
		"an extra field":   with(func(m map[string]any) { m["kid"] = "k1" }),
		"version 2":        with(func(m map[string]any) { m["v"] = 2 }),
		"the HPKE suite":   with(func(m map[string]any) { m["suite"] = seal.SuiteName }),
		"a short nonce":    with(func(m map[string]any) { m["nonce"] = "AAAA" }),
		"no nonce":         with(func(m map[string]any) { delete(m, "nonce") }),
		"unpadded text":    with(func(m map[string]any) { m["ct"] = "SGVsbG8sIHdvcmxkIQ" }),
		"data after it":    append(append([]byte{}, good...), []byte(" {}")...),
		"base64 with pads": with(func(m map[string]any) { m["nonce"] = m["nonce"].(string) + "==" }),
	} {
		if _, err := seal.ParseReplyEnvelope(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseReplyEnvelope(f *testing.F) {
	env, _ := seal.SealReply(bytes.Repeat([]byte{1}, 16), seal.ReplyBinding{}, []byte("seed"))
	good, _ := json.Marshal(env)
	f.Add(good)
	f.Add([]byte(`{"v":1,"suite":"reply-pbkdf2-aes128gcm","nonce":"","ct":""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := seal.ParseReplyEnvelope(raw)
		if err != nil {
			return
		}
		// What parses opens or fails cleanly with any key.
		seal.OpenReply(bytes.Repeat([]byte{1}, 16), seal.ReplyBinding{}, e)
	})
}

// BenchmarkReplyKey is what the server pays, once per report it seals on
// arrival with its receipt, to derive the reply key (before the write
// lock).
func BenchmarkReplyKey(b *testing.B) {
	for b.Loop() {
		seal.ReplyKey("48210937551280642296", "rep00000000000000001")
	}
}
