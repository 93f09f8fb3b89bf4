package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TrustError reports a file or directory atl refuses to use: a symbolic
// link, not owned by the user running atl, or writable by other users.
// Whoever controls it could read atl's secrets or point atl at their own
// servers, so atl touches nothing there.
type TrustError struct {
	Path    string
	Problem string // e.g. "is owned by uid 1001, not by you (uid 0)"
}

func (e *TrustError) Error() string {
	return fmt.Sprintf("refusing to use %s: it %s", e.Path, e.Problem)
}

// prepare checks the config directory and its profiles directory before
// anything in them is read or written (and, when atl runs as root, every
// directory above them, as OpenSSH's StrictModes does): anything amiss is
// a *TrustError and nothing is changed. With create (before a write), a
// missing one is made, private to the user, and permission bits that let
// others read an existing one are removed, with a warning.
func (s *Store) prepare(create bool) error {
	if runningAsRoot() {
		if err := checkParents(s.dir); err != nil {
			return err
		}
	}
	for _, p := range []string{s.dir, s.profilesDir()} {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) && create {
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := restrictToOwner(p); err != nil {
				return fmt.Errorf("making %s private: %w", p, err)
			}
			fi, err = os.Lstat(p)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing to read below it
		}
		if err != nil {
			return err
		}
		if err := checkOwned(p, fi, true); err != nil {
			return err
		}
		if !create {
			continue
		}
		if err := s.tighten(p, fi, 0o700, os.Chmod); err != nil {
			return err
		}
	}
	return nil
}

// tightenDirs makes the checked directories private, as prepare(true)
// does, once a private file was found in them.
func (s *Store) tightenDirs() error {
	for _, p := range []string{s.dir, s.profilesDir()} {
		if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
			if err := s.tighten(p, fi, 0o700, os.Chmod); err != nil {
				return err
			}
		}
	}
	return nil
}

// tighten removes permission bits beyond want from path (through chmod),
// and tells Tightened. Windows has no such bits; its ACLs apply.
func (s *Store) tighten(path string, fi fs.FileInfo, want fs.FileMode, chmod func(string, fs.FileMode) error) error {
	if !unixPermissions || fi.Mode().Perm()&^want == 0 {
		return nil
	}
	if err := chmod(path, want); err != nil {
		return err
	}
	if s.Tightened != nil {
		s.Tightened(path, fi.Mode().Perm(), want)
	}
	return nil
}

// notOwned reports fi's problem, if any, as a file or directory atl uses:
// it must be what is expected (a directory or a regular file), not a
// symbolic link, owned by the effective user and not writable by others.
func notOwned(path string, fi fs.FileInfo, wantDir bool, owner uint32, ownerKnown bool) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &TrustError{Path: path, Problem: "is a symbolic link"}
	case wantDir && !fi.IsDir():
		return &TrustError{Path: path, Problem: "is not a directory"}
	case !wantDir && !fi.Mode().IsRegular():
		return &TrustError{Path: path, Problem: "is not a regular file"}
	case ownerKnown && int64(owner) != int64(os.Geteuid()):
		return &TrustError{Path: path, Problem: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", owner, os.Geteuid())}
	case unixPermissions && fi.Mode().Perm()&0o022 != 0:
		return &TrustError{Path: path, Problem: fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm())}
	}
	return nil
}

// Check runs the trust checks on the config directory and every file in it
// atl uses, changing nothing: nil, or the first *TrustError.
func (s *Store) Check() error {
	if err := s.prepare(false); err != nil {
		return err
	}
	paths := []string{filepath.Join(s.dir, "config.json")}
	if entries, err := os.ReadDir(s.profilesDir()); err == nil {
		for _, e := range entries {
			paths = append(paths, filepath.Join(s.profilesDir(), e.Name()))
		}
	}
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := checkOwned(p, fi, false); err != nil {
			return err
		}
	}
	return nil
}
