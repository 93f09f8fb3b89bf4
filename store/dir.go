package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

func (s *Store) profilesDir() string { return filepath.Join(s.dir, "profiles") }

// profileFile is the path of profile name's file with suffix. The name
// has been checked by Store.Login.
func (s *Store) profileFile(name, suffix string) string {
	return filepath.Join(s.profilesDir(), name+suffix)
}

// ensure creates the directory tree with mode 0700, tightening it if an
// existing one is open to others.
func (s *Store) ensure() error {
	for _, p := range []string{s.dir, s.profilesDir()} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return err
		}
		if err := s.tighten(p, 0o700); err != nil {
			return err
		}
	}
	return nil
}

// tighten removes permission bits beyond want from path, with a warning.
// Windows has no such bits; its ACLs on the user's profile apply.
func (s *Store) tighten(path string, want fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&^want == 0 {
		return nil
	}
	if s.Warn != nil {
		fmt.Fprintf(s.Warn, "warning: %s was readable by others (mode %04o); fixed to %04o\n", path, fi.Mode().Perm(), want)
	}
	return os.Chmod(path, want)
}

// readPrivate reads a file that must be private, fixing its mode when it is
// not. A missing file is fs.ErrNotExist.
func (s *Store) readPrivate(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dirs := []string{s.dir}
	if parent := filepath.Dir(path); parent != filepath.Clean(s.dir) {
		dirs = append(dirs, parent)
	}
	for _, dir := range dirs {
		if err := s.tighten(dir, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.tighten(path, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// writePrivate replaces path atomically with a 0600 file holding b: a
// reader sees the old content or the new, never a mix.
func (s *Store) writePrivate(path string, b []byte) error {
	if err := s.ensure(); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	// The rename is durable only once the directory is synced: without
	// this, a crash can bring back the old file (an old, spent refresh
	// token for the insecure storage). Best effort: not every system can.
	if runtime.GOOS != "windows" {
		if dir, err := os.Open(filepath.Dir(path)); err == nil {
			_ = dir.Sync()
			dir.Close()
		}
	}
	return nil
}
