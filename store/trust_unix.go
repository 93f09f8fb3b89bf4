//go:build !windows

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// unixPermissions says that files have Unix permission bits.
const unixPermissions = true

// noFollow makes an open fail on a symbolic link.
const noFollow = syscall.O_NOFOLLOW

func runningAsRoot() bool { return os.Geteuid() == 0 }

func ownerOf(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

// checkOwned is notOwned with fi's owner.
func checkOwned(path string, fi fs.FileInfo, wantDir bool) error {
	uid, ok := ownerOf(fi)
	return notOwned(path, fi, wantDir, uid, ok)
}

// checkParents checks every directory above dir: each must be owned by
// root or the effective user, and writable by others only when it is
// root's and sticky (as /tmp is).
func checkParents(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(abs)
	if real, err := filepath.EvalSymlinks(parent); err == nil {
		parent = real
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for p := parent; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			uid, _ := ownerOf(fi)
			me := uint32(os.Geteuid())
			switch {
			case uid != 0 && uid != me:
				return &TrustError{Path: p, Problem: fmt.Sprintf("is owned by uid %d, neither root nor you (uid %d), and holds atl's config directory %s", uid, me, dir)}
			case fi.Mode().Perm()&0o022 != 0 && !(uid == 0 && fi.Mode()&fs.ModeSticky != 0):
				return &TrustError{Path: p, Problem: fmt.Sprintf("is writable by other users (mode %04o) and holds atl's config directory %s", fi.Mode().Perm(), dir)}
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if next := filepath.Dir(p); next == p {
			return nil
		}
	}
}

// openPrivate opens path for reading without following a symbolic link.
func openPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, &TrustError{Path: path, Problem: "is a symbolic link"}
	}
	return f, err
}

// restrictToOwner makes a directory atl created private to its owner: its
// mode (0700) does that on Unix.
func restrictToOwner(string) error { return nil }
