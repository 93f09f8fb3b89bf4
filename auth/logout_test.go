package auth_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

func TestLogoutRemovesEverythingOnce(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	if _, err := s.TokenSource(context.Background()).Token(); err != nil {
		t.Fatal(err)
	}
	removed, err := s.Logout(context.Background())
	if err != nil || !removed {
		t.Fatalf("Logout = %v, %v", removed, err)
	}
	if f.keys.Len() != 0 {
		t.Fatalf("%d keychain items left", f.keys.Len())
	}
	if _, err := f.login().Metadata(); !errors.Is(err, store.ErrNoLogin) {
		t.Fatalf("metadata left: %v", err)
	}
	if removed, err := s.Logout(context.Background()); err != nil || removed {
		t.Fatalf("second Logout = %v, %v", removed, err)
	}
	// The token in memory went with the login.
	var lr *auth.LoginRequiredError
	if _, err := s.TokenSource(context.Background()).Token(); !errors.As(err, &lr) || err.Error() != "not logged in" {
		t.Fatalf("Token after logout: %v", err)
	}
}

func TestLogoutOfInsecureStorageRemovesTheFile(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	m, g, err := f.login().Load()
	if err != nil {
		t.Fatal(err)
	}
	m.Storage = store.StorageFile
	if err := f.login().Save(m, g); err != nil {
		t.Fatal(err)
	}
	if f.keys.Len() != 0 {
		t.Fatal("moving to file storage left the keychain item")
	}
	path := f.login().Location(store.StorageFile).Path
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("token file missing: %v", err)
	}
	if info, err := f.session().Info(context.Background()); err != nil || info.Storage != "file "+path+" (insecure storage)" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if removed, err := f.session().Logout(context.Background()); err != nil || !removed {
		t.Fatalf("Logout = %v, %v", removed, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("token file left: %v", err)
	}
}

func TestLogoutWithoutMetadataCleansAStrayKeychainItem(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.removeMetadata()
	removed, err := f.session().Logout(context.Background())
	if err != nil || !removed || f.keys.Len() != 0 {
		t.Fatalf("Logout = %v, %v, %d items left", removed, err, f.keys.Len())
	}
	// With no keychain reachable and nothing stored, logout still succeeds.
	f.keys.Fail(errors.New("no keychain"))
	if removed, err := f.session().Logout(context.Background()); err != nil || removed {
		t.Fatalf("Logout without keychain = %v, %v", removed, err)
	}
}

func TestLogoutWaitsForTheLock(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	unlock, err := f.login().Lock(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	s := f.session(func(o *auth.Options) { o.Hooks.LockWait = 50_000_000 })
	var lt *store.LockTimeoutError
	if _, err := s.Logout(context.Background()); !errors.As(err, &lt) {
		t.Fatalf("Logout while another process holds the lock = %v", err)
	}
	if _, err := f.login().Metadata(); err != nil {
		t.Fatalf("the login was touched: %v", err)
	}
}
