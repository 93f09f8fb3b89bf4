package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// DefaultKeychainTimeout bounds every keychain call. Secret Service waits
// forever on an unanswered unlock prompt; atl must not.
const DefaultKeychainTimeout = 10 * time.Second

// Keyring is the operating system's keychain: Secret Service on Linux and
// the BSDs, the login Keychain on macOS, Credential Manager on Windows.
// Every call gives up after Timeout (DefaultKeychainTimeout when zero) and
// failures come back as *KeychainError.
type Keyring struct {
	Timeout time.Duration
}

// Get implements Backend.
func (k Keyring) Get(service, user string) (string, error) {
	return k.call("read", func() (string, error) { return keyring.Get(service, user) })
}

// Set implements Backend.
func (k Keyring) Set(service, user, value string) error {
	_, err := k.call("write", func() (string, error) { return "", keyring.Set(service, user, value) })
	return err
}

// Delete implements Backend.
func (k Keyring) Delete(service, user string) error {
	_, err := k.call("delete", func() (string, error) { return "", keyring.Delete(service, user) })
	return err
}

// ItemSize implements Backend: the platform's limit on one item, with room
// to spare (see platformItemSize).
func (k Keyring) ItemSize() int { return platformItemSize }

func (k Keyring) call(op string, fn func() (string, error)) (string, error) {
	if err := keychainPreflight(); err != nil {
		return "", &KeychainError{Op: op, Cause: err.Error(), Err: err}
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeychainTimeout
	}
	type result struct {
		v   string
		err error
	}
	// The call cannot be cancelled; on timeout the goroutine is left to
	// finish (or not) on its own. atl is a short-lived process.
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, classifyKeychainError(op, r.err)
	case <-timer.C:
		return "", &KeychainError{
			Op:      op,
			Cause:   fmt.Sprintf("the keychain did not answer within %s (is it locked and waiting for a password prompt?)", timeout),
			Timeout: true,
		}
	}
}

func classifyKeychainError(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return ErrTooBig
	}
	return &KeychainError{Op: op, Cause: platformKeychainCause(err), Err: err}
}
