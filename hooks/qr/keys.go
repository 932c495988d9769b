package qr

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/tools/security"
)

// keysFileName is the key file inside the data dir. It holds private keys,
// so it is written with mode 0600 and belongs in the backups of pb_data.
const keysFileName = "qr_signing_keys.json"

// kidAlphabet and kidLength make short key ids: every byte of the header
// is printed into every QR code.
const (
	kidAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	kidLength   = 6
)

// Key ring errors, checked with errors.Is by the commands.
var (
	ErrUnknownKey     = errors.New("no such signing key")
	ErrRetireCurrent  = errors.New("the current signing key cannot be retired; rotate first")
	ErrAlreadyRetired = errors.New("the key is already retired")
)

// storedKey is one key as kept on disk. A retired key keeps its id and
// dates, so an id is never reused, but loses its private part.
type storedKey struct {
	Kid     string    `json:"kid"`
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitzero"`
	Private string    `json:"private,omitempty"` // base64 PKCS#8 DER
}

type keysFile struct {
	Keys []storedKey `json:"keys"`
}

// SigningKey is a usable (not retired) key of the ring.
type SigningKey struct {
	Kid     string
	Created time.Time
	Private *ecdsa.PrivateKey
}

// KeyInfo describes a key for listings; it never carries private parts.
type KeyInfo struct {
	Kid     string
	Created time.Time
	Retired time.Time
	Current bool
}

// Keyring is the set of ES256 keys that sign and verify QR links. It is
// backed by a file in the data dir, which the key commands may change
// while the server runs: every read checks whether the file was replaced,
// so a rotation takes effect without a restart.
type Keyring struct {
	path string

	mu     sync.Mutex
	stat   os.FileInfo
	active []SigningKey // oldest first; the last one signs
}

// NewKeyring returns the key ring kept in dataDir. Nothing is read or
// written until it is first used.
func NewKeyring(dataDir string) *Keyring {
	return &Keyring{path: filepath.Join(dataDir, keysFileName)}
}

// Path is the key file's location.
func (k *Keyring) Path() string { return k.path }

// Current returns the key that signs new links, making the first key if
// the ring is empty.
func (k *Keyring) Current() (SigningKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadLocked(); err != nil {
		return SigningKey{}, err
	}
	if len(k.active) == 0 {
		if _, err := k.addLocked(true); err != nil {
			return SigningKey{}, err
		}
	}
	return k.active[len(k.active)-1], nil
}

// Verifying returns the public key with id kid if it is not retired.
func (k *Keyring) Verifying(kid string) (*ecdsa.PublicKey, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadLocked(); err != nil {
		return nil, false, err
	}
	for _, s := range k.active {
		if s.Kid == kid {
			return &s.Private.PublicKey, true, nil
		}
	}
	return nil, false, nil
}

// Public returns every usable key, oldest first, for the JWKS.
func (k *Keyring) Public() ([]SigningKey, error) {
	if _, err := k.Current(); err != nil { // a fresh deployment publishes its first key
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.active), nil
}

// Rotate makes a new signing key. Older keys keep verifying the links
// they signed until they are retired.
func (k *Keyring) Rotate() (SigningKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.loadLocked(); err != nil {
		return SigningKey{}, err
	}
	return k.addLocked(false)
}

// Retire removes the private key kid, so links it signed stop verifying.
// The current signing key cannot be retired.
func (k *Keyring) Retire(kid string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	unlock, err := k.lockFile()
	if err != nil {
		return err
	}
	defer unlock()
	f, err := k.readLocked()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(f.Keys, func(s storedKey) bool { return s.Kid == kid })
	switch {
	case i < 0:
		return ErrUnknownKey
	case !f.Keys[i].Retired.IsZero():
		return ErrAlreadyRetired
	case len(k.active) > 0 && k.active[len(k.active)-1].Kid == kid:
		return ErrRetireCurrent
	}
	f.Keys[i].Retired = time.Now().UTC()
	f.Keys[i].Private = ""
	return k.writeLocked(f)
}

// List describes every key ever made, oldest first.
func (k *Keyring) List() ([]KeyInfo, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f, err := k.readLocked()
	if err != nil {
		return nil, err
	}
	infos := make([]KeyInfo, 0, len(f.Keys))
	for _, s := range f.Keys {
		infos = append(infos, KeyInfo{Kid: s.Kid, Created: s.Created, Retired: s.Retired})
	}
	if len(k.active) > 0 {
		current := k.active[len(k.active)-1].Kid
		for i := range infos {
			infos[i].Current = infos[i].Kid == current
		}
	}
	return infos, nil
}

