//go:build !windows

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wantTrustError checks that err refuses path for problem.
func wantTrustError(t *testing.T, what string, err error, path, problem string) {
	t.Helper()
	var te *TrustError
	if !errors.As(err, &te) || te.Path != path || !strings.Contains(te.Problem, problem) {
		t.Fatalf("%s = %v, want a TrustError on %s (%s)", what, err, path, problem)
	}
	if !strings.HasPrefix(err.Error(), "refusing to use "+path+": it ") {
		t.Fatalf("%s: message %q", what, err)
	}
}

// uses tries the named ways the store uses its directory, or all of them.
func uses(t *testing.T, s *Store, names ...string) map[string]error {
	t.Helper()
	l := mustLogin(t, s, "default")
	all := map[string]func() error{
		"Metadata": func() error { _, err := l.Metadata(); return err },
		"Save":     func() error { return l.Save(sampleMetadata(), sampleGrant()) },
		"Lock": func() error {
			unlock, err := l.Lock(context.Background(), time.Millisecond)
			if err == nil {
				unlock()
			}
			return err
		},
		"Delete":   func() error { _, err := l.Delete(); return err },
		"Settings": func() error { _, err := s.Settings(); return err },
	}
	if len(names) == 0 {
		names = []string{"Metadata", "Save", "Lock", "Delete", "Settings"}
	}
	errs := map[string]error{}
	for _, n := range names {
		errs[n] = all[n]()
	}
	return errs
}

// snapshot lists every path under root with its mode and size.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, _ := os.Lstat(p)
		m[p] = fi.Mode().String()
		return nil
	})
	return m
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDirectoriesWritableByOthersAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode fs.FileMode
		dir  func(s *Store) string
	}{
		{"config dir 0777", 0o777, func(s *Store) string { return s.Dir() }},
		{"config dir 0770", 0o770, func(s *Store) string { return s.Dir() }},
		{"profiles dir 0707", 0o707, func(s *Store) string { return s.profilesDir() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := newStore(filepath.Join(root, "atl"), newFake(nil))
			if err := os.MkdirAll(s.profilesDir(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(tc.dir(s), tc.mode); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, root)
			for use, err := range uses(t, s) {
				wantTrustError(t, use, err, tc.dir(s), "is writable by other users")
			}
			if after := snapshot(t, root); !sameSnapshot(before, after) {
				t.Fatalf("the directory was changed:\n%v\n%v", before, after)
			}
		})
	}
}

func TestSymbolicLinksAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		// plant makes a symbolic link in s pointing into elsewhere, and
		// returns the link's path.
		plant func(t *testing.T, s *Store, elsewhere string) string
		uses  []string
	}{
		{"config dir", func(t *testing.T, s *Store, elsewhere string) string {
			must(t, os.Symlink(elsewhere, s.Dir()))
			return s.Dir()
		}, []string{"Metadata", "Save", "Lock", "Delete", "Settings"}},
		{"profiles dir", func(t *testing.T, s *Store, elsewhere string) string {
			must(t, os.MkdirAll(s.Dir(), 0o700))
			must(t, os.Symlink(elsewhere, s.profilesDir()))
			return s.profilesDir()
		}, []string{"Metadata", "Save", "Lock", "Delete"}},
		{"metadata file", func(t *testing.T, s *Store, elsewhere string) string {
			must(t, os.MkdirAll(s.profilesDir(), 0o700))
			target := filepath.Join(elsewhere, "planted.json")
			b, _ := encodeMetadata(sampleMetadata())
			must(t, os.WriteFile(target, b, 0o644))
			must(t, os.Symlink(target, s.profileFile("default", ".json")))
			return s.profileFile("default", ".json")
		}, []string{"Metadata", "Save"}},
		{"lock file", func(t *testing.T, s *Store, elsewhere string) string {
			must(t, os.MkdirAll(s.profilesDir(), 0o700))
			must(t, os.Symlink(filepath.Join(elsewhere, "created-through-link"), s.profileFile("default", ".lock")))
			return s.profileFile("default", ".lock")
		}, []string{"Lock"}},
		{"config.json", func(t *testing.T, s *Store, elsewhere string) string {
			must(t, os.MkdirAll(s.Dir(), 0o700))
			target := filepath.Join(elsewhere, "config.json")
			must(t, os.WriteFile(target, []byte(`{"client_id":"attacker"}`), 0o644))
			must(t, os.Symlink(target, filepath.Join(s.Dir(), "config.json")))
			return filepath.Join(s.Dir(), "config.json")
		}, []string{"Settings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, elsewhere := t.TempDir(), t.TempDir()
			must(t, os.Chmod(elsewhere, 0o755))
			s := newStore(filepath.Join(root, "atl"), newFake(nil))
			link := tc.plant(t, s, elsewhere)
			before := snapshot(t, elsewhere)
			for use, err := range uses(t, s, tc.uses...) {
				wantTrustError(t, use, err, link, "is a symbolic link")
			}
			if after := snapshot(t, elsewhere); !sameSnapshot(before, after) {
				t.Fatalf("something was created or changed through the link:\n%v\n%v", before, after)
			}
		})
	}
}

