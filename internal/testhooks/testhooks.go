// Package testhooks holds what atl's own tests change in package auth
// beyond auth.Options: the keychain and token cache (fakes), the clock,
// how long a refresh waits for another process's, and how a refresh is
// retried. It is internal, so programs outside atl cannot set them: the
// zero Hooks, or none, is the real thing.
package testhooks

import (
	"context"
	"time"

	"github.com/atl-cli/atl/store"
)

// Hooks replace parts of auth for a test; each zero field keeps the real
// one.
type Hooks struct {
	Keychain   store.Backend    // the system keychain
	TokenCache store.TokenCache // the platform's access-token cache
	Now        func() time.Time // time.Now
	LockWait   time.Duration    // how long a refresh waits for another process's: store.DefaultLockWait
	Retry      Retry
}

// Retry bounds how a refresh is retried.
type Retry struct {
	Attempts      int                                              // total tries: 4
	Base          time.Duration                                    // first backoff, doubling: 500ms
	MaxRetryAfter time.Duration                                    // longest Retry-After honoured: 30s
	Sleep         func(ctx context.Context, d time.Duration) error // waits on a timer
}
