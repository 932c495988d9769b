package seal_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"homeward/internal/seal"
)

const fileKid = "AAAAAAAAAAAAAAAA"

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestSealedFilesOpenWhole: files of every size around the chunk
// boundaries come back whole with their media type, and their sealed
// length is one the server takes (FileLengthFits, ParseFile).
func TestSealedFilesOpenWhole(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	for _, n := range []int{0, 1, 62, 63, 64, seal.FileChunk - 20, seal.FileChunk - 12, seal.FileChunk, seal.FileChunk + 1, 3*seal.FileChunk + 17, 800 << 10} {
		data := randomBytes(t, n)
		sealed, err := seal.SealFile(key.PublicKey(), "emb1", fileKid, "rep00000000000000001", "image/jpeg", data)
		if err != nil {
			t.Fatal(err)
		}
		if !seal.FileLengthFits(int64(len(sealed))) {
			t.Errorf("%d bytes: sealed length %d does not fit", n, len(sealed))
		}
		h, err := seal.ParseFile(sealed)
		if err != nil || h.Kid != fileKid {
			t.Errorf("%d bytes: ParseFile = %+v, %v", n, h, err)
		}
		mime, got, err := seal.OpenFile(key, "emb1", "rep00000000000000001", sealed)
		if err != nil || mime != "image/jpeg" || !bytes.Equal(got, data) {
			t.Errorf("%d bytes: opened %q, %d bytes, %v", n, mime, len(got), err)
		}
		if n >= 64 && bytes.Contains(sealed, data[:32]) {
			t.Errorf("%d bytes: the sealed file carries the plaintext", n)
		}
	}
}

