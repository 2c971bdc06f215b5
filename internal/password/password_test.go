package password

import "testing"

func TestHashVerify(t *testing.T) {
	p := Params{Time: 1, MemKiB: 1024, Threads: 1}
	h, err := Hash("correct horse", p)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash("correct horse", p)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		name string
		pw   string
		hash string
		ok   bool
		err  bool
	}{
		{"right password", "correct horse", h, true, false},
		{"wrong password", "correct horsf", h, false, false},
		{"empty password", "", h, false, false},
		{"malformed", "x", "$argon2id$v=19$garbage", false, true},
		{"other algorithm", "x", "$2a$10$abcdefghijklmnopqrstuv", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := Verify(tt.pw, tt.hash)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Fatalf("Verify = %v, %v; want %v, err=%v", ok, err, tt.ok, tt.err)
			}
		})
	}
}
