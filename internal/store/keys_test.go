package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
	"github.com/civicgrid/civicgrid/internal/vault"
)

// TestKeyRotation: after a new key version is added and people resealed,
// the old key can be dropped and every number still reads and searches.
func TestKeyRotation(t *testing.T) {
	for _, e := range testdb.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			dsn := testdb.DSN(t, e)
			spec1, err := vault.Generate()
			if err != nil {
				t.Fatal(err)
			}
			k1, _ := vault.Parse(spec1)
			s1 := testdb.MustOpenWith(t, dsn, nil, k1)
			w := mustPeopleWorld(t, s1)
			p, err := s1.SavePerson(ctx, w.community, civic.Person{GridCode: grid1, Name: "周敏", IDNumber: "11010519491231002X", Phone: "13900001111"}, "")
			if err != nil {
				t.Fatal(err)
			}
			spec2, v, err := vault.AddVersion(spec1)
			if err != nil || v != 2 {
				t.Fatal(v, err)
			}
			k2, _ := vault.Parse(spec2)
			s2 := testdb.MustOpenWith(t, dsn, nil, k2)
			if n, err := s2.ResealPeople(ctx); err != nil || n != 1 {
				t.Fatalf("reseal: %d %v", n, err)
			}
			if n, err := s2.ResealPeople(ctx); err != nil || n != 0 {
				t.Fatalf("second reseal: %d %v", n, err)
			}
			s3 := testdb.MustOpenWith(t, dsn, nil, withoutKey1(t, spec2))
			id, phone, err := s3.UnmaskPerson(ctx, w.community, p.ID, "核对轮换结果")
			if err != nil || id != "11010519491231002X" || phone != "13900001111" {
				t.Fatalf("after rotation: %q %q %v", id, phone, err)
			}
			if _, n, err := s3.ListPeople(ctx, w.community, store.PeopleFilter{Query: "13900001111"}); err != nil || n != 1 {
				t.Fatalf("phone search after rotation: %d %v", n, err)
			}
		})
	}
}

// withoutKey1 is the keyring of spec with key version 1 dropped: only the
// lookup key and the later versions remain, as after a rotation retires
// the old key.
func withoutKey1(t *testing.T, spec string) *vault.Keyring {
	t.Helper()
	var kept []string
	for _, line := range strings.Split(spec, "\n") {
		if !strings.HasPrefix(line, "1:") {
			kept = append(kept, line)
		}
	}
	k, err := vault.Parse(strings.Join(kept, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
