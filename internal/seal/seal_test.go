package seal_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"homeward/internal/seal"
)

func newKey(t testing.TB) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func binding(t testing.TB) seal.Binding {
	t.Helper()
	clear, err := seal.ClearHash([]seal.Field{{"embassy", "emb1"}, {"needs", []string{"medical", "shelter"}}, {"people_count", 3}, {"minors_present", true}})
	if err != nil {
		t.Fatal(err)
	}
	return seal.Binding{Embassy: "emb1", Kid: "k1", Record: "rec00000000000000001", Clear: clear}
}

func TestSealOpensOnlyWhereItBelongs(t *testing.T) {
	t.Parallel()
	key, other := newKey(t), newKey(t)
	b := binding(t)
	msg := []byte(`{"message":"We are 3, one is 16. Building C, 4th floor.","contact_phone":"+000 555"}`)
	env, err := seal.Seal(key.PublicKey(), b, msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := seal.Open(key, b, env)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open = %q, %v", got, err)
	}
	if bytes.Contains([]byte(env.CT), msg[:10]) {
		t.Fatal("the ciphertext carries the plaintext")
	}
	moved := func(f func(*seal.Binding)) seal.Binding { c := b; f(&c); return c }
	otherClear := b.Clear
	otherClear[0] ^= 1
	for _, tc := range []struct {
		name string
		key  *ecdh.PrivateKey
		b    seal.Binding
		env  seal.Envelope
		want error
	}{
		{"another embassy's key", other, b, env, seal.ErrOpen},
		{"moved to another embassy", key, moved(func(c *seal.Binding) { c.Embassy = "emb2" }), env, seal.ErrOpen},
		{"moved to another record", key, moved(func(c *seal.Binding) { c.Record = "rec00000000000000002" }), env, seal.ErrOpen},
		{"clear fields changed", key, moved(func(c *seal.Binding) { c.Clear = otherClear }), env, seal.ErrOpen},
		{"another key id", key, moved(func(c *seal.Binding) { c.Kid = "k2" }), env, seal.ErrBinding},
		{"another version", key, b, seal.Envelope{V: 2, Suite: env.Suite, Kid: env.Kid, Enc: env.Enc, CT: env.CT}, seal.ErrFormat},
		{"not base64", key, b, seal.Envelope{V: 1, Suite: env.Suite, Kid: env.Kid, Enc: "!!", CT: env.CT}, seal.ErrFormat},
		{"a flipped ciphertext bit", key, b, seal.Envelope{V: 1, Suite: env.Suite, Kid: env.Kid, Enc: env.Enc, CT: flip(env.CT)}, seal.ErrOpen},
	} {
		if _, err := seal.Open(tc.key, tc.b, tc.env); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}

func TestPadHidesTheLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, want int }{
		{0, 64}, {63, 64}, {64, 72}, {255, 256}, {256, 272}, {1000, 1024}, {5000, 5120}, {65535, 65536}, {65536, 67584}, {200000, 200704},
	} {
		p := seal.Pad(make([]byte, tc.n))
		if len(p) != tc.want {
			t.Errorf("Pad(%d bytes) = %d bytes, want %d", tc.n, len(p), tc.want)
		}
		back, err := seal.Unpad(p)
		if err != nil || len(back) != tc.n {
			t.Errorf("Unpad(Pad(%d bytes)) = %d bytes, %v", tc.n, len(back), err)
		}
	}
	// Padmé's promise: at most 12 % more than the marked length.
	for n := 64; n < 1<<20; n += 1 + n/97 {
		if p := len(seal.Pad(make([]byte, n))); p < n+1 || float64(p) > 1.12*float64(n+1) {
			t.Fatalf("Pad(%d bytes) = %d bytes, more than 12 %% over", n, p)
		}
	}
	for _, bad := range [][]byte{nil, {0, 0}, {1, 2, 3}} {
		if _, err := seal.Unpad(bad); !errors.Is(err, seal.ErrPadding) {
			t.Errorf("Unpad(%v) = %v, want ErrPadding", bad, err)
		}
	}
}

// TestOpenRefusesABodyThatWouldInflateTooFar: a sealed body is inflated
// to at most MaxPlaintext, so a server cannot make a staff browser or
// Go fill its memory with a small envelope of zeros.
func TestOpenRefusesABodyThatWouldInflateTooFar(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	b := binding(t)
	env, err := seal.Seal(key.PublicKey(), b, make([]byte, seal.MaxPlaintext+1))
	if err != nil {
		t.Fatal(err)
	}
	if len(env.CT) > 16<<10 {
		t.Fatalf("%d MiB of zeros sealed to %d bytes: not compressed", seal.MaxPlaintext>>20, len(env.CT))
	}
	if _, err := seal.Open(key, b, env); !errors.Is(err, seal.ErrFormat) {
		t.Fatalf("Open of a body over MaxPlaintext: %v, want ErrFormat", err)
	}
	env, err = seal.Seal(key.PublicKey(), b, make([]byte, seal.MaxPlaintext))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := seal.Open(key, b, env); err != nil || len(got) != seal.MaxPlaintext {
		t.Fatalf("Open of a body of MaxPlaintext: %d bytes, %v", len(got), err)
	}
}

