package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
)

// BenchmarkCurrentCached is atl token's hot path in-process: load the
// profile, read the grant from the keychain (in memory here), check expiry.
func BenchmarkCurrentCached(b *testing.B) {
	f := newFixture(b, authtest.Options{})

	s := f.session()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Current(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if f.srv.Count("token") != 0 {
		b.Fatal("the cached path made a token request")
	}
}

// BenchmarkBaselineRawReads is the floor CurrentCached is compared with:
// the same two reads (profile file, keychain item) with no decoding.
func BenchmarkBaselineRawReads(b *testing.B) {
	f := newFixture(b, authtest.Options{})

	path := filepath.Join(f.dir.Path(), "profiles", "default.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
		if _, err := f.keys.Get(auth.KeychainService, "profile:default"); err != nil {
			b.Fatal(err)
		}
	}
}
