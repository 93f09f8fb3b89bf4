package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testFileBackend is the insecure file backend of profile name in d.
func testFileBackend(t *testing.T, d *Store, name string) *fileBackend {
	t.Helper()
	return newFileBackend(d, mustLogin(t, d, name).Location(StorageFile).Path)
}

func TestFileBackend(t *testing.T) {
	d := testStore(t)
	fb := testFileBackend(t, d, "default")
	if want := filepath.Join(d.Dir(), "profiles", "default.tokens.json"); fb.path != want {
		t.Errorf("path = %s, want %s", fb.path, want)
	}
	if _, err := fb.Get("atl", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before any Set = %v, want ErrNotFound", err)
	}
	if err := fb.Delete("atl", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete before any Set = %v, want ErrNotFound", err)
	}
	values := map[[2]string]string{
		{"atl", "k"}:       "v1",
		{"atl", "k2"}:      strings.Repeat("x", 70<<10), // no item limit
		{"other", "k"}:     "v3",
		{"atl", "a/b"}:     "slash",
		{"atl/a", "b"}:     "slash too",
		{"atl", "unicode"}: "ünï\x00\"\\\n",
		{"atl", "empty"}:   "",
	}
	for k, v := range values {
		if err := fb.Set(k[0], k[1], v); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
	}
	// Another backend over the same file (another process) sees them.
	fb2 := testFileBackend(t, d, "default")
	for k, want := range values {
		if got, err := fb2.Get(k[0], k[1]); err != nil || got != want {
			t.Errorf("Get(%q) = %.20q, %v; want %.20q", k, got, err, want)
		}
	}
	if err := fb.Set("atl", "k", "replaced"); err != nil {
		t.Fatal(err)
	}
	if got, _ := fb.Get("atl", "k"); got != "replaced" {
		t.Errorf("after replace Get = %q", got)
	}
	// Another profile's backend is another file.
	if _, err := testFileBackend(t, d, "other").Get("atl", "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("profile other sees profile default's secret: %v", err)
	}
	for k := range values {
		if err := fb.Delete(k[0], k[1]); err != nil {
			t.Fatalf("Delete(%q): %v", k, err)
		}
		if _, err := fb.Get(k[0], k[1]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(%q) after Delete = %v", k, err)
		}
	}
	if _, err := os.Stat(fb.path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file still there after its last secret was deleted: %v", err)
	}
}

func TestFileBackendMode(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	fb := testFileBackend(t, d, "default")
	if err := fb.Set("atl", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, fb.path); got != 0o600 {
		t.Errorf("token file mode %04o, want 0600", got)
	}
	if got := mode(t, filepath.Dir(fb.path)); got != 0o700 {
		t.Errorf("its directory has mode %04o, want 0700", got)
	}
	// A file made readable by others is fixed when read.
	if err := os.Chmod(fb.path, 0o644); err != nil {
		t.Fatal(err)
	}
	warn := tightenings(d)
	if _, err := fb.Get("atl", "k"); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, fb.path); got != 0o600 {
		t.Errorf("token file mode %04o after Get, want 0600", got)
	}
	if !strings.Contains(warn.String(), fb.path) {
		t.Errorf("no warning names %s: %q", fb.path, warn.String())
	}
	// Rewriting keeps it private.
	if err := os.Chmod(fb.path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := fb.Set("atl", "k2", "v"); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, fb.path); got != 0o600 {
		t.Errorf("token file mode %04o after Set, want 0600", got)
	}
}

func TestFileBackendCorrupt(t *testing.T) {
	for _, content := range []string{"", "hunter2", `{"atl/k":`, `["x"]`, `{"atl/k":5}`, `"str"`} {
		t.Run(content, func(t *testing.T) {
			d := testStore(t)
			fb := testFileBackend(t, d, "default")
			if err := fb.Set("atl", "k", "v"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(fb.path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := fb.Get("atl", "k")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Get = %q, %v; want ErrCorrupt", got, err)
			}
			if !strings.Contains(err.Error(), fb.path) {
				t.Errorf("error %q does not name the file", err)
			}
			if _, err := sizedVault(fb, "atl", 0).Get("k"); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Vault.Get = %v; want ErrCorrupt", err)
			}
		})
	}
}

func TestFileBackendRecoversFromCorruptFile(t *testing.T) {
	// A damaged token file must not lock the user out: a new login
	// (Vault.Set) replaces it and a logout (Vault.Delete) removes it.
	d := testStore(t)
	fb := testFileBackend(t, d, "default")
	v := sizedVault(fb, "atl", 0)
	corrupt := func() {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(fb.path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fb.path, []byte("{garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	corrupt()
	if err := v.Set("profile:default", "grant"); err != nil {
		t.Fatalf("Vault.Set over a corrupt file: %v", err)
	}
	if got, err := v.Get("profile:default"); err != nil || got != "grant" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	corrupt()
	if err := v.Delete("profile:default"); err != nil {
		t.Fatalf("Vault.Delete of a corrupt file: %v", err)
	}
	if _, err := os.Stat(fb.path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("corrupt file still there after Delete: %v", err)
	}
	if _, err := v.Get("profile:default"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
}

func TestFileBackendUnreadable(t *testing.T) {
	skipOnWindows(t)
	if os.Geteuid() == 0 {
		// root reads everything; use a directory in the file's place.
		d := testStore(t)
		fb := testFileBackend(t, d, "default")
		if err := os.MkdirAll(fb.path, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := fb.Get("atl", "k"); err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("Get of an unreadable file = %v, want an I/O error", err)
		}
		if err := fb.Set("atl", "k", "v"); err == nil {
			t.Fatal("Set over an unreadable file succeeded")
		}
		return
	}
	d := testStore(t)
	fb := testFileBackend(t, d, "default")
	if err := fb.Set("atl", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(fb.path, 0o000); err != nil {
		t.Fatal(err)
	}
	if _, err := fb.Get("atl", "k"); err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of an unreadable file = %v, want an I/O error", err)
	}
	if runtime.GOOS != "windows" {
		_ = os.Chmod(fb.path, 0o600)
	}
}

func TestVaultOverFileBackend(t *testing.T) {
	d := testStore(t)
	v := sizedVault(testFileBackend(t, d, "default"), "atl", 0)
	g := Grant{RefreshToken: strings.Repeat("r", 8<<10), AccessToken: "a"}
	enc, err := EncodeGrant(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Set("profile:default", enc); err != nil {
		t.Fatal(err)
	}
	raw, err := sizedVault(testFileBackend(t, d, "default"), "atl", 0).Get("profile:default")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeGrant(raw); err != nil || !sameGrant(got, g) {
		t.Fatalf("grant through the file: %v", err)
	}
}

func TestFileBackendFormat(t *testing.T) {
	// Files written by earlier versions must stay readable: atl's items
	// are stored under "atl/profile:NAME".
	d := testStore(t)
	fb := testFileBackend(t, d, "default")
	if err := os.MkdirAll(filepath.Dir(fb.path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fb.path, []byte(`{"atl/profile:default":"old"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := fb.Get("atl", "profile:default"); err != nil || got != "old" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := fb.Set("atl", "profile:default#0a1b2c3d.0", "part"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fb.path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"atl/profile:default":"old","atl/profile:default#0a1b2c3d.0":"part"}`; string(b) != want {
		t.Errorf("file holds %s, want %s", b, want)
	}
}
