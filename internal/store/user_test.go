package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicgrid/civicgrid/internal/civic"
	"github.com/civicgrid/civicgrid/internal/store"
	"github.com/civicgrid/civicgrid/internal/testdb"
)

// TestScopeFitsRole: front-line accounts hold at most their role's level of
// the region tree, when made and when re-scoped; an account that already
// holds a wider scope can still change its own name.
func TestScopeFitsRole(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustCaseWorld(t, s)
		cases := []struct {
			role  civic.Role
			scope string
			ok    bool
		}{
			{civic.RoleGridWorker, "110101001001001", true},
			{civic.RoleGridWorker, "110101001001", true},
			{civic.RoleGridWorker, "110101001", false},
			{civic.RoleGridWorker, "1101", false},
			{civic.RoleCommunityStaff, "110101001001", true},
			{civic.RoleCommunityStaff, "110101001", false},
			{civic.RoleStreetStaff, "110101001", true},
			{civic.RoleStreetStaff, "110101", false},
			{civic.RoleOperator, "1101", true},
			{civic.RoleLeader, "1101", true},
			{civic.RoleResident, "110101001001", true},
		}
		for i, c := range cases {
			name := "fit" + string(rune('a'+i))
			_, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: c.role, Scope: civic.Scope{RegionCode: c.scope}})
			if c.ok && err != nil {
				t.Errorf("%s at %s: %v", c.role, c.scope, err)
			}
			if !c.ok {
				e := civic.AsError(err)
				if e.Code != civic.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "scope_code" {
					t.Errorf("%s at %s: want scope_code refused, got %v", c.role, c.scope, err)
				}
			}
		}

		// Re-scoping a leader into a grid worker keeps the rule, and the
		// refused change writes nothing.
		u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "boss", DisplayName: "王领导", Password: "password-boss", Role: civic.RoleLeader, Scope: civic.Scope{RegionCode: "1101"}})
		if err != nil {
			t.Fatal(err)
		}
		worker := civic.RoleGridWorker
		if _, err := s.UpdateUser(ctx, civic.System, u.ID, store.UserUpdate{Role: &worker}); civic.AsError(err).Code != civic.EInvalid {
			t.Fatalf("leader made a city-wide grid worker: %v", err)
		}
		if got, err := s.GetUser(ctx, civic.System, u.ID); err != nil || got.Role != civic.RoleLeader {
			t.Fatalf("refused change wrote: %+v %v", got, err)
		}
		grid := civic.Scope{RegionCode: "110101001001001"}
		if got, err := s.UpdateUser(ctx, civic.System, u.ID, store.UserUpdate{Role: &worker, Scope: &grid}); err != nil || got.Role != worker {
			t.Fatalf("leader made a grid worker of a grid: %+v %v", got, err)
		}

		// An account made before the rule (written past it here) cannot
		// sign in, by password, session or token, until an admin fixes
		// it; its other fields may still be changed, and it is refused
		// only when re-scoped wrongly.
		old, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: "veteran", DisplayName: "老网格员", Password: "password-veteran", Role: civic.RoleLeader, Scope: civic.Scope{RegionCode: "1101"}})
		if err != nil {
			t.Fatal(err)
		}
		session, err := s.CreateSession(ctx, old.ID, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := s.CreateToken(ctx, store.ActorOf(old, ""), "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ExecForTest(ctx, `UPDATE users SET role = ? WHERE id = ?`, string(civic.RoleGridWorker), old.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "veteran", "password-veteran", "127.0.0.1"); civic.ErrorCodeOf(err) != civic.EUnauthorized || !strings.Contains(civic.AsError(err).Msg.ZH, "数据范围与角色不符") {
			t.Fatalf("a city-wide grid worker signs in: %v", err)
		}
		if _, err := s.SessionUser(ctx, session); err == nil {
			t.Fatal("a city-wide grid worker's session still works")
		}
		if _, err := s.TokenUser(ctx, token); civic.ErrorCodeOf(err) != civic.EUnauthorized {
			t.Fatalf("a city-wide grid worker's token still works: %v", err)
		}
		if u, _ := s.GetUser(ctx, civic.System, old.ID); u.ScopeFits() {
			t.Fatal("the list does not mark the account")
		}
		self := store.ActorOf(civic.User{ID: old.ID, Username: old.Username, Role: civic.RoleGridWorker, Scope: old.Scope}, "")
		name := "老网格员张"
		if got, err := s.UpdateUser(ctx, self, old.ID, store.UserUpdate{DisplayName: &name}); err != nil || got.DisplayName != name {
			t.Fatalf("own name change of a wide account: %+v %v", got, err)
		}
		district := civic.Scope{RegionCode: "110101"}
		if _, err := s.UpdateUser(ctx, civic.System, old.ID, store.UserUpdate{Scope: &district}); civic.AsError(err).Code != civic.EInvalid {
			t.Fatalf("re-scoped a grid worker to a district: %v", err)
		}
		// Fixed by an admin, it signs in again.
		grid1 := civic.Scope{RegionCode: "110101001001001"}
		if _, err := s.UpdateUser(ctx, civic.System, old.ID, store.UserUpdate{Scope: &grid1}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "veteran", "password-veteran", "127.0.0.1"); err != nil {
			t.Fatalf("after the fix: %v", err)
		}
	})
}

// TestPasswordRevokesTokens: a password change, the user's own or an
// admin's reset, revokes every API token of the user's (a token made with
// a leaked password must not outlive it) and keeps the session that made
// the change; other users' tokens are untouched.
func TestPasswordRevokesTokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store, clock *testdb.Clock) {
		ctx := context.Background()
		mustCaseWorld(t, s)
		mustUser := func(name string, role civic.Role) civic.User {
			t.Helper()
			u, err := s.CreateUser(ctx, civic.System, store.NewUser{Username: name, DisplayName: name, Password: "password-" + name, Role: role, Scope: civic.Scope{RegionCode: "1101"}})
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		mustToken := func(u civic.User) string {
			t.Helper()
			_, secret, err := s.CreateToken(ctx, store.ActorOf(u, ""), "script")
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		op, other, admin := mustUser("pw_op", civic.RoleOperator), mustUser("pw_other", civic.RoleOperator), mustUser("pw_admin", civic.RoleAdmin)
		t1, t2, kept := mustToken(op), mustToken(op), mustToken(other)
		session, err := s.CreateSession(ctx, op.ID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, store.ActorOf(op, ""), op.ID, "password-pw_op", "a-new-password", session); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{t1, t2} {
			if _, err := s.TokenUser(ctx, tok); civic.ErrorCodeOf(err) != civic.EUnauthorized {
				t.Fatalf("a token survived the password change: %v", err)
			}
		}
		if _, err := s.SessionUser(ctx, session); err != nil {
			t.Fatalf("the changing session ended: %v", err)
		}
		if _, err := s.TokenUser(ctx, kept); err != nil {
			t.Fatalf("another user's token was revoked: %v", err)
		}
		ts, err := s.ListTokens(ctx, store.ActorOf(op, ""))
		if err != nil || len(ts) != 2 || !ts[0].Revoked || !ts[1].Revoked {
			t.Fatalf("tokens listed after the change: %+v %v", ts, err)
		}

		t3 := mustToken(op)
		if err := s.SetPassword(ctx, store.ActorOf(admin, ""), op.ID, "", "reset-by-admin", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenUser(ctx, t3); civic.ErrorCodeOf(err) != civic.EUnauthorized {
			t.Fatalf("a token survived an admin's reset: %v", err)
		}
	})
}
