package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var invalidNames = []string{
	"", ".", "..", "../x", "../../etc/passwd", "a/b", "a\\b", "/abs", ".hidden", "-flag", "_x",
	"a b", "a\x00b", "a\nb", "é", "a:b", "a*", strings.Repeat("a", 65),
	"x.tokens", "X.Tokens", "default.TOKENS",
	// Just outside each range of letters and digits.
	"a{", "a[", "a`", "a@", "a/", "{a", "[a", "`a", "@a", "/a", ":a",
}

var validNames = []string{"default", "a", "A", "0", "z", "Z", "9", "az-AZ_09.x", "work-2", "a.b_c", "x.tokens2", "tokens", "x.token", strings.Repeat("a", 64)}

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
	d := newStore(filepath.Join(root, "atl"), newFake(nil))
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
	d := newStore("/cfg", nil)
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

func TestCanonicalDir(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(root, "link")); err != nil {
		t.Skip("no symbolic links here")
	}
	// A directory not made yet, below a link: the link is resolved.
	if got := canonicalDir(filepath.Join(root, "link", "atl")); got != filepath.Join(real, "atl") {
		t.Errorf("canonicalDir(link/atl) = %s", got)
	}
	if got := canonicalDir(filepath.Join(root, "link")); got != real {
		t.Errorf("canonicalDir(link) = %s", got)
	}
	// A relative directory is made absolute.
	t.Chdir(real)
	if got := canonicalDir("x"); got != filepath.Join(real, "x") {
		t.Errorf("canonicalDir(x) = %s", got)
	}
}
