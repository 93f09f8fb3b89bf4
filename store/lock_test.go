package store

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func lockOrFatal(t *testing.T, d *Store, name string, wait time.Duration) func() {
	t.Helper()
	unlock, err := mustLogin(t, d, name).Lock(t.Context(), wait)
	if err != nil {
		t.Fatalf("Lock(%q): %v", name, err)
	}
	return unlock
}

// wantLockTimeout checks that err reports a timeout on profile name's lock.
func wantLockTimeout(t *testing.T, d *Store, name string, err error) {
	t.Helper()
	var lte *LockTimeoutError
	if !errors.As(err, &lte) {
		t.Fatalf("Lock = %v (%T), want *LockTimeoutError", err, err)
	}
	path := filepath.Join(d.Dir(), "profiles", name+".lock")
	if lte.Path != path {
		t.Errorf("LockTimeoutError.Path = %s, want %s", lte.Path, path)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("message %q does not name %s", err, path)
	}
	// Deleting an flock'ed file lets a second process in: never advise it.
	if strings.Contains(err.Error(), "delete") {
		t.Errorf("message %q advises deleting the lock file", err)
	}
}

func TestLockExcludes(t *testing.T) {
	d := testStore(t)
	unlock := lockOrFatal(t, d, "default", time.Second)

	const wait = 150 * time.Millisecond
	start := time.Now()
	second, err := mustLogin(t, d, "default").Lock(t.Context(), wait)
	elapsed := time.Since(start)
	if err == nil {
		second()
		t.Fatal("a second Lock of the same profile succeeded while the first was held")
	}
	wantLockTimeout(t, d, "default", err)
	if elapsed < wait || elapsed > wait+time.Second {
		t.Errorf("gave up after %s, want about %s", elapsed, wait)
	}
	// Another Dir value for the same directory is no different.
	if _, err := mustLogin(t, newStore(d.Dir(), nil), "default").Lock(t.Context(), 20*time.Millisecond); err == nil {
		t.Fatal("a Lock through another Dir succeeded while the first was held")
	}

	unlock()
	again := lockOrFatal(t, d, "default", time.Second)
	again()
	// unlock twice is harmless.
	unlock()
	lockOrFatal(t, d, "default", time.Second)()
}

func TestLockWaitsForRelease(t *testing.T) {
	d := testStore(t)
	unlock := lockOrFatal(t, d, "default", time.Second)
	const hold = 100 * time.Millisecond
	go func() {
		time.Sleep(hold)
		unlock()
	}()
	start := time.Now()
	lockOrFatal(t, d, "default", 5*time.Second)()
	if elapsed := time.Since(start); elapsed < hold/2 {
		t.Errorf("took the lock after %s although it was held for %s", elapsed, hold)
	}
}

func TestLockProfilesIndependent(t *testing.T) {
	d := testStore(t)
	unlockA := lockOrFatal(t, d, "a", time.Second)
	defer unlockA()
	start := time.Now()
	unlockB := lockOrFatal(t, d, "b", time.Second)
	defer unlockB()
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("locking b took %s while a was held", elapsed)
	}
}

func TestLockZeroWait(t *testing.T) {
	d := testStore(t)
	// Free: a zero wait still takes it.
	unlock := lockOrFatal(t, d, "default", 0)
	// Held: a zero wait gives up at once.
	start := time.Now()
	_, err := mustLogin(t, d, "default").Lock(t.Context(), 0)
	wantLockTimeout(t, d, "default", err)
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("a zero wait took %s", elapsed)
	}
	unlock()
}

func TestLockContext(t *testing.T) {
	d := testStore(t)
	unlock := lockOrFatal(t, d, "default", time.Second)
	defer unlock()

	t.Run("canceled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := mustLogin(t, d, "default").Lock(ctx, 10*time.Second)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock = %v, want context.Canceled", err)
		}
		var lte *LockTimeoutError
		if errors.As(err, &lte) {
			t.Error("a cancellation reported as a lock timeout")
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Errorf("returned %s after the cancellation", elapsed)
		}
	})
	t.Run("deadline before wait", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := mustLogin(t, d, "default").Lock(ctx, 10*time.Second)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("canceled before, lock free", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		u, err := mustLogin(t, d, "free").Lock(ctx, time.Second)
		if !errors.Is(err, context.Canceled) {
			if u != nil {
				u()
			}
			t.Fatalf("Lock with a canceled context = %v, want context.Canceled", err)
		}
	})
}

