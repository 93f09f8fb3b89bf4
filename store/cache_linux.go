//go:build linux

package store

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// KernelKeyring is the TokenCache of Linux: keys of type "user" in the
// user's keyring, readable by the user's processes only (not by group or
// others), expiring with their token, never written to disk. Where
// keyctl is refused (a container's seccomp profile), every call fails
// and atl goes on without a cache.
type KernelKeyring struct{}

// keyPerm: the possessor and the user may do anything; group and others
// nothing.
const keyPerm = 0x3f3f0000 // KEY_POS_ALL | KEY_USR_ALL, from <linux/keyctl.h>

// Get implements TokenCache.
func (KernelKeyring) Get(key string) ([]byte, error) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", key, 0)
	if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.ENOKEY) {
				return nil, ErrNotFound
			}
			return nil, err
		}
		if n <= len(buf) {
			return buf[:n], nil
		}
		if n > MaxSecretSize {
			return nil, ErrTooBig
		}
		buf = make([]byte, n)
	}
}

// Set implements TokenCache.
func (KernelKeyring) Set(key string, value []byte, ttl time.Duration) error {
	id, err := unix.AddKey("user", key, value, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		return err
	}
	if err := unix.KeyctlSetperm(id, keyPerm); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return err
	}
	secs := int((ttl + time.Second - 1) / time.Second)
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, secs, 0, 0); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
		return err
	}
	return nil
}

// Delete implements TokenCache.
func (KernelKeyring) Delete(key string) error {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", key, 0)
	if err != nil {
		return ErrNotFound
	}
	_, err = unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	return err
}

// Name implements TokenCache.
func (KernelKeyring) Name() string { return "the kernel keyring" }

// platformCache is the TokenCache of this platform.
func platformCache() TokenCache { return KernelKeyring{} }