func TestAFileThatIsNotAFileIsRefused(t *testing.T) {
	s := newStore(filepath.Join(t.TempDir(), "atl"), newFake(nil))
	must(t, os.MkdirAll(s.profileFile("default", ".json"), 0o700))
	_, err := mustLogin(t, s, "default").Metadata()
	wantTrustError(t, "Metadata", err, s.profileFile("default", ".json"), "is not a regular file")
}

func TestFilesOfAnotherUserAreRefused(t *testing.T) {
	requireRoot(t)
	const other = 4242
	for _, tc := range []struct {
		name string
		path func(s *Store) string
		uses []string
	}{
		{"config dir", func(s *Store) string { return s.Dir() }, []string{"Metadata", "Save", "Lock", "Delete", "Settings"}},
		{"profiles dir", func(s *Store) string { return s.profilesDir() }, []string{"Metadata", "Save", "Lock", "Delete"}},
		{"metadata file", func(s *Store) string { return s.profileFile("default", ".json") }, []string{"Metadata", "Save", "Delete"}},
		{"lock file", func(s *Store) string { return s.profileFile("default", ".lock") }, []string{"Lock"}},
		{"config.json", func(s *Store) string { return filepath.Join(s.Dir(), "config.json") }, []string{"Settings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := newStore(filepath.Join(root, "atl"), newFake(nil))
			l := mustLogin(t, s, "default")
			must(t, l.Save(sampleMetadata(), sampleGrant()))
			unlock, err := l.Lock(context.Background(), 0)
			must(t, err)
			unlock()
			must(t, os.WriteFile(filepath.Join(s.Dir(), "config.json"), []byte(`{}`), 0o600))
			must(t, os.Chown(tc.path(s), other, other))
			before := snapshot(t, root)
			for use, err := range uses(t, s, tc.uses...) {
				wantTrustError(t, use, err, tc.path(s), "is owned by uid 4242, not by you (uid 0)")
			}
			if after := snapshot(t, root); !sameSnapshot(before, after) {
				t.Fatalf("the directory was changed:\n%v\n%v", before, after)
			}
		})
	}
}

func TestParentsAreCheckedWhenRunningAsRoot(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		name    string
		owner   int
		mode    fs.FileMode
		problem string // "" = accepted
	}{
		{"owned by another user", 4242, 0o755, "is owned by uid 4242, neither root nor you (uid 0)"},
		{"writable by others", 0, 0o777, "is writable by other users (mode 0777)"},
		{"writable by the group", 0, 0o775, "is writable by other users (mode 0775)"},
		{"root's, sticky and writable by all, like /tmp", 0, 0o777 | fs.ModeSticky, ""},
		{"another user's and sticky", 4242, 0o777 | fs.ModeSticky, "is owned by uid 4242"},
		{"root's, private", 0, 0o755, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			parent := filepath.Join(root, "parent")
			must(t, os.Mkdir(parent, 0o700))
			must(t, os.Chmod(parent, tc.mode))
			must(t, os.Chown(parent, tc.owner, tc.owner))
			s := newStore(filepath.Join(parent, "home", "atl"), newFake(nil))
			l := mustLogin(t, s, "default")
			err := l.Save(sampleMetadata(), sampleGrant())
			if tc.problem == "" {
				if err != nil {
					t.Fatalf("Save = %v", err)
				}
				return
			}
			wantTrustError(t, "Save", err, parent, tc.problem)
			if _, err := os.Lstat(filepath.Join(parent, "home")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatal("a directory was created below the untrusted parent")
			}
		})
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown (CI runs the tests as root)")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