// loadLocked reloads the ring if the file changed since the last read.
func (k *Keyring) loadLocked() error {
	st, err := os.Stat(k.path)
	if errors.Is(err, os.ErrNotExist) {
		k.stat, k.active = nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat signing keys: %w", err)
	}
	if k.stat != nil && os.SameFile(k.stat, st) && k.stat.ModTime().Equal(st.ModTime()) && k.stat.Size() == st.Size() {
		return nil
	}
	_, err = k.readLocked()
	return err
}

// readLocked reads the file and refreshes the usable keys.
func (k *Keyring) readLocked() (keysFile, error) {
	var f keysFile
	st, err := os.Stat(k.path)
	if errors.Is(err, os.ErrNotExist) {
		k.stat, k.active = nil, nil
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("stat signing keys: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		// Someone widened the permissions: narrow them again rather than
		// serve keys others may have read without saying so.
		if err := os.Chmod(k.path, 0o600); err != nil {
			return f, fmt.Errorf("restrict signing keys file: %w", err)
		}
	}
	raw, err := os.ReadFile(k.path)
	if err != nil {
		return f, fmt.Errorf("read signing keys: %w", err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("decode signing keys %s: %w", k.path, err)
	}
	active := make([]SigningKey, 0, len(f.Keys))
	for _, s := range f.Keys {
		if !s.Retired.IsZero() {
			continue
		}
		priv, err := decodePrivate(s.Private)
		if err != nil {
			return f, fmt.Errorf("decode signing key %s: %w", s.Kid, err)
		}
		active = append(active, SigningKey{Kid: s.Kid, Created: s.Created, Private: priv})
	}
	slices.SortStableFunc(active, func(a, b SigningKey) int { return a.Created.Compare(b.Created) })
	k.stat, k.active = st, active
	return f, nil
}

// addLocked makes a key, appends it to the file and reloads. With
// onlyIfEmpty it makes the first key only, unless another process has
// made one meanwhile.
func (k *Keyring) addLocked(onlyIfEmpty bool) (SigningKey, error) {
	unlock, err := k.lockFile()
	if err != nil {
		return SigningKey{}, err
	}
	defer unlock()
	f, err := k.readLocked()
	if err != nil {
		return SigningKey{}, err
	}
	if onlyIfEmpty && len(k.active) > 0 {
		return k.active[len(k.active)-1], nil
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	kid := newKid(f)
	created := time.Now().UTC()
	// Keys sort by creation time; keep them strictly increasing even when
	// two are made within the clock's resolution.
	for _, s := range f.Keys {
		if !created.After(s.Created) {
			created = s.Created.Add(time.Microsecond)
		}
	}
	f.Keys = append(f.Keys, storedKey{Kid: kid, Created: created, Private: base64.StdEncoding.EncodeToString(der)})
	if err := k.writeLocked(f); err != nil {
		return SigningKey{}, err
	}
	return SigningKey{Kid: kid, Created: created, Private: priv}, nil
}

// Cross-process lock around changes: the server (first key) and the key
// commands (rotate, retire) may run at once, and each must re-read the
// file under the lock so neither drops the other's key.
const (
	lockWait  = 10 * time.Second
	lockStale = time.Minute // a lock older than this was left by a crash
)

// lockFile takes the key file's lock, returning the function that frees it.
func (k *Keyring) lockFile() (func(), error) {
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	name := k.path + ".lock"
	deadline := time.Now().Add(lockWait)
	for {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(name) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("lock signing keys: %w", err)
		}
		if st, err := os.Stat(name); err == nil && time.Since(st.ModTime()) > lockStale {
			os.Remove(name)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock signing keys: %s is held; remove it if no other homeward process runs", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeLocked replaces the file atomically (temp file, fsync, rename), so
// a reader never sees half a key and a crash never loses the old keys.
func (k *Keyring) writeLocked(f keysFile) error {
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encode signing keys: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(k.path), keysFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("write signing keys: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("restrict signing keys file: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write signing keys: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync signing keys: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write signing keys: %w", err)
	}
	if err := os.Rename(tmp.Name(), k.path); err != nil {
		return fmt.Errorf("replace signing keys: %w", err)
	}
	_, err = k.readLocked()
	return err
}

func decodePrivate(s string) (*ecdsa.PrivateKey, error) {
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 key")
	}
	return ec, nil
}

// newKid returns a key id not used by any key of f, retired ones included.
func newKid(f keysFile) string {
	for {
		kid := security.RandomStringWithAlphabet(kidLength, kidAlphabet)
		if !slices.ContainsFunc(f.Keys, func(s storedKey) bool { return s.Kid == kid }) {
			return kid
		}
	}
}