// TestSealedFilesRefuseChangedChunks: a chunk reordered, dropped, cut off
// or changed, a file moved to another report or embassy, or opened with
// another key, does not open.
func TestSealedFilesRefuseChangedChunks(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	data := randomBytes(t, 3*seal.FileChunk+1000) // four chunks
	sealed, err := seal.SealFile(key.PublicKey(), "emb1", fileKid, "rep00000000000000001", "image/jpeg", data)
	if err != nil {
		t.Fatal(err)
	}
	head, body := sealed[:seal.FileHeaderSize], sealed[seal.FileHeaderSize:]
	full := seal.FileChunk + 16
	chunk := func(i int) []byte { return body[i*full : min((i+1)*full, len(body))] }
	join := func(parts ...[]byte) []byte { return slices.Concat(append([][]byte{head}, parts...)...) }
	flipped := bytes.Clone(sealed)
	flipped[seal.FileHeaderSize+100] ^= 1
	otherKid := bytes.Clone(sealed)
	otherKid[15] = 'B'
	for _, tc := range []struct {
		name    string
		key     *ecdh.PrivateKey
		embassy string
		record  string
		file    []byte
	}{
		{"two chunks swapped", nil, "emb1", "rep00000000000000001", join(chunk(1), chunk(0), chunk(2), chunk(3))},
		{"a middle chunk dropped", nil, "emb1", "rep00000000000000001", join(chunk(0), chunk(2), chunk(3))},
		{"the last chunk dropped", nil, "emb1", "rep00000000000000001", join(chunk(0), chunk(1), chunk(2))},
		{"cut off inside the last chunk", nil, "emb1", "rep00000000000000001", sealed[:len(sealed)-100]},
		{"the last chunk twice", nil, "emb1", "rep00000000000000001", join(chunk(0), chunk(1), chunk(2), chunk(3), chunk(3))},
		{"a flipped bit", nil, "emb1", "rep00000000000000001", flipped},
		{"moved to another report", nil, "emb1", "rep00000000000000002", sealed},
		{"moved to another embassy", nil, "emb2", "rep00000000000000001", sealed},
		{"another key id in the header", nil, "emb1", "rep00000000000000001", otherKid},
		{"another key", newKey(t), "emb1", "rep00000000000000001", sealed},
	} {
		k := key
		if tc.key != nil {
			k = tc.key
		}
		if _, _, err := seal.OpenFile(k, tc.embassy, tc.record, tc.file); err == nil {
			t.Errorf("%s: opened", tc.name)
		} else if !errors.Is(err, seal.ErrOpen) && !errors.Is(err, seal.ErrFileLength) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestParseFileRefusesWhatIsNotASealedFile: the server's check without a
// key refuses a photo, a cut header, another version, suite or chunk
// size, a key id of other characters, an enc that is no point, and
// lengths that are no whole chunks of a padded plaintext.
func TestParseFileRefusesWhatIsNotASealedFile(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	sealed, err := seal.SealFile(key.PublicKey(), "emb1", fileKid, "rep00000000000000001", "audio/webm", randomBytes(t, 5000))
	if err != nil {
		t.Fatal(err)
	}
	with := func(at int, b byte) []byte { c := bytes.Clone(sealed); c[at] = b; return c }
	for _, tc := range []struct {
		name string
		file []byte
		want error
	}{
		{"a JPEG", append([]byte{0xff, 0xd8, 0xff, 0xe0}, make([]byte, 300)...), seal.ErrFileFormat},
		{"a cut header", sealed[:seal.FileHeaderSize-1], seal.ErrFileFormat},
		{"version 2", with(4, 2), seal.ErrFileFormat},
		{"another KEM", with(6, 0x11), seal.ErrFileFormat},
		{"another chunk size", with(12, 2), seal.ErrFileFormat},
		{"a key id with a space", with(20, ' '), seal.ErrFileFormat},
		{"a compressed point", with(15+16, 2), seal.ErrFileFormat},
		{"a header alone", sealed[:seal.FileHeaderSize], seal.ErrFileLength},
		{"one byte short", sealed[:len(sealed)-1], seal.ErrFileLength},
		{"one byte more", append(bytes.Clone(sealed), 0), seal.ErrFileLength},
	} {
		if _, err := seal.ParseFile(tc.file); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestFileLengthFitsExactlyTheSealedLengths: for every plaintext length up
// to three chunks, the lengths SealFile makes are the lengths
// FileLengthFits takes, and no others.
func TestFileLengthFitsExactlyTheSealedLengths(t *testing.T) {
	t.Parallel()
	made := map[int64]bool{}
	for n := 0; n <= 3*seal.FileChunk; n++ {
		padded := seal.PadLen(1 + len("image/jpeg") + n)
		chunks := (padded + seal.FileChunk - 1) / seal.FileChunk
		made[int64(seal.FileHeaderSize+padded+16*chunks)] = true
	}
	var limit int64
	for n := range made {
		limit = max(limit, n)
	}
	for n := int64(0); n <= limit; n++ {
		if seal.FileLengthFits(n) != made[n] {
			t.Fatalf("FileLengthFits(%d) = %v, SealFile makes it: %v", n, !made[n], made[n])
		}
	}
}

func FuzzParseFile(f *testing.F) {
	key := newKey(f)
	sealed, err := seal.SealFile(key.PublicKey(), "emb1", fileKid, "rep00000000000000001", "image/png", []byte("a small png"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:seal.FileHeaderSize])
	f.Add([]byte("HWSF"))
	f.Add([]byte{0xff, 0xd8})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := seal.ParseFile(b)
		if err != nil {
			return
		}
		if !seal.FileLengthFits(int64(len(b))) || len(h.Enc) != 65 || len(h.Kid) != 16 {
			t.Fatalf("parsed %d bytes as %+v", len(b), h)
		}
		// A file that parses either opens with the key or is refused; it
		// never panics or opens as something else.
		if _, _, err := seal.OpenFile(key, "emb1", "rep00000000000000001", b); err != nil &&
			!errors.Is(err, seal.ErrOpen) && !errors.Is(err, seal.ErrPadding) && !errors.Is(err, seal.ErrFileFormat) {
			t.Fatal(err)
		}
	})
}
