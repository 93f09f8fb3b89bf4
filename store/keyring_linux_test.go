package store

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// These run on Linux without a keychain: they test what atl says when
// there is no usable one.

func TestKeyringNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	for _, c := range []struct {
		op   string
		call func(k Keyring) error
	}{
		{"read", func(k Keyring) error { _, err := k.Get("atl-test-nobus", "k"); return err }},
		{"write", func(k Keyring) error { return k.Set("atl-test-nobus", "k", "v") }},
		{"delete", func(k Keyring) error { return k.Delete("atl-test-nobus", "k") }},
	} {
		start := time.Now()
		err := c.call(Keyring{})
		elapsed := time.Since(start)
		var ke *KeychainError
		if !errors.As(err, &ke) {
			t.Fatalf("%s without a session bus = %v (%T), want *KeychainError", c.op, err, err)
		}
		if ke.Op != c.op {
			t.Errorf("Op = %q, want %q", ke.Op, c.op)
		}
		if !strings.Contains(err.Error(), "D-Bus") {
			t.Errorf("message %q does not mention D-Bus", err)
		}
		if want := "keychain " + c.op + " failed: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
		if elapsed > 2*time.Second {
			t.Errorf("%s took %s to fail", c.op, elapsed)
		}
	}
	// "autolaunch:" is no address either: godbus would start a daemon.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "autolaunch:")
	if _, err := (Keyring{}).Get("atl-test-nobus", "k"); !strings.Contains(fmt.Sprint(err), "D-Bus") {
		t.Errorf("Get with autolaunch: = %v, want the no-bus error", err)
	}
}

func TestKeychainPreflightFindsRuntimeBus(t *testing.T) {
	// godbus itself looks only in /run/user/UID; a bus in
	// $XDG_RUNTIME_DIR must be handed to it as the address.
	t.Run("bus socket", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", dir)
		if err := keychainPreflight(); err != nil {
			t.Fatalf("preflight: %v", err)
		}
		want := "unix:path=" + dbus.EscapeBusAddressValue(filepath.Join(dir, "bus"))
		if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != want {
			t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q, want %q", got, want)
		}
	})
	t.Run("dbus-session file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "dbus-session"), []byte("DBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-test\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		t.Setenv("XDG_RUNTIME_DIR", dir)
		if err := keychainPreflight(); err != nil {
			t.Fatalf("preflight: %v", err)
		}
		if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != "unix:abstract=/tmp/dbus-test" {
			t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q", got)
		}
	})
	t.Run("address set", func(t *testing.T) {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
		t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
		if err := keychainPreflight(); err != nil {
			t.Fatalf("preflight with an address: %v", err)
		}
		if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != "unix:path=/nonexistent" {
			t.Errorf("preflight changed the address to %q", got)
		}
	})
}

func TestPlatformKeychainCause(t *testing.T) {
	cases := map[string]string{
		"org.freedesktop.DBus.Error.ServiceUnknown": "no Secret Service is running",
		"org.freedesktop.DBus.Error.NoReply":        "did not reply",
		"org.freedesktop.Secret.Error.IsLocked":     "locked",
		"org.freedesktop.DBus.Error.AccessDenied":   "denied",
		"org.example.Weird":                         "D-Bus error org.example.Weird",
	}
	for name, want := range cases {
		e := dbus.Error{Name: name}
		for _, err := range []error{e, &e, fmt.Errorf("wrapped: %w", e)} {
			if got := platformKeychainCause(err); !strings.Contains(got, want) {
				t.Errorf("cause of %s (%T) = %q, want it to contain %q", name, err, got, want)
			}
		}
	}
	if got := platformKeychainCause(errors.New("plain")); got != "plain" {
		t.Errorf("cause of a plain error = %q", got)
	}
}

const silentBusHelperEnv = "ATL_TEST_SILENT_BUS_HELPER"

// TestKeyringSilentBusHelper is not a test: run as a child by
// TestKeyringTimeout with DBUS_SESSION_BUS_ADDRESS pointing at a socket that
// never answers, it reports what Keyring.Get said. A child process because
// godbus keeps one session bus connection per process.
func TestKeyringSilentBusHelper(t *testing.T) {
	if os.Getenv(silentBusHelperEnv) != "1" {
		t.Skip("helper process for TestKeyringTimeout")
	}
	start := time.Now()
	_, err := Keyring{Timeout: 300 * time.Millisecond}.Get("atl-test-silent", "k")
	fmt.Printf("elapsed=%s\n", time.Since(start))
	var ke *KeychainError
	if errors.As(err, &ke) {
		fmt.Printf("op=%s\n", ke.Op)
	}
	fmt.Printf("err=%v\n", err)
	os.Exit(0)
}

func TestKeyringTimeout(t *testing.T) {
	// A socket path must be short; t.TempDir() names can be long.
	dir, err := os.MkdirTemp("", "atl-bus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bus")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyringSilentBusHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		silentBusHelperEnv+"=1",
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+dbus.EscapeBusAddressValue(sock),
		"GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	t.Logf("helper (%s in all):\n%s", time.Since(start), out)
	fields := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			fields[k] = v
		}
	}
	if !strings.Contains(fields["err"], "did not answer") {
		t.Errorf("error %q does not say the keychain did not answer", fields["err"])
	}
	if fields["op"] != "read" {
		t.Errorf("not a *KeychainError for a read (op=%q)", fields["op"])
	}
	elapsed, err := time.ParseDuration(fields["elapsed"])
	if err != nil {
		t.Fatalf("helper output: %v", err)
	}
	if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("Get gave up after %s, want about 300ms", elapsed)
	}
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	if n == 0 {
		t.Error("the helper never connected to the silent bus: the timeout came from elsewhere")
	}
}
