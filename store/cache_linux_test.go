//go:build linux

package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/internal/keyringtest"
	"golang.org/x/sys/unix"
)

// kernelKey is a key name of this test's own.
func kernelKey(t *testing.T) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	k := "atl-test:" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = KernelKeyring{}.Delete(k) })
	return k
}

func TestKernelKeyring(t *testing.T) {
	var kr KernelKeyring
	key := kernelKey(t)
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of nothing = %v (is keyctl refused here? atl would go on without a cache)", err)
	}
	if err := kr.Set(key, []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(key, []byte(strings.Repeat("v", 6000)), time.Minute); err != nil { // replaced in place
		t.Fatal(err)
	}
	if got, err := kr.Get(key); err != nil || len(got) != 6000 {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	if n, err := keyringtest.Count(key); n != 1 || err != nil {
		t.Fatalf("%d keys named %s in the user keyring (%v), want the one", n, key, err)
	}
	if _, err := unix.KeyctlSearch(unix.KEY_SPEC_PROCESS_KEYRING, "user", key, 0); err == nil {
		t.Fatal("the key is still in the process keyring")
	}
	// Only the user: possessor and user may do all, group and others nothing.
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", key, 0)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil || !strings.HasPrefix(desc, "user;") || !strings.Contains(desc, ";3f3f0000;"+key) {
		t.Fatalf("DESCRIBE = %q, %v; want perm 3f3f0000", desc, err)
	}
	if err := kr.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	// An entry goes with its token: a ttl of a whole second is one second
	// (keyctl counts in seconds; a part of one counts as one).
	if err := kr.Set(key, []byte("short"), time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(key); err != nil {
		t.Fatalf("Get before its timeout = %v", err)
	}
	time.Sleep(1500 * time.Millisecond)
	if _, err := kr.Get(key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after its timeout = %v", err)
	}
}

func TestALoginsTokenInTheKernelKeyring(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "atl"), newFake(nil)).WithTokenCache(KernelKeyring{})
	l := mustLogin(t, s, "default")
	m, g := sampleMetadata(), sampleGrant()
	g.Expiry = time.Now().Add(time.Hour).Truncate(time.Second)
	g.APIURL = m.APIURL
	if err := l.Save(m, g); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.DropCachedToken() })
	c, ok := l.CachedToken(m)
	if !ok || c.AccessToken != g.AccessToken || !c.Expiry.Equal(g.Expiry) || c.APIURL != m.APIURL {
		t.Fatalf("CachedToken = %+v, %v", c, ok)
	}
	if s.TokenCacheName() != "the kernel keyring" {
		t.Fatalf("name %q", s.TokenCacheName())
	}
	other := *m
	other.ClientID = "another-client"
	if _, ok := l.CachedToken(&other); ok {
		t.Fatal("an entry was found for another client")
	}
	if err := l.MarkDead(m, "rejected", time.Now()); err != nil {
		t.Fatal(err)
	}
	m.Dead = nil
	if _, ok := l.CachedToken(m); ok {
		t.Fatal("a dead login's entry survived")
	}
}

func TestWithTokenCacheNilKeepsThePlatforms(t *testing.T) {
	if name := New(t.TempDir(), nil).WithTokenCache(nil).TokenCacheName(); name != "the kernel keyring" {
		t.Fatalf("WithTokenCache(nil): %q", name)
	}
}

// refusing makes the kernel keyring's system calls, but refuses keyctl
// (add_key aside) with err from its from-th call on (counting from 1):
// every later one too with all, else that one only.
type refusing struct {
	sysKeyctl
	from   int
	all    bool
	err    error
	calls  int
	addErr error // add_key's error, if any
}

func (r *refusing) addKey(description string, payload []byte, ring int) (int, error) {
	if r.addErr != nil {
		return 0, r.addErr
	}
	return r.sysKeyctl.addKey(description, payload, ring)
}

func (r *refusing) refused() bool {
	r.calls++
	return r.calls == r.from || (r.all && r.calls > r.from)
}

func (r *refusing) setperm(id int, perm uint32) error {
	if r.refused() {
		return r.err
	}
	return r.sysKeyctl.setperm(id, perm)
}

func (r *refusing) setTimeout(id, secs int) error {
	if r.refused() {
		return r.err
	}
	return r.sysKeyctl.setTimeout(id, secs)
}

func (r *refusing) link(id, ring int) error {
	if r.refused() {
		return r.err
	}
	return r.sysKeyctl.link(id, ring)
}

func (r *refusing) unlink(id, ring int) error {
	if r.refused() {
		return r.err
	}
	return r.sysKeyctl.unlink(id, ring)
}

