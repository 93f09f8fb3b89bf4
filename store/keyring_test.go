package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// These tests use the REAL system keychain. They run only with
// ATL_TEST_KEYRING=1 (scripts/test sets it inside a private D-Bus session
// with a fresh gnome-keyring); then a keychain that does not work is a
// failure, not a skip.

func requireKeyring(t *testing.T) {
	t.Helper()
	if os.Getenv("ATL_TEST_KEYRING") != "1" {
		t.Skip("set ATL_TEST_KEYRING=1 to test the real system keychain (scripts/test does, in a private D-Bus session)")
	}
}

// keyringService returns a service name of its own for this test and
// removes every item stored under it when the test ends.
func keyringService(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	service := "atl-test-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if keychainPreflight() != nil {
			return // nothing was stored; godbus would autolaunch a bus
		}
		done := make(chan error, 1)
		go func() { done <- keyring.DeleteAll(service) }()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, keyring.ErrNotFound) {
				t.Errorf("cleaning up keychain service %s: %v", service, err)
			}
		case <-time.After(DefaultKeychainTimeout):
			t.Errorf("cleaning up keychain service %s: no answer", service)
		}
	})
	return service
}

func TestKeyringBackend(t *testing.T) {
	requireKeyring(t)
	service := keyringService(t)
	k := Keyring{}
	if _, err := k.Get(service, "profile:test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing item = %v, want ErrNotFound (does the keychain work?)", err)
	}
	values := []string{"v", "ünïcødé\n\t\"'\\ $(x) `y`", strings.Repeat("0123456789", 200), ""}
	for i, want := range values {
		user := fmt.Sprintf("profile:test%d", i)
		if err := k.Set(service, user, want); err != nil {
			t.Fatalf("Set(%d bytes): %v", len(want), err)
		}
		if got, err := k.Get(service, user); err != nil || got != want {
			t.Fatalf("Get = %.30q, %v; want %.30q", got, err, want)
		}
	}
	// Set replaces.
	if err := k.Set(service, "profile:test0", "replaced"); err != nil {
		t.Fatal(err)
	}
	if got, err := k.Get(service, "profile:test0"); err != nil || got != "replaced" {
		t.Fatalf("Get after replace = %q, %v", got, err)
	}
	// Items are told apart by service and user.
	other := keyringService(t)
	if _, err := k.Get(other, "profile:test0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another service sees the item: %v", err)
	}
	if err := k.Delete(service, "profile:test0"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := k.Get(service, "profile:test0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := k.Delete(service, "profile:test0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of a missing item = %v, want ErrNotFound", err)
	}
	if got, err := k.Get(service, "profile:test1"); err != nil || got != values[1] {
		t.Fatalf("Delete removed another item: %q, %v", got, err)
	}
}

