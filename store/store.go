// Package store keeps what atl remembers between runs: each login's
// secrets in the operating system's keychain (or, only when the user opts
// in, in a private file), its non-secret metadata in a config directory,
// and the cross-process lock that serialises changes to it.
//
// A Store is one config directory with its keychain; a Login is one
// profile's stored login in it, and the only way to read or change one.
// The layout of a config directory is:
//
//	config.json                optional user settings (client id, callback URL)
//	config.lock                lock file taken while config.json changes
//	profiles/NAME.json         non-secret metadata of profile NAME
//	profiles/NAME.lock         lock file taken while NAME's login changes
//	profiles/NAME.tokens.json  secrets, only with insecure storage
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Store is atl's config directory together with the keychain that holds
// the secrets of the logins described there.
type Store struct {
	dir      string
	keychain Backend
	cache    TokenCache
	// Tightened, if set, hears of each file or directory whose mode let
	// others read it, and that the store tightened from was to now.
	Tightened func(path string, was, now fs.FileMode)

	idOnce    sync.Once
	id        string // the directory's identity: its canonical path
	isDefault bool   // whether it is the directory atl uses by default
}

// New returns the Store of config directory dir, keeping secrets in
// keychain (the system keychain, Keyring{}, when nil). Nothing is read or
// created until a login is loaded or saved.
func New(dir string, keychain Backend) *Store {
	if keychain == nil {
		keychain = Keyring{}
	}
	return &Store{dir: dir, keychain: keychain, cache: platformCache()}
}

// WithTokenCache makes the store keep access tokens in c (NoTokenCache{}
// for none) instead of the platform's cache, and returns it.
func (s *Store) WithTokenCache(c TokenCache) *Store {
	if c != nil {
		s.cache = c
	}
	return s
}

// ErrNoConfigDir reports that no config directory could be found.
var ErrNoConfigDir = errors.New("no config directory: none was given and the system names no user config directory")

// DefaultConfigDir returns the config directory used when none is given:
// the operating system's user config directory plus "atl" (e.g.
// ~/.config/atl).
func DefaultConfigDir() (string, error) {
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrNoConfigDir, err)
	}
	return filepath.Join(d, "atl"), nil
}

// Dir returns the config directory's path.
func (s *Store) Dir() string { return s.dir }

// identity returns the config directory's canonical path (absolute, with
// symbolic links above it resolved), which its keychain items are keyed
// by and its grants record, and whether it is the default directory.
func (s *Store) identity() (id string, isDefault bool) {
	s.idOnce.Do(func() {
		s.id = canonicalDir(s.dir)
		if def, err := DefaultConfigDir(); err == nil {
			s.isDefault = canonicalDir(def) == s.id
		}
	})
	return s.id, s.isDefault
}

func canonicalDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = filepath.Clean(dir)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(real, filepath.Base(abs))
	}
	return abs
}

// ValidProfileName reports whether name can name a profile. A name ending
// in ".tokens" is refused: its metadata file NAME.tokens.json would be the
// token file of the profile NAME (compared without case, as macOS and
// Windows compare file names).
func ValidProfileName(name string) bool {
	if len(name) == 0 || len(name) > 64 || !isAlnum(name[0]) || strings.HasSuffix(strings.ToLower(name), ".tokens") {
		return false
	}
	for i := 1; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// ErrInvalidProfileName reports a profile name ValidProfileName refuses.
var ErrInvalidProfileName = errors.New("invalid profile name")

// Login returns the stored login of profile name. It reads nothing: a
// login that was never saved is reported by its methods.
func (s *Store) Login(name string) (*Login, error) {
	if !ValidProfileName(name) {
		return nil, fmt.Errorf("%w %q: use letters, digits, '.', '_' and '-' (at most 64, not ending in .tokens)", ErrInvalidProfileName, name)
	}
	return &Login{store: s, name: name}, nil
}

// CheckKeychain makes sure the keychain answers (an item that is not there
// is a fine answer).
func (s *Store) CheckKeychain() error {
	_, err := s.keychain.Get(keychainService, "probe")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
