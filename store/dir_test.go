package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testStore(t *testing.T) *Store {
	t.Helper()
	return New(filepath.Join(t.TempDir(), "atl"), newFake(nil))
}

func sampleProfile() *Metadata {
	return &Metadata{
		ClientID:  "client-id",
		AuthURL:   "https://auth.atlassian.com",
		APIURL:    "https://api.atlassian.com",
		AccountID: "5b10ac8d82e05b22cc7d4ef5",
		Name:      "Ada Lovelace",
		Email:     "ada@example.com",
		Site:      Site{ID: "1324a887-45db-1bf4-1e99-ef0ff456d421", URL: "https://example.atlassian.net", Name: "example"},
		Scopes:    []string{"read:me", "read:jira-work", "offline_access"},
		ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Storage:   StorageKeychain,
		LoginAt:   time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC),
	}
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
}

func TestProfileRoundTrip(t *testing.T) {
	minimal := &Metadata{ClientID: "c", Site: Site{ID: "s"}, Storage: StorageFile}
	dead := sampleProfile()
	dead.Dead = &DeadGrant{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Reason: "invalid_grant: refresh token revoked"}
	cases := map[string]*Metadata{"full": sampleProfile(), "minimal": minimal, "dead": dead}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			d := testStore(t)
			if err := d.saveMetadata("default", want); err != nil {
				t.Fatalf("SaveProfile: %v", err)
			}
			got, err := d.loadMetadata("default")
			if err != nil {
				t.Fatalf("LoadProfile: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the profile:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestProfilesAreSeparate(t *testing.T) {
	d := testStore(t)
	a, b := sampleProfile(), sampleProfile()
	b.AccountID = "other"
	if err := d.saveMetadata("a", a); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("b", b); err != nil {
		t.Fatal(err)
	}
	a.Email = "changed@example.com"
	if err := d.saveMetadata("a", a); err != nil {
		t.Fatal(err)
	}
	if got, err := d.loadMetadata("a"); err != nil || got.Email != "changed@example.com" {
		t.Errorf("a = %+v, %v", got, err)
	}
	if got, err := d.loadMetadata("b"); err != nil || got.AccountID != "other" || got.Email != "ada@example.com" {
		t.Errorf("b = %+v, %v", got, err)
	}
}

func TestLoadProfileMissing(t *testing.T) {
	d := testStore(t)
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Fatalf("LoadProfile in a missing dir = %v, want ErrNoLogin", err)
	}
	if err := d.saveMetadata("other", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Fatalf("LoadProfile of a missing profile = %v, want ErrNoLogin", err)
	}
	if _, err := os.Stat(d.Dir()); err != nil {
		t.Fatal(err)
	}
}

func TestNewDirCreatesNothing(t *testing.T) {
	d := testStore(t)
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Fatal(err)
	}
	if _, err := d.Settings(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reading created %s (%v)", d.Dir(), err)
	}
}

func TestLoadProfileCorrupt(t *testing.T) {
	valid, err := json.Marshal(metadataJSON{Version: 1, Metadata: *sampleProfile()})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"empty":           "",
		"not json":        "hunter2",
		"truncated":       string(valid[:len(valid)/2]),
		"null":            "null",
		"empty object":    "{}",
		"array":           "[]",
		"unknown version": strings.Replace(string(valid), `"version":1`, `"version":2`, 1),
		"no version":      strings.Replace(string(valid), `"version":1,`, ``, 1),
		"no client id":    strings.Replace(string(valid), `"client_id":"client-id"`, `"client_id":""`, 1),
		"no site":         `{"version":1,"client_id":"c","storage":"keychain"}`,
		"no storage":      `{"version":1,"client_id":"c","site":{"id":"s"}}`,
		"unknown storage": `{"version":1,"client_id":"c","site":{"id":"s"},"storage":"cloud"}`,
		"bad time":        `{"version":1,"client_id":"c","site":{"id":"s"},"storage":"file","expires_at":"soon"}`,
		"wrong type":      `{"version":1,"client_id":7,"site":{"id":"s"},"storage":"file"}`,
	}
	// Sanity: the valid encoding loads, so the cases fail for their damage.
	if _, err := DecodeMetadata(valid); err != nil {
		t.Fatalf("valid profile: %v", err)
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			d := testStore(t)
			if err := d.saveMetadata("default", sampleProfile()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(d.Dir(), "profiles", "default.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := d.loadMetadata("default")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("LoadProfile = %+v, %v; want ErrCorrupt", p, err)
			}
			if p != nil {
				t.Errorf("LoadProfile returned %+v along with the error", p)
			}
		})
	}
}

var invalidNames = []string{
	"", ".", "..", "../x", "../../etc/passwd", "a/b", "a\\b", "/abs", ".hidden", "-flag", "_x",
	"a b", "a\x00b", "a\nb", "é", "a:b", "a*", strings.Repeat("a", 65),
	"x.tokens", "X.Tokens", "default.TOKENS",
}

