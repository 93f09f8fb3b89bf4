package auth_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// BenchmarkTokenStored is atl token's hot path in-process, as a new
// process runs it: open the session, read the metadata, read the grant
// from the keychain (in memory here), check expiry.
func BenchmarkTokenStored(b *testing.B) {
	f := newFixture(b, authtest.Options{})
	o := f.options()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := auth.OpenWith(o)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.TokenSource(ctx).Token(); err != nil {
			b.Fatal(err)
		}
	}
	if f.srv.Count("token") != 0 {
		b.Fatal("the stored-token path made a token request")
	}
}

// BenchmarkTokenInMemory is a long-running Go program's hot path: the
// token kept in memory by the Session.
func BenchmarkTokenInMemory(b *testing.B) {
	f := newFixture(b, authtest.Options{})
	ts := f.session().TokenSource(context.Background())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ts.Token(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineRawReads is the floor BenchmarkTokenStored is compared
// with: the same two reads (metadata file, keychain item) with no decoding.
func BenchmarkBaselineRawReads(b *testing.B) {
	f := newFixture(b, authtest.Options{})
	path := filepath.Join(f.dir, "profiles", "default.json")
	loc := f.login().Location(store.StorageKeychain)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
		if _, err := f.keys.Get(loc.Service, loc.Account); err != nil {
			b.Fatal(err)
		}
	}
}
