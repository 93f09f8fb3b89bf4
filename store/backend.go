package store

import (
	"errors"
	"fmt"
)

// Backend is the small keychain API a Vault builds on: the system keychain,
// the opt-in insecure file, or a fake in tests. Get returns ErrNotFound when
// the item does not exist; so does Delete.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// ErrNotFound reports that no secret is stored under the asked name.
var ErrNotFound = errors.New("no secret stored")

// ErrTooBig is what a Backend returns when one item is larger than the
// platform accepts. A Vault avoids it by splitting values into items no
// larger than its item size.
var ErrTooBig = errors.New("secret too big for one keychain item")

// KeychainError reports that the keychain could not be used. Cause names what
// went wrong in words a user understands, Fix what to do about it.
type KeychainError struct {
	Op    string // "read", "write" or "delete"
	Cause string
	Fix   string
	Err   error
}

func (e *KeychainError) Error() string {
	msg := fmt.Sprintf("keychain %s failed: %s", e.Op, e.Cause)
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *KeychainError) Unwrap() error { return e.Err }
