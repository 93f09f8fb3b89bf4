package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofrs/flock"
)

// LockTimeoutError reports that another process held a profile's lock for
// longer than the caller would wait.
type LockTimeoutError struct {
	Path string
	Wait time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("another atl process has held %s for over %s; if none is running, delete that file and try again", e.Path, e.Wait)
}

// lockPoll is how often a waiting process retries the lock.
const lockPoll = 10 * time.Millisecond

// Lock takes the cross-process lock of profile name, waiting at most wait
// (and no longer than ctx allows). The lock is released by calling unlock,
// or by the process ending.
func (d *Dir) Lock(ctx context.Context, name string, wait time.Duration) (unlock func(), err error) {
	path, err := d.profileFile(name, ".lock")
	if err != nil {
		return nil, err
	}
	if err := d.ensure(); err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := fl.TryLockContext(waitCtx, lockPoll)
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