func FuzzPadUnpad(f *testing.F) {
	f.Add([]byte("hello"))
	f.Add([]byte{0x80, 0, 0})
	f.Add(make([]byte, 300))
	f.Fuzz(func(t *testing.T, b []byte) {
		back, err := seal.Unpad(seal.Pad(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("round trip of %x: %x, %v", b, back, err)
		}
	})
}

func TestClearHashIsCanonical(t *testing.T) {
	t.Parallel()
	a, err := seal.ClearHash([]seal.Field{{"b", "x"}, {"a", []string{"1", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := seal.ClearHash([]seal.Field{{"a", []string{"1", "2"}}, {"b", "x"}})
	if a != b {
		t.Error("the order of fields changes the hash")
	}
	// Lengths keep values apart: ("ab","c") is not ("a","bc").
	c, _ := seal.ClearHash([]seal.Field{{"a", []string{"ab", "c"}}})
	d, _ := seal.ClearHash([]seal.Field{{"a", []string{"a", "bc"}}})
	if c == d {
		t.Error("list items run together")
	}
	if _, err := seal.ClearHash([]seal.Field{{"x", 1.5}}); err == nil {
		t.Error("a float was hashed")
	}
}

// rfcVector is testdata/rfc9180-a3-base.json.
type rfcVector struct {
	Info        string `json:"info"`
	IkmE        string `json:"ikmE"`
	IkmR        string `json:"ikmR"`
	PkRm        string `json:"pkRm"`
	SkRm        string `json:"skRm"`
	Enc         string `json:"enc"`
	Encryptions []struct {
		Seq int    `json:"seq"`
		Pt  string `json:"pt"`
		Aad string `json:"aad"`
		Ct  string `json:"ct"`
	} `json:"encryptions"`
	Exports []struct {
		Context string `json:"context"`
		L       int    `json:"L"`
		Value   string `json:"value"`
	} `json:"exports"`
}

func loadVector(t testing.TB) rfcVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/rfc9180-a3-base.json")
	if err != nil {
		t.Fatal(err)
	}
	var v rfcVector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTheVectorOpensInGo checks the test data against Go's crypto/hpke
// before the browser is held to it: the recipient of RFC 9180 A.3.1 opens
// the first encryption and exports the published values.
func TestTheVectorOpensInGo(t *testing.T) {
	t.Parallel()
	v := loadVector(t)
	sk, err := ecdh.P256().NewPrivateKey(unhex(t, v.SkRm))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sk.PublicKey().Bytes(), unhex(t, v.PkRm)) {
		t.Fatal("skRm does not give pkRm")
	}
	k, err := hpke.NewDHKEMPrivateKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	r, err := hpke.NewRecipient(unhex(t, v.Enc), k, hpke.HKDFSHA256(), hpke.AES128GCM(), unhex(t, v.Info))
	if err != nil {
		t.Fatal(err)
	}
	first := v.Encryptions[0]
	pt, err := r.Open(unhex(t, first.Aad), unhex(t, first.Ct))
	if err != nil || !bytes.Equal(pt, unhex(t, first.Pt)) {
		t.Fatalf("open seq 0: %x, %v", pt, err)
	}
	for _, e := range v.Exports {
		got, err := r.Export(string(unhex(t, e.Context)), e.L)
		if err != nil || hex.EncodeToString(got) != e.Value {
			t.Errorf("export %q = %x, %v, want %s", e.Context, got, err, e.Value)
		}
	}
}

// FuzzParseEnvelope holds the server's check of an envelope sent from
// outside: it never panics, and what it accepts has this version and
// suite, a 65-byte uncompressed point and a length Pad makes.
func FuzzParseEnvelope(f *testing.F) {
	key := newKey(f)
	env, err := seal.Seal(key.PublicKey(), binding(f), []byte(`{"message":"x"}`))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(env)
	f.Add(good)
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":1,"suite":"` + seal.SuiteName + `","kid":"k","enc":"","ct":""}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"v":1,"suite":"x","kid":"k","enc":"AA","ct":"AA","extra":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := seal.ParseEnvelope(raw)
		if err != nil {
			return
		}
		enc, err1 := base64.RawURLEncoding.DecodeString(e.Enc)
		ct, err2 := base64.RawURLEncoding.DecodeString(e.CT)
		if e.V != seal.Version || e.Suite != seal.SuiteName || e.Kid == "" || err1 != nil || err2 != nil ||
			len(enc) != 65 || enc[0] != 4 || len(ct) < 64+16 || len(ct) > seal.MaxPadded+16 || len(seal.Pad(make([]byte, len(ct)-17))) != len(ct)-16 {
			t.Fatalf("accepted %q", raw)
		}
	})
}

func TestParseEnvelopeTakesWhatSealMakes(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for _, n := range []int{0, 300, 5000, 20000} {
		env, err := seal.Seal(key.PublicKey(), binding(t), make([]byte, n))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(env)
		if _, err := seal.ParseEnvelope(raw); err != nil {
			t.Errorf("a %d-byte body: %v", n, err)
		}
	}
	// Random bytes do not compress: padded, they are over the limit.
	noise := make([]byte, seal.MaxPadded)
	rand.Read(noise)
	env, _ := seal.Seal(key.PublicKey(), binding(t), noise)
	raw, _ := json.Marshal(env)
	if _, err := seal.ParseEnvelope(raw); !errors.Is(err, seal.ErrShape) {
		t.Errorf("a body over %d bytes padded: %v", seal.MaxPadded, err)
	}
}