func (r *refusing) invalidate(id int) error {
	if r.refused() {
		return r.err
	}
	return r.sysKeyctl.invalidate(id)
}

// When add_key works but a keyctl after it is refused (its permissions,
// its timeout, linking it; and perhaps every keyctl after that, so that
// the new key cannot be removed either), Set fails and the user keyring
// holds no key of that name: none that would never expire.
func TestAKeyWhosePermissionsOrTimeoutAreRefusedNeverReachesTheUserKeyring(t *testing.T) {
	for _, step := range []string{"permissions", "timeout", "link"} {
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s refused, later calls too: %v", step, all), func(t *testing.T) {
				key := kernelKey(t)
				sys := &refusing{from: map[string]int{"permissions": 1, "timeout": 2, "link": 3}[step], all: all, err: unix.EACCES}
				if err := (KernelKeyring{sys: sys}).Set(key, []byte("token"), time.Hour); !errors.Is(err, unix.EACCES) {
					t.Fatalf("Set = %v, want EACCES", err)
				}
				if n, err := keyringtest.Count(key); n != 0 || err != nil {
					t.Fatalf("%d keys named %s in the user keyring (%v)", n, key, err)
				}
				if _, err := (KernelKeyring{}).Get(key); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get = %v", err)
				}
			})
		}
	}
}

const keyringHelperEnv = "ATL_TEST_KEYRING_SET_KEY"

// TestKernelKeyringSetHelper is not a test: run as a child by
// TestAKeyWhoseTimeoutIsRefusedByStraceNeverReachesTheUserKeyring, it
// calls Set once and says what it returned.
func TestKernelKeyringSetHelper(t *testing.T) {
	key := os.Getenv(keyringHelperEnv)
	if key == "" {
		t.Skip("helper process for TestAKeyWhoseTimeoutIsRefusedByStraceNeverReachesTheUserKeyring")
	}
	err := KernelKeyring{}.Set(key, []byte("token"), time.Hour)
	fmt.Printf("set: %v\n", err)
	os.Exit(0)
}

// The same, with the real system calls of a real process: strace refuses
// every keyctl (EACCES) and lets add_key through, as a seccomp profile
// that allows only add_key would.
func TestAKeyWhoseTimeoutIsRefusedByStraceNeverReachesTheUserKeyring(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("needs strace (apt-get install strace; scripts/test installs it)")
	}
	key := kernelKey(t)
	cmd := exec.Command(strace, "-f", "-o", os.DevNull, "-e", "trace=keyctl", "-e", "inject=keyctl:error=EACCES",
		os.Args[0], "-test.run=^TestKernelKeyringSetHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), keyringHelperEnv+"="+key, "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "set: permission denied\n") {
		t.Fatalf("the helper under strace: %v\n%s", err, out)
	}
	if n, err := keyringtest.Count(key); n != 0 || err != nil {
		t.Fatalf("%d keys named %s left in the user keyring (%v)", n, key, err)
	}
}

func TestCheckTokenCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "atl")
	if err := New(dir, newFake(nil)).WithTokenCache(KernelKeyring{}).CheckTokenCache(); err != nil {
		t.Fatalf("CheckTokenCache of the kernel keyring = %v", err)
	}
	for _, c := range []struct {
		name          string
		sys           *refusing
		full, refused bool
	}{
		{"quota full", &refusing{addErr: unix.EDQUOT}, true, false},
		{"keyctl refused", &refusing{from: 1, all: true, err: unix.EACCES}, false, true},
		{"keyctl unknown", &refusing{from: 1, all: true, err: unix.ENOSYS}, false, true},
		{"add_key refused", &refusing{addErr: unix.EPERM}, false, true},
		{"another error", &refusing{from: 2, err: unix.EINVAL}, false, false},
	} {
		err := New(dir, newFake(nil)).WithTokenCache(KernelKeyring{sys: c.sys}).CheckTokenCache()
		var ce *TokenCacheError
		if !errors.As(err, &ce) || ce.Full != c.full || ce.Refused != c.refused || ce.Cache != "the kernel keyring" {
			t.Errorf("%s: CheckTokenCache = %#v", c.name, err)
			continue
		}
		if c.full && !strings.Contains(err.Error(), "/proc/sys/kernel/keys/") {
			t.Errorf("%s: %q names no limit", c.name, err)
		}
	}
	if err := New(dir, newFake(nil)).WithTokenCache(NoTokenCache{}).CheckTokenCache(); err != nil {
		t.Fatalf("CheckTokenCache without a cache = %v", err)
	}
	keys, err := keyringtest.UserKeys()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k.Description, "atl-probe:") {
			t.Fatalf("a probe was left: %s", k.Description)
		}
	}
}