var validNames = []string{"default", "a", "A", "0", "work-2", "a.b_c", "x.tokens2", "tokens", "x.token", strings.Repeat("a", 64)}

func TestValidProfileName(t *testing.T) {
	for _, n := range invalidNames {
		if ValidProfileName(n) {
			t.Errorf("ValidProfileName(%q) = true", n)
		}
	}
	for _, n := range validNames {
		if !ValidProfileName(n) {
			t.Errorf("ValidProfileName(%q) = false", n)
		}
	}
}

func TestInvalidProfileNamesRejected(t *testing.T) {
	root := t.TempDir()
	d := New(filepath.Join(root, "atl"), newFake(nil))
	for _, n := range invalidNames {
		if l, err := d.Login(n); err == nil || l != nil || !errors.Is(err, ErrInvalidProfileName) {
			t.Errorf("Login(%q) = %v, %v; want ErrInvalidProfileName", n, l, err)
		} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", n)) {
			t.Errorf("Login(%q): %q does not name it", n, err)
		}
	}
	// Nothing may have been written anywhere, in particular not outside
	// the config directory.
	var files []string
	_ = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if len(files) != 0 {
		t.Errorf("invalid names left files: %q", files)
	}
}

func TestNoProfileCollidesWithAnotherProfilesFiles(t *testing.T) {
	// Every file of a profile must belong to that profile alone (compared
	// without case, as on macOS and Windows).
	d := New("/cfg", nil)
	owner := map[string]string{}
	names := append([]string{"x", "x.tokens", "X.TOKENS", "x.json", "x.lock", "x.tokens.json", "x.json.tokens"}, validNames...)
	for _, n := range names {
		if !ValidProfileName(n) {
			continue
		}
		l := mustLogin(t, d, n)
		meta := d.profileFile(n, ".json")
		for _, f := range []string{meta, l.profileLockPath(), l.Location(StorageFile).Path} {
			f = strings.ToLower(f)
			// Names differing only in case do share files on macOS and
			// Windows; that is a known limit, not checked here.
			if o, ok := owner[f]; ok && !strings.EqualFold(o, n) {
				t.Errorf("%s belongs to profiles %q and %q", f, o, n)
			}
			owner[f] = n
		}
	}
}

func TestSavePermissions(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	if err := d.saveMetadata("default", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	checks := map[string]fs.FileMode{
		d.Dir():                            0o700,
		filepath.Join(d.Dir(), "profiles"): 0o700,
		filepath.Join(d.Dir(), "profiles", "default.json"): 0o600,
	}
	for path, want := range checks {
		if got := mode(t, path); got != want {
			t.Errorf("%s has mode %04o, want %04o", path, got, want)
		}
	}
}

func TestSaveTightensExistingDirs(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	var warn bytes.Buffer
	d.Warn = &warn
	profiles := filepath.Join(d.Dir(), "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(profiles, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("default", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d.Dir(), profiles} {
		if got := mode(t, p); got != 0o700 {
			t.Errorf("%s has mode %04o after save, want 0700", p, got)
		}
		if !strings.Contains(warn.String(), p+" ") {
			t.Errorf("no warning names %s: %q", p, warn.String())
		}
	}
}

func TestLoadTightensPermissions(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	if err := d.saveMetadata("default", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	profiles := filepath.Join(d.Dir(), "profiles")
	file := filepath.Join(profiles, "default.json")
	loosen := map[string]fs.FileMode{d.Dir(): 0o755, profiles: 0o755, file: 0o644}
	want := map[string]fs.FileMode{d.Dir(): 0o700, profiles: 0o700, file: 0o600}
	for p, m := range loosen {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	var warn bytes.Buffer
	d.Warn = &warn
	if _, err := d.loadMetadata("default"); err != nil {
		t.Fatalf("LoadProfile: %v", err)
	}
	for p, m := range want {
		if got := mode(t, p); got != m {
			t.Errorf("%s has mode %04o after load, want %04o", p, got, m)
		}
	}
	w := warn.String()
	if n := strings.Count(w, "\n"); n != 3 {
		t.Errorf("%d warning lines, want 3:\n%s", n, w)
	}
	for _, s := range []string{file + " was readable by others (mode 0644); fixed to 0600", profiles + " was readable by others (mode 0755); fixed to 0700"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings lack %q:\n%s", s, w)
		}
	}
	// Once fixed, nothing more to say.
	warn.Reset()
	if _, err := d.loadMetadata("default"); err != nil {
		t.Fatal(err)
	}
	if warn.Len() != 0 {
		t.Errorf("second load warned again: %q", warn.String())
	}
	// Without a Warn writer the fix still happens, silently.
	d.Warn = nil
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := d.loadMetadata("default"); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, file); got != 0o600 {
		t.Errorf("mode %04o with Warn nil, want 0600", got)
	}
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			tmp = append(tmp, e.Name())
		}
	}
	return tmp
}

