package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	d := testStore(t)
	s, err := d.Settings()
	if err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Fatalf("Settings without config.json = %+v, %v; want zero, nil", s, err)
	}
	if err := os.MkdirAll(d.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(d.Dir(), "config.json")
	write := func(content string, perm fs.FileMode) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, perm); err != nil {
			t.Fatal(err)
		}
	}

	write(`{"client_id":"cid","callback_url":"http://localhost:8123/cb","unknown":true}`, 0o600)
	s, err = d.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Settings{ClientID: "cid", CallbackURL: "http://localhost:8123/cb"}); !reflect.DeepEqual(s, want) {
		t.Errorf("Settings = %+v, want %+v", s, want)
	}

	write(`{}`, 0o600)
	if s, err := d.Settings(); err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Errorf("Settings of {} = %+v, %v", s, err)
	}

	for _, bad := range []string{`{"client_id":`, `hunter2`, ``, `{"client_id":5}`} {
		write(bad, 0o600)
		_, err := d.Settings()
		if err == nil {
			t.Errorf("Settings of %q succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), cfg) {
			t.Errorf("error %q does not name %s", err, cfg)
		}
	}

	if runtime.GOOS != "windows" {
		warn := tightenings(d)
		write(`{}`, 0o644)
		if _, err := d.Settings(); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, cfg); got != 0o600 {
			t.Errorf("config.json mode %04o after read, want 0600", got)
		}
		if !strings.Contains(warn.String(), cfg) {
			t.Errorf("no warning about %s: %q", cfg, warn.String())
		}
	}
}

func TestSaveSettingsAndProfiles(t *testing.T) {
	d := testStore(t)
	if names, err := d.Profiles(); err != nil || len(names) != 0 {
		t.Fatalf("Profiles of nothing = %q, %v", names, err)
	}
	want := Settings{ClientID: "cid", CallbackURL: "http://127.0.0.1:1/cb", Scopes: []string{"offline_access", "read:me"}, Site: "example"}
	if err := d.SaveSettings(want); err != nil {
		t.Fatal(err)
	}
	if got, err := d.Settings(); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Settings = %+v, %v", got, err)
	}
	if got := mode(t, filepath.Join(d.Dir(), "config.json")); got != 0o600 && runtime.GOOS != "windows" {
		t.Fatalf("config.json mode %04o", got)
	}
	for _, n := range []string{"work", "default", "a.b"} {
		if err := d.saveMetadata(n, sampleMetadata()); err != nil {
			t.Fatal(err)
		}
	}
	// Token and lock files, temp files and strays are not profiles.
	if err := mustLogin(t, d, "default").Save(sampleMetadata(), sampleGrant()); err != nil {
		t.Fatal(err)
	}
	unlock, err := mustLogin(t, d, "work").Lock(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	for _, stray := range []string{"x.tokens.json", ".tmp-y.json-123", "README"} {
		if err := os.WriteFile(filepath.Join(d.Dir(), "profiles", stray), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := d.Profiles(); err != nil || strings.Join(names, " ") != "a.b default work" {
		t.Fatalf("Profiles = %q, %v", names, err)
	}
}

func TestClientSecretInTheKeychain(t *testing.T) {
	keys := newFake(nil)
	d := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	if _, err := d.ClientSecret("cid"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ClientSecret before = %v", err)
	}
	if err := d.SetClientSecret("cid", "https://auth.example.test", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if got, err := d.ClientSecret("cid"); err != nil || got != (KeptSecret{Secret: "s3cret", AuthURL: "https://auth.example.test"}) {
		t.Fatalf("ClientSecret = %+v, %v", got, err)
	}
	if _, err := d.ClientSecret("other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another client's secret = %v", err)
	}
	if u := keys.users(); len(u) != 1 || !strings.HasPrefix(u[0], "client-secret:cid@") {
		t.Fatalf("keychain holds %q", u)
	}
	if err := d.SetClientSecret("cid", "", "s3cret"); err == nil {
		t.Fatal("a secret was kept for no server")
	}
	if err := d.DeleteClientSecret("cid"); err != nil {
		t.Fatal(err)
	}
	if len(keys.users()) != 0 {
		t.Fatal("not deleted")
	}
}

// A secret kept before servers were recorded is the bare secret: it is
// read with no server (Atlassian's, to atl); anything else in JSON is
// not understood.
func TestAClientSecretKeptBeforeServersHasNone(t *testing.T) {
	keys := newFake(nil)
	d := newStore(filepath.Join(t.TempDir(), "atl"), keys)
	account := d.appSecretAccount("cid")
	for raw, want := range map[string]KeptSecret{
		"s3cret":   {Secret: "s3cret"},
		`"quoted"`: {Secret: `"quoted"`},
		"12345":    {Secret: "12345"},
	} {
		if err := keys.Set(keychainService, account, raw); err != nil {
			t.Fatal(err)
		}
		if got, err := d.ClientSecret("cid"); err != nil || got != want {
			t.Errorf("kept %q: ClientSecret = %+v, %v", raw, got, err)
		}
	}
	for _, raw := range []string{`{"v":3,"secret":"s","auth_url":"https://a"}`, `{"v":2,"secret":"s"}`, `{"v":2,"auth_url":"https://a"}`, `{}`} {
		if err := keys.Set(keychainService, account, raw); err != nil {
			t.Fatal(err)
		}
		if got, err := d.ClientSecret("cid"); !errors.Is(err, ErrCorrupt) || got != (KeptSecret{}) {
			t.Errorf("kept %q: ClientSecret = %+v, %v; want ErrCorrupt", raw, got, err)
		}
	}
}

func TestUpdateSettingsKeepsEveryConcurrentChange(t *testing.T) {
	d := testStore(t)
	const n = 30
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- d.UpdateSettings(t.Context(), time.Minute, func(set *Settings) error {
				set.Scopes = append(set.Scopes, fmt.Sprintf("scope-%d", i))
				return nil
			})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	set, err := d.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Scopes) != n {
		t.Fatalf("%d of %d changes kept: %q", len(set.Scopes), n, set.Scopes)
	}
	// A change that fails writes nothing; the lock file is the user's own.
	if err := d.UpdateSettings(t.Context(), time.Minute, func(set *Settings) error {
		set.Scopes = nil
		return errors.New("no")
	}); err == nil {
		t.Fatal("a failed change succeeded")
	}
	if set, _ := d.Settings(); len(set.Scopes) != n {
		t.Fatal("a failed change was written")
	}
	if got := mode(t, filepath.Join(d.Dir(), "config.lock")); got != 0o600 && runtime.GOOS != "windows" {
		t.Fatalf("config.lock mode %04o", got)
	}
}

func TestUpdateSettingsWaitsForTheLock(t *testing.T) {
	d := testStore(t)
	unlock, err := d.lock(t.Context(), filepath.Join(d.Dir(), "config.lock"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	err = d.UpdateSettings(t.Context(), 0, func(set *Settings) error { set.Site = "x"; return nil })
	var lt *LockTimeoutError
	if !errors.As(err, &lt) || !strings.HasSuffix(lt.Path, "config.lock") {
		t.Fatalf("UpdateSettings with the lock held = %v", err)
	}
	if set, _ := d.Settings(); set.Site != "" {
		t.Fatal("written without the lock")
	}
}
