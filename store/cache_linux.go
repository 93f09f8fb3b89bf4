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
type KernelKeyring struct {
	sys keyctl // the system calls; nil makes them
}

// keyPerm: the possessor and the user may do anything; group and others
// nothing.
const keyPerm = 0x3f3f0000 // KEY_POS_ALL | KEY_USR_ALL, from <linux/keyctl.h>

// keyctl are the system calls of the kernel keyring that KernelKeyring
// makes, so that a test can refuse one.
type keyctl interface {
	addKey(description string, payload []byte, ring int) (int, error)
	setperm(id int, perm uint32) error
	setTimeout(id int, secs int) error
	link(id, ring int) error
	unlink(id, ring int) error
	invalidate(id int) error
	search(ring int, description string) (int, error)
	read(id int, buf []byte) (int, error)
}

// sysKeyctl makes the system calls.
type sysKeyctl struct{}

func (sysKeyctl) addKey(description string, payload []byte, ring int) (int, error) {
	return unix.AddKey("user", description, payload, ring)
}
func (sysKeyctl) setperm(id int, perm uint32) error { return unix.KeyctlSetperm(id, perm) }
func (sysKeyctl) setTimeout(id int, secs int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, secs, 0, 0)
	return err
}
func (sysKeyctl) link(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_LINK, id, ring, 0, 0)
	return err
}
func (sysKeyctl) unlink(id, ring int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, ring, 0, 0)
	return err
}
func (sysKeyctl) invalidate(id int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	return err
}
func (sysKeyctl) search(ring int, description string) (int, error) {
	return unix.KeyctlSearch(ring, "user", description, 0)
}
func (sysKeyctl) read(id int, buf []byte) (int, error) {
	return unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
}

func (k KernelKeyring) calls() keyctl {
	if k.sys == nil {
		return sysKeyctl{}
	}
	return k.sys
}

// gone reports an error of a key that is not there (any more).
func gone(err error) bool {
	return errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED)
}

// Get implements TokenCache.
func (k KernelKeyring) Get(key string) ([]byte, error) {
	sys := k.calls()
	id, err := sys.search(unix.KEY_SPEC_USER_KEYRING, key)
	if gone(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 4096)
	for {
		n, err := sys.read(id, buf)
		if err != nil {
			if gone(err) {
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

// Set implements TokenCache. The key is made in the process's own
// keyring, given its permissions and timeout there, and only then linked
// into the user's keyring (in place of an older key of that name): a key
// whose permissions or timeout were refused is never in the user's
// keyring, and goes at the latest when the process ends.
func (k KernelKeyring) Set(key string, value []byte, ttl time.Duration) error {
	sys := k.calls()
	id, err := sys.addKey(key, value, unix.KEY_SPEC_PROCESS_KEYRING)
	if err != nil {
		return err
	}
	secs := int((ttl + time.Second - 1) / time.Second)
	err = sys.setperm(id, keyPerm)
	if err == nil {
		err = sys.setTimeout(id, secs)
	}
	if err == nil {
		err = sys.link(id, unix.KEY_SPEC_USER_KEYRING)
	}
	if err != nil {
		_ = sys.invalidate(id)
		_ = sys.unlink(id, unix.KEY_SPEC_PROCESS_KEYRING)
		return err
	}
	_ = sys.unlink(id, unix.KEY_SPEC_PROCESS_KEYRING) // else it stays there until the process ends
	return nil
}

// Delete implements TokenCache.
func (k KernelKeyring) Delete(key string) error {
	sys := k.calls()
	id, err := sys.search(unix.KEY_SPEC_USER_KEYRING, key)
	if err != nil {
		return ErrNotFound
	}
	return sys.invalidate(id)
}

// Name implements TokenCache.
func (KernelKeyring) Name() string { return "the kernel keyring" }

// cacheTrouble says whether err, from the kernel keyring, is a quota used
// up or the system calls refused.
func cacheTrouble(err error) (full, refused bool) {
	return errors.Is(err, unix.EDQUOT), errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.ENOSYS)
}

// platformCache is the TokenCache of this platform.
func platformCache() TokenCache { return KernelKeyring{} }
