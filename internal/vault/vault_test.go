package vault

import (
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t testing.TB, spec string) *Keyring {
	t.Helper()
	k, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRotate(t *testing.T) {
	spec, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	k1 := mustParse(t, spec)
	sealed, err := k1.Seal("110101199003071234")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "1234") || !strings.HasPrefix(sealed, "v1:") {
		t.Fatalf("sealed %q", sealed)
	}
	again, _ := k1.Seal("110101199003071234")
	if again == sealed {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	spec2, v, err := AddVersion(spec)
	if err != nil || v != 2 {
		t.Fatalf("add version: %d %v", v, err)
	}
	k2 := mustParse(t, spec2)
	if k2.Active() != 2 {
		t.Fatalf("active %d", k2.Active())
	}
	plain, err := k2.Open(sealed)
	if err != nil || plain != "110101199003071234" {
		t.Fatalf("open old value with rotated ring: %q %v", plain, err)
	}
	resealed, _ := k2.Seal(plain)
	if ver, _ := Version(resealed); ver != 2 {
		t.Fatalf("resealed with version %d", ver)
	}
	if _, err := k1.Open(resealed); err == nil {
		t.Fatal("old ring opened a value sealed with a key it does not hold")
	}
	if k1.Lookup("id", plain) != k2.Lookup("id", plain) {
		t.Fatal("rotation changed the lookup hash")
	}
	if k1.Lookup("id", plain) == k1.Lookup("phone", plain) {
		t.Fatal("lookup does not separate kinds")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := k1.Open(tampered); err == nil {
		t.Fatal("tampered value opened")
	}
}

func TestParseErrors(t *testing.T) {
	for name, spec := range map[string]string{
		"no lookup":   "1:" + strings.Repeat("A", 43) + "=",
		"short key":   "lookup:" + strings.Repeat("A", 43) + "=\n1:AAAA",
		"bad version": "lookup:" + strings.Repeat("A", 43) + "=\nx:" + strings.Repeat("A", 43) + "=",
		"no keys":     "lookup:" + strings.Repeat("A", 43) + "=",
	} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	k, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	s, _ := k.Seal("13800138000")
	k2, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("load: %v %v", created, err)
	}
	if p, err := k2.Open(s); err != nil || p != "13800138000" {
		t.Fatalf("reopen: %q %v", p, err)
	}
}

func BenchmarkSeal(b *testing.B) {
	spec, _ := Generate()
	k := mustParse(b, spec)
	for i := 0; i < b.N; i++ {
		k.Seal("110101199003071234")
		k.Lookup("id", "110101199003071234")
	}
}
