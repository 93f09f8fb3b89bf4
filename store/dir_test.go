package store

import (
	"bytes"
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

// newStore is New with a token cache in memory: tests of the store use
// no kernel keyring, but for those of KernelKeyring.
func newStore(dir string, keychain Backend) *Store {
	return New(dir, keychain).WithTokenCache(&mapCache{m: map[string][]byte{}})
}

func testStore(t *testing.T) *Store {
	t.Helper()
	return newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil))
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

func TestNewStoreCreatesNothing(t *testing.T) {
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

func TestSavePermissions(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	if err := d.saveMetadata("default", sampleMetadata()); err != nil {
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

// tightenings collects what s tightens, a line each.
func tightenings(s *Store) *bytes.Buffer {
	var b bytes.Buffer
	s.Tightened = func(path string, was, now fs.FileMode) {
		fmt.Fprintf(&b, "%s was readable by others (mode %04o); fixed to %04o\n", path, was, now)
	}
	return &b
}

func TestSaveTightensExistingDirs(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	warn := tightenings(d)
	profiles := filepath.Join(d.Dir(), "profiles")
	if err := os.MkdirAll(profiles, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(profiles, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := d.saveMetadata("default", sampleMetadata()); err != nil {
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
	if err := d.saveMetadata("default", sampleMetadata()); err != nil {
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
	warn := tightenings(d)
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
	// Without Tightened the fix still happens, silently.
	d.Tightened = nil
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := d.loadMetadata("default"); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, file); got != 0o600 {
		t.Errorf("mode %04o with Tightened nil, want 0600", got)
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
	big := sampleMetadata()
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
	if err := d.saveMetadata("default", sampleMetadata()); err == nil {
		t.Fatal("SaveProfile over a directory succeeded")
	}
	if tmp := tempFiles(t, filepath.Join(d.Dir(), "profiles")); len(tmp) != 0 {
		t.Errorf("temporary files left behind: %q", tmp)
	}
}

func TestReadPrivateSizeLimit(t *testing.T) {
	s := testStore(t)
	if err := s.prepare(true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "big.json")
	if err := s.writePrivate(path, make([]byte, maxFileSize)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.readPrivate(path); err != nil || len(b) != maxFileSize {
		t.Fatalf("a file of %d bytes: %d bytes, %v", maxFileSize, len(b), err)
	}
	if err := s.writePrivate(path, make([]byte, maxFileSize+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.readPrivate(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a file of %d bytes: %v, want ErrCorrupt", maxFileSize+1, err)
	}
}
