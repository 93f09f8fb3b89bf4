package store

import (
	"context"
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
	return fmt.Sprintf("another process has held %s for over %s", e.Path, e.Wait)
}

// DefaultLockWait is how long a change to a login (or to config.json)
// waits for another process's, unless told otherwise.
const DefaultLockWait = 2 * time.Minute

// lockPoll is how often a waiting process retries the lock.
const lockPoll = 10 * time.Millisecond

// lock takes the cross-process lock on the file at path (see Login.Lock).
// While it waits, ready (when not nil) is asked every lockPoll whether the
// lock is still needed: when it says no, lock returns a nil unlock and no
// error.
func (s *Store) lock(ctx context.Context, path string, wait time.Duration, ready func() bool) (unlock func(), err error) {
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
	deadline := time.Now().Add(wait)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		ok, err := fl.TryLock()
		switch {
		case err != nil:
			return nil, fmt.Errorf("locking %s: %w", path, err)
		case ok:
			return func() { _ = fl.Unlock() }, nil
		case ready != nil && ready():
			return nil, nil
		case !time.Now().Before(deadline):
			return nil, &LockTimeoutError{Path: path, Wait: wait}
		}
		t.Reset(min(lockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// Lock takes the login's cross-process lock, waiting at most wait (and no
// longer than ctx allows; a wait of zero or less tries once). The lock is
// released by calling unlock, or by the process ending.
func (l *Login) Lock(ctx context.Context, wait time.Duration) (unlock func(), err error) {
	return l.store.lock(ctx, l.profileLockPath(), wait, nil)
}

// LockUnless is Lock, but while it waits it asks ready every few
// milliseconds whether the lock is still needed (another process may be
// doing the work that needed it): when ready says no, it returns a nil
// unlock and no error, without the lock.
func (l *Login) LockUnless(ctx context.Context, wait time.Duration, ready func() bool) (unlock func(), err error) {
	return l.store.lock(ctx, l.profileLockPath(), wait, ready)
}

func (l *Login) profileLockPath() string { return l.store.profileFile(l.name, ".lock") }

// Update changes the login's metadata with change and saves it; it must be
// called with the lock held.
func (l *Login) Update(change func(m *Metadata) error) error {
	m, err := l.Metadata()
	if err != nil {
		return err
	}
	if err := change(m); err != nil {
		return err
	}
	return l.store.saveMetadata(l.name, m)
}
