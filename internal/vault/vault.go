package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// KeySize is the length of every key: AES-256 and a 256-bit HMAC key.
const KeySize = 32

// Keyring holds the encryption keys by version, the active version that
// new values are sealed with, and the lookup key.
type Keyring struct {
	aeads  map[int]cipher.AEAD
	active int
	lookup []byte
}

// New builds a keyring from encryption keys by version (the highest version
// is active) and a lookup key.
func New(keys map[int][]byte, lookup []byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: no encryption key")
	}
	if len(lookup) != KeySize {
		return nil, fmt.Errorf("vault: the lookup key must be %d bytes, got %d", KeySize, len(lookup))
	}
	k := &Keyring{aeads: map[int]cipher.AEAD{}, lookup: append([]byte(nil), lookup...)}
	for v, key := range keys {
		if v <= 0 {
			return nil, fmt.Errorf("vault: key version %d: versions start at 1", v)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("vault: key %d must be %d bytes, got %d", v, KeySize, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("vault: key %d: %w", v, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("vault: key %d: %w", v, err)
		}
		k.aeads[v] = aead
		if v > k.active {
			k.active = v
		}
	}
	return k, nil
}

// Active is the version new values are sealed with.
func (k *Keyring) Active() int { return k.active }

// Versions lists the versions the keyring can open, ascending.
func (k *Keyring) Versions() []int {
	out := make([]int, 0, len(k.aeads))
	for v := range k.aeads {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

// Seal encrypts plain under the active key. The result reads
// "v<version>:<base64 nonce‖ciphertext>", so that Open knows its key; the
// empty string seals to the empty string.
func (k *Keyring) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	aead := k.aeads[k.active]
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("vault: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, []byte(plain), nil)
	return "v" + strconv.Itoa(k.active) + ":" + base64.RawStdEncoding.EncodeToString(buf), nil
}

// Open decrypts a value made by Seal under any key the keyring holds.
func (k *Keyring) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	v, err := Version(sealed)
	if err != nil {
		return "", err
	}
	aead, ok := k.aeads[v]
	if !ok {
		return "", fmt.Errorf("vault: no key version %d in the keyring", v)
	}
	_, b64, _ := strings.Cut(sealed, ":")
	buf, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(buf) < aead.NonceSize()+aead.Overhead() {
		return "", errors.New("vault: malformed sealed value")
	}
	plain, err := aead.Open(nil, buf[:aead.NonceSize()], buf[aead.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("vault: open with key %d: %w", v, err)
	}
	return string(plain), nil
}

// Version is the key version a sealed value was made with.
func Version(sealed string) (int, error) {
	head, _, ok := strings.Cut(sealed, ":")
	if !ok || len(head) < 2 || head[0] != 'v' {
		return 0, errors.New("vault: malformed sealed value")
	}
	v, err := strconv.Atoi(head[1:])
	if err != nil || v <= 0 {
		return 0, errors.New("vault: malformed key version")
	}
	return v, nil
}

// Lookup is the keyed hash of a value for exact-match search. kind keeps
// equal strings of different kinds (an ID number, a phone) apart.
func (k *Keyring) Lookup(kind, plain string) string {
	if plain == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.lookup)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil)[:20])
}

// Parse reads a keyring from its text form, one key per line or separated
// by commas:
//
//	lookup:<base64 32 bytes>
//	1:<base64 32 bytes>
//	2:<base64 32 bytes>
//
// Blank lines and lines starting with # are ignored.
func Parse(spec string) (*Keyring, error) {
	keys := map[int][]byte{}
	var lookup []byte
	var entries []string
	for _, line := range strings.Split(spec, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			entries = append(entries, strings.Split(line, ",")...)
		}
	}
	for _, f := range entries {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		name, b64, ok := strings.Cut(f, ":")
		if !ok {
			return nil, fmt.Errorf("vault: key entry %q: want version:base64", name)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("vault: key %s: %w", name, err)
		}
		if name = strings.TrimSpace(name); name == "lookup" {
			lookup = key
			continue
		}
		v, err := strconv.Atoi(name)
		if err != nil {
			return nil, fmt.Errorf("vault: key version %q is not a number", name)
		}
		if _, dup := keys[v]; dup {
			return nil, fmt.Errorf("vault: key version %d given twice", v)
		}
		keys[v] = key
	}
	if lookup == nil {
		return nil, errors.New("vault: no lookup key (a line lookup:<base64>)")
	}
	return New(keys, lookup)
}

// Generate makes the text form of a new keyring: a lookup key and key 1.
func Generate() (string, error) {
	var b strings.Builder
	b.WriteString("# civicgrid personal-data keys. Back this up with the database and keep it secret:\n")
	b.WriteString("# without it, ID and phone numbers cannot be read. Rotate by adding a higher version.\n")
	for _, name := range []string{"lookup", "1"} {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return "", fmt.Errorf("vault: generate key: %w", err)
		}
		fmt.Fprintf(&b, "%s:%s\n", name, base64.StdEncoding.EncodeToString(key))
	}
	return b.String(), nil
}

// AddVersion appends a new encryption key, one version above the highest,
// to a keyring's text form; it becomes the active key.
func AddVersion(spec string) (string, int, error) {
	k, err := Parse(spec)
	if err != nil {
		return "", 0, err
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", 0, fmt.Errorf("vault: generate key: %w", err)
	}
	v := k.active + 1
	spec = strings.TrimRight(spec, "\n") + fmt.Sprintf("\n%d:%s\n", v, base64.StdEncoding.EncodeToString(key))
	return spec, v, nil
}

// LoadOrCreate reads the keyring file at path, creating it with fresh keys
// (mode 0600) when it does not exist. created reports the latter so that the
// caller can warn that the file must be backed up.
func LoadOrCreate(path string) (k *Keyring, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		spec, err := Generate()
		if err != nil {
			return nil, false, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("vault: create %s: %w", path, err)
		}
		if _, err := f.WriteString(spec); err != nil {
			f.Close()
			return nil, false, fmt.Errorf("vault: write %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, false, fmt.Errorf("vault: write %s: %w", path, err)
		}
		k, err := Parse(spec)
		return k, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("vault: read %s: %w", path, err)
	}
	k, err = Parse(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return k, false, nil
}