func TestLockFileMode(t *testing.T) {
	skipOnWindows(t)
	d := testStore(t)
	lockOrFatal(t, d, "default", time.Second)()
	if got := mode(t, filepath.Join(d.Dir(), "profiles", "default.lock")); got != 0o600 {
		t.Errorf("lock file mode %04o, want 0600", got)
	}
	if got := mode(t, filepath.Join(d.Dir(), "profiles")); got != 0o700 {
		t.Errorf("profiles dir mode %04o, want 0700", got)
	}
}

const (
	lockHelperEnv     = "ATL_TEST_LOCK_HELPER_DIR"
	lockHelperNameEnv = "ATL_TEST_LOCK_HELPER_PROFILE"
)

// TestLockHelperProcess is not a test: run as a child by
// TestLockCrossProcess, it says "trying", takes a lock, says "locked", and
// holds the lock until its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process for TestLockCrossProcess")
	}
	os.Stdout.WriteString("trying\n")
	unlock, err := mustLogin(t, newStore(dir, nil), os.Getenv(lockHelperNameEnv)).Lock(context.Background(), 20*time.Second)
	if err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		os.Exit(3)
	}
	os.Stdout.WriteString("locked\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	unlock()
	os.Exit(0)
}

// lockHolder is a child process that takes profile name's lock in d.
// Closing stdin makes it release the lock and exit.
type lockHolder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startLockHelper(t *testing.T, d *Store, name string) *lockHolder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
	// atexit_sleep_ms: a -race binary otherwise sleeps a second on exit.
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+d.Dir(), lockHelperNameEnv+"="+name, "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &lockHolder{cmd: cmd, stdin: stdin, lines: make(chan string, 16)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	h.expect(t, "trying", 20*time.Second)
	return h
}

// expect waits for the child to say want.
func (h *lockHolder) expect(t *testing.T, want string, within time.Duration) {
	t.Helper()
	select {
	case s, ok := <-h.lines:
		if !ok || s != want {
			t.Fatalf("helper process said %q (open %v), want %q", s, ok, want)
		}
	case <-time.After(within):
		t.Fatalf("helper process did not say %q within %s", want, within)
	}
}

func TestLockCrossProcess(t *testing.T) {
	t.Run("released by unlock", func(t *testing.T) {
		d := testStore(t)
		h := startLockHelper(t, d, "default")
		h.expect(t, "locked", 20*time.Second)

		_, err := mustLogin(t, d, "default").Lock(t.Context(), 200*time.Millisecond)
		wantLockTimeout(t, d, "default", err)
		// Another profile is not blocked by the child.
		lockOrFatal(t, d, "other", 200*time.Millisecond)()

		// Let the child release while this process waits.
		time.AfterFunc(100*time.Millisecond, func() { _ = h.stdin.Close() })
		lockOrFatal(t, d, "default", 10*time.Second)()
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	})
	t.Run("released by the process ending", func(t *testing.T) {
		d := testStore(t)
		h := startLockHelper(t, d, "default")
		h.expect(t, "locked", 20*time.Second)
		if _, err := mustLogin(t, d, "default").Lock(t.Context(), 100*time.Millisecond); err == nil {
			t.Fatal("Lock succeeded while another process held it")
		}
		if err := h.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = h.cmd.Wait()
		lockOrFatal(t, d, "default", 5*time.Second)()
	})
	t.Run("child waits for parent", func(t *testing.T) {
		d := testStore(t)
		unlock := lockOrFatal(t, d, "default", time.Second)
		h := startLockHelper(t, d, "default")
		select {
		case s := <-h.lines:
			t.Fatalf("child said %q while this process held the lock", s)
		case <-time.After(300 * time.Millisecond):
		}
		unlock()
		h.expect(t, "locked", 10*time.Second)
		_ = h.stdin.Close()
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	})
}

func TestLockUnless(t *testing.T) {
	d := testStore(t)
	l := mustLogin(t, d, "default")
	// Free: the lock is taken, and ready is not asked.
	unlock, err := l.LockUnless(t.Context(), time.Second, func() bool {
		t.Error("ready asked although the lock was free")
		return true
	})
	if err != nil || unlock == nil {
		t.Fatalf("LockUnless on a free lock: %v", err)
	}
	// Held: ready is asked while waiting, and once it says the lock is not
	// needed, LockUnless returns without it.
	asked := 0
	second, err := mustLogin(t, newStore(d.Dir(), nil), "default").LockUnless(t.Context(), 5*time.Second, func() bool {
		asked++
		return asked == 3
	})
	if err != nil || second != nil || asked != 3 {
		t.Fatalf("LockUnless while held: unlock %v, err %v, ready asked %d times", second != nil, err, asked)
	}
	// Held, and never ready: it times out as Lock does.
	_, err = l.LockUnless(t.Context(), 30*time.Millisecond, func() bool { return false })
	wantLockTimeout(t, d, "default", err)
	unlock()
}
