package store

import (
	"errors"
)

// Backend is the small keychain API the stored logins build on: the system
// keychain (Keyring), the opt-in insecure file, or a fake in tests. Get
// returns ErrNotFound when the item does not exist; so does Delete.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
	// ItemSize is the largest value written to one item; larger values
	// are split across several. Zero means no limit.
	ItemSize() int
}

// ErrNotFound reports that no secret is stored under the asked name.
var ErrNotFound = errors.New("no secret stored")

// ErrTooBig is what a Backend returns when one item is larger than the
// platform accepts. Values larger than the backend's ItemSize are split to
// avoid it.
var ErrTooBig = errors.New("secret too big for one keychain item")

// KeychainError reports that the keychain could not be used.
type KeychainError struct {
	Op    string // "read", "write" or "delete"
	Cause string // what went wrong, in words a person understands
	// Timeout is set when the keychain did not answer in time: it may be
	// locked and waiting for a password prompt.
	Timeout bool
	Err     error
}

func (e *KeychainError) Error() string {
	return "keychain " + e.Op + " failed: " + e.Cause
}

func (e *KeychainError) Unwrap() error { return e.Err }
