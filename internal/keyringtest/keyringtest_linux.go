package keyringtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Key is a key linked into the user's keyring.
type Key struct {
	ID          int
	Type        string
	Perm        uint32
	Description string
}

// UserKeys lists the keys linked into the user's keyring (KEYCTL_READ of
// the keyring, then KEYCTL_DESCRIBE of each); a key that went while it
// was being listed is left out.
func UserKeys() ([]Key, error) {
	buf := make([]byte, 4096)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, unix.KEY_SPEC_USER_KEYRING, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("reading the user keyring: %w", err)
		}
		if n <= len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, n)
	}
	var keys []Key
	for i := 0; i+4 <= len(buf); i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(buf[i:])))
		desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYEXPIRED) || errors.Is(err, unix.EKEYREVOKED) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("describing key %d: %w", id, err)
		}
		// type;uid;gid;perm;description
		f := strings.SplitN(desc, ";", 5)
		if len(f) != 5 {
			return nil, fmt.Errorf("key %d is described as %q", id, desc)
		}
		perm, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil {
			return nil, fmt.Errorf("key %d is described as %q", id, desc)
		}
		keys = append(keys, Key{ID: id, Type: f[0], Perm: uint32(perm), Description: f[4]})
	}
	return keys, nil
}

// Count is how many keys of type user described as description are
// linked into the user's keyring.
func Count(description string) (int, error) {
	keys, err := UserKeys()
	n := 0
	for _, k := range keys {
		if k.Type == "user" && k.Description == description {
			n++
		}
	}
	return n, err
}

// Remove invalidates the key; for tests that clean up.
func Remove(id int) error {
	_, err := unix.KeyctlInt(unix.KEYCTL_INVALIDATE, id, 0, 0, 0)
	return err
}