func TestAtomicSave(t *testing.T) {
	d := testStore(t)
	// Two versions of very different sizes: a torn or truncated write
	// would fail to parse or match neither.
	small := &Metadata{ClientID: "small", Site: Site{ID: "s"}, Storage: StorageKeychain}
	big := sampleProfile()
	big.ClientID = "big"
	for i := range 2000 {
		big.Scopes = append(big.Scopes, "scope:"+strings.Repeat("x", i%50))
	}
	if err := d.saveMetadata("default", small); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				p, err := d.loadMetadata("default")
				if err != nil {
					errs <- err
					return
				}
				switch {
				case p.ClientID == "small" && reflect.DeepEqual(p, small):
				case p.ClientID == "big" && reflect.DeepEqual(p, big):
				default:
					errs <- errors.New("read a profile that was never written: " + p.ClientID)
					return
				}
				reads.Add(1)
			}
		})
	}
	deadline := time.Now().Add(time.Second)
	for i := 0; i < 300 && time.Now().Before(deadline); i++ {
		p := small
		if i%2 == 0 {
			p = big
		}
		if err := d.saveMetadata("default", p); err != nil {
			t.Errorf("SaveProfile: %v", err)
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent reader: %v", err)
	}
	if reads.Load() == 0 {
		t.Error("the readers never read")
	}
	if tmp := tempFiles(t, filepath.Join(d.Dir(), "profiles")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %q", tmp)
	}
}

func TestFailedSaveLeavesNoTempFile(t *testing.T) {
	d := testStore(t)
	// A directory where the profile file should be: the final rename fails.
	target := filepath.Join(d.Dir(), "profiles", "default.json")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("default", sampleProfile()); err == nil {
		t.Fatal("SaveProfile over a directory succeeded")
	}
	if tmp := tempFiles(t, filepath.Join(d.Dir(), "profiles")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %q", tmp)
	}
}

func TestSettings(t *testing.T) {
	d := testStore(t)
	s, err := d.Settings()
	if err != nil || s != (Settings{}) {
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
	if want := (Settings{ClientID: "cid", CallbackURL: "http://localhost:8123/cb"}); s != want {
		t.Errorf("Settings = %+v, want %+v", s, want)
	}

	write(`{}`, 0o600)
	if s, err := d.Settings(); err != nil || s != (Settings{}) {
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
		var warn bytes.Buffer
		d.Warn = &warn
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

func TestDeleteProfile(t *testing.T) {
	d := testStore(t)
	if err := d.saveMetadata("default", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("other", sampleProfile()); err != nil {
		t.Fatal(err)
	}
	fb := testFileBackend(t, d, "default")
	if err := fb.Set("atl", "profile:default", "secret"); err != nil {
		t.Fatal(err)
	}
	tokens := fb.path
	if _, err := os.Stat(tokens); err != nil {
		t.Fatalf("token file not written: %v", err)
	}

	if err := d.deleteFiles("default"); err != nil {
		t.Fatalf("DeleteProfile: %v", err)
	}
	if _, err := d.loadMetadata("default"); !errors.Is(err, ErrNoLogin) {
		t.Errorf("LoadProfile after delete = %v, want ErrNoLogin", err)
	}
	if _, err := os.Stat(tokens); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("token file still there: %v", err)
	}
	if _, err := d.loadMetadata("other"); err != nil {
		t.Errorf("other profile hurt: %v", err)
	}
	if err := d.deleteFiles("default"); err != nil {
		t.Errorf("second DeleteProfile = %v, want nil", err)
	}
	if err := testStore(t).deleteFiles("default"); err != nil {
		t.Errorf("DeleteProfile in a missing dir = %v, want nil", err)
	}
}

func FuzzDecodeMetadata(f *testing.F) {
	valid, err := json.Marshal(metadataJSON{Version: 1, Metadata: *sampleProfile()})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"version":1,"client_id":"c","site":{"id":"s"},"storage":"file"}`))
	f.Add([]byte("hunter2"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeMetadata(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("DecodeMetadata error %v is not ErrCorrupt", err)
			}
			if p != nil {
				t.Fatal("profile returned along with an error")
			}
			return
		}
		// What loads must save and load again unchanged: SaveProfile's
		// encoding is a fixed point.
		enc, err := json.Marshal(metadataJSON{Version: metadataVersion, Metadata: *p})
		if err != nil {
			t.Fatalf("a decoded profile does not encode: %v", err)
		}
		p2, err := DecodeMetadata(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		enc2, err := json.Marshal(metadataJSON{Version: metadataVersion, Metadata: *p2})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding changed the profile:\n%s\n%s", enc, enc2)
		}
	})
}