func TestKeyringVault(t *testing.T) {
	requireKeyring(t)
	sizes := []int{0, 2048}
	if platformItemSize != 0 && platformItemSize != 2048 {
		sizes = append(sizes, platformItemSize)
	}
	for _, itemSize := range sizes {
		t.Run(fmt.Sprintf("itemsize%d", itemSize), func(t *testing.T) {
			if itemSize == 0 && platformItemSize != 0 {
				t.Skipf("this platform's keychain needs items of at most %d bytes", platformItemSize)
			}
			service := keyringService(t)
			v := sizedVault(Keyring{}, service, itemSize)
			const key = "profile:test"
			if _, err := v.Get(key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get of a missing key = %v, want ErrNotFound", err)
			}
			want := secret(20, 8<<10)
			if err := v.Set(key, want); err != nil {
				t.Fatalf("Set(8 KiB): %v", err)
			}
			if got, err := sizedVault(Keyring{}, service, itemSize).Get(key); err != nil || got != want {
				t.Fatalf("Get = %d bytes, %v; want the 8 KiB written", len(got), err)
			}

			head, err := Keyring{}.Get(service, key)
			if err != nil {
				t.Fatal(err)
			}
			c, chunked, err := parseChunkHead(head)
			if err != nil {
				t.Fatal(err)
			}
			if chunked != (itemSize > 0) {
				t.Fatalf("head %.40q: chunked = %v with item size %d", head, chunked, itemSize)
			}
			if chunked {
				if c.n != 4 {
					t.Errorf("8 KiB in %d parts, want 4", c.n)
				}
				for i := range c.n {
					part, err := Keyring{}.Get(service, c.partName(key, i))
					if err != nil || len(part) > itemSize {
						t.Errorf("part %d: %d bytes, %v", i, len(part), err)
					}
				}
			}

			// Replacing with a smaller value removes the old parts.
			if err := v.Set(key, "small"); err != nil {
				t.Fatal(err)
			}
			if got, err := v.Get(key); err != nil || got != "small" {
				t.Fatalf("Get after replace = %q, %v", got, err)
			}
			if chunked {
				for i := range c.n {
					if _, err := (Keyring{}).Get(service, c.partName(key, i)); !errors.Is(err, ErrNotFound) {
						t.Errorf("old part %d still stored: %v", i, err)
					}
				}
			}

			if err := v.Set(key, want); err != nil {
				t.Fatal(err)
			}
			if err := v.Delete(key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := v.Get(key); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
			}
			if err := v.Delete(key); err != nil {
				t.Fatalf("Delete of a missing key = %v, want nil", err)
			}
		})
	}
}

func TestKeyringGrant(t *testing.T) {
	requireKeyring(t)
	service := keyringService(t)
	v := sizedVault(Keyring{}, service, platformItemSize)
	g := Grant{
		RefreshToken: "rt-" + strings.NewReplacer(":", ".", "#", "~").Replace(secret(21, 3000)),
		AccessToken:  "eyJ" + strings.NewReplacer(":", ".", "#", "~").Replace(secret(22, 3000)),
		TokenType:    "Bearer",
		Expiry:       time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		ClientSecret: secret(23, 64),
	}
	enc, err := EncodeGrant(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Set("profile:default", enc); err != nil {
		t.Fatal(err)
	}
	raw, err := v.Get("profile:default")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeGrant(raw); err != nil || !sameGrant(got, g) {
		t.Fatalf("grant through the keychain: %+v, %v", got, err)
	}
}

func TestKeychainErrorMessage(t *testing.T) {
	inner := errors.New("inner")
	e := &KeychainError{Op: "read", Cause: "the keyring is locked", Err: inner}
	if got, want := e.Error(), "keychain read failed: the keyring is locked"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, inner) {
		t.Error("KeychainError does not unwrap to its cause")
	}
	if got, want := (&KeychainError{Op: "write", Cause: "c"}).Error(), "keychain write failed: c"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestClassifyKeychainError(t *testing.T) {
	if err := classifyKeychainError("read", nil); err != nil {
		t.Errorf("nil classified as %v", err)
	}
	if err := classifyKeychainError("read", keyring.ErrNotFound); err != ErrNotFound {
		t.Errorf("keyring.ErrNotFound classified as %v", err)
	}
	if err := classifyKeychainError("write", keyring.ErrSetDataTooBig); err != ErrTooBig {
		t.Errorf("keyring.ErrSetDataTooBig classified as %v", err)
	}
	other := errors.New("something broke")
	err := classifyKeychainError("delete", other)
	var ke *KeychainError
	if !errors.As(err, &ke) || ke.Op != "delete" || !errors.Is(err, other) {
		t.Fatalf("other error classified as %#v", err)
	}
	if ke.Cause != "something broke" && runtime.GOOS != "linux" {
		t.Errorf("cause %q", ke.Cause)
	}
	if strings.Contains(err.Error(), "atl ") {
		t.Errorf("%q gives advice: that is the command layer's job", err)
	}
}
