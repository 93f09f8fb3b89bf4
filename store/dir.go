package store

import (
	"errors"
	"fmt"
	"io"
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

// maxFileSize bounds what atl reads of one of its files.
const maxFileSize = 1 << 20

// readPrivate reads one of atl's private files: the directories above it
// and the file must pass the trust checks (see prepare); a file others
// may read is made private, with a warning. A missing file is
// fs.ErrNotExist.
func (s *Store) readPrivate(path string) ([]byte, error) {
	if err := s.prepare(false); err != nil {
		return nil, err
	}
	f, err := openPrivate(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkOwned(path, fi, false); err != nil {
		return nil, err
	}
	if err := s.tightenDirs(); err != nil {
		return nil, err
	}
	if err := s.tighten(path, fi, 0o600, func(_ string, m fs.FileMode) error { return f.Chmod(m) }); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrCorrupt, path, maxFileSize)
	}
	return b, nil
}

// writePrivate replaces path atomically with a 0600 file holding b: a
// reader sees the old content or the new, never a mix. The directories
// must pass the trust checks; an existing path must be a regular file.
func (s *Store) writePrivate(path string, b []byte) error {
	if err := s.prepare(true); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil {
		if err := checkOwned(path, fi, false); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
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

// removePrivate removes one of atl's files; a missing one is no error.
// The directories and the file must pass the trust checks.
func (s *Store) removePrivate(path string) error {
	if err := s.prepare(false); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := checkOwned(path, fi, false); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
