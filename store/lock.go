package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/gofrs/flock"
)

// LockTimeoutError reports that another process held a profile's lock for
// longer than the caller would wait.
type LockTimeoutError struct {
	Path string
	Wait time.Duration
}

// The lock is an flock on the file, which the system drops when its holder
// ends: a leftover file holds nothing, and deleting it while a process
// holds the lock would let a second one in.
func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("another atl process has held %s for over %s", e.Path, e.Wait)
}

// lockPoll is how often a waiting process retries the lock.
const lockPoll = 10 * time.Millisecond

// lock takes the cross-process lock on the file at path (see Login.Lock).
func (s *Store) lock(ctx context.Context, path string, wait time.Duration) (unlock func(), err error) {
	if err := s.prepare(true); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The lock file is opened without following a symbolic link, and must
	// be the user's own.
	const flags = os.O_CREATE | os.O_RDWR | noFollow
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, &TrustError{Path: path, Problem: "is a symbolic link"}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, err
	}
	if err := checkOwned(path, fi, false); err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetFlag(flags), flock.SetPermissions(0o600))
	// Try once before waiting: TryLockContext never tries with a context
	// that is already done, which a wait of zero would be.
	ok, err := fl.TryLock()
	if !ok && err == nil && wait > 0 {
		waitCtx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		ok, err = fl.TryLockContext(waitCtx, lockPoll)
	}
	if ok {
		return func() { _ = fl.Unlock() }, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return nil, &LockTimeoutError{Path: path, Wait: wait}
	}
	return nil, fmt.Errorf("locking %s: %w", path, err)
}
