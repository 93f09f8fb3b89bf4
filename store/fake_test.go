package store

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
)

// sizedVault is a vault over b that splits values at itemSize.
func sizedVault(b Backend, service string, itemSize int) *vault {
	return &vault{backend: b, service: service, itemSize: itemSize}
}

// mustLogin returns the Login of profile name in s.
func mustLogin(t testing.TB, s *Store, name string) *Login {
	t.Helper()
	l, err := s.Login(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fakeBackend is an in-memory Backend that behaves like a platform's
// keychain as far as a Vault can tell: it can refuse items that the
// platform would refuse, fail on the Nth call, and silently truncate.
type fakeBackend struct {
	mu    sync.Mutex
	items map[string]string // service + "\x00" + user
	// fits reports whether the platform accepts one item; nil accepts all.
	fits func(service, user, value string) bool
	// failSetAt / failGetAt make the Nth Set / Get (counting from 1) fail
	// with failErr; zero never fails.
	failSetAt, failGetAt int
	failErr              error
	// truncate, when positive, makes Set store only the first truncate
	// bytes of a value and still report success.
	truncate int

	gets, sets, deletes int
	log                 []string // "set USER", "get USER", "delete USER"
}

func newFake(fits func(service, user, value string) bool) *fakeBackend {
	return &fakeBackend{items: map[string]string{}, fits: fits}
}

// ItemSize implements Backend; vaults in these tests set their own.
func (f *fakeBackend) ItemSize() int { return 0 }

func fakeKey(service, user string) string { return service + "\x00" + user }

func (f *fakeBackend) Get(service, user string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	f.log = append(f.log, "get "+user)
	if f.gets == f.failGetAt {
		return "", f.failErr
	}
	v, ok := f.items[fakeKey(service, user)]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (f *fakeBackend) Set(service, user, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets++
	f.log = append(f.log, "set "+user)
	if f.sets == f.failSetAt {
		return f.failErr
	}
	if f.fits != nil && !f.fits(service, user, value) {
		return fmt.Errorf("%w: %d bytes for %s", ErrTooBig, len(value), user)
	}
	if f.truncate > 0 && len(value) > f.truncate {
		value = value[:f.truncate]
	}
	f.items[fakeKey(service, user)] = value
	return nil
}

func (f *fakeBackend) Delete(service, user string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes++
	f.log = append(f.log, "delete "+user)
	k := fakeKey(service, user)
	if _, ok := f.items[k]; !ok {
		return ErrNotFound
	}
	delete(f.items, k)
	return nil
}

// users returns the sorted user names of every stored item.
func (f *fakeBackend) users() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var us []string
	for k := range f.items {
		_, u, _ := strings.Cut(k, "\x00")
		us = append(us, u)
	}
	sort.Strings(us)
	return us
}

func (f *fakeBackend) raw(service, user string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[fakeKey(service, user)]
	return v, ok
}

func (f *fakeBackend) put(service, user, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[fakeKey(service, user)] = value
}

func (f *fakeBackend) resetLog() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = nil
	f.gets, f.sets, f.deletes = 0, 0, 0
}

// fitsWindows is Credential Manager's limit as go-keyring enforces it.
func fitsWindows(_, _, value string) bool { return len(value) <= 2560 }

// fitsDarwin mimics go-keyring on macOS: the value, base64-encoded behind a
// prefix, must fit with service and account in one 4096-byte command line
// for /usr/bin/security. Service and account are counted as quoted.
func fitsDarwin(service, user, value string) bool {
	pw := "go-keyring-base64:" + base64.StdEncoding.EncodeToString([]byte(value))
	cmd := fmt.Sprintf("add-generic-password -U -s '%s' -a '%s' -w %s\n", service, user, pw)
	return len(cmd) <= 4096
}

type platform struct {
	name     string
	fits     func(service, user, value string) bool
	itemSize int // what itemsize_GOOS.go sets
}

var platforms = []platform{
	{"linux", nil, 0},
	{"windows", fitsWindows, 2048},
	{"darwin", fitsDarwin, 2048},
}

const testService = "atl"

// secret returns n pseudo-random printable bytes, like a token.
func secret(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, 42))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:#"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}
