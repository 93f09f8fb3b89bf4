package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TokenCache keeps access tokens where reading one costs a system call
// rather than a trip to the keychain: on Linux the kernel keyring
// (KernelKeyring). The refresh token never goes there. Get returns
// ErrNotFound on a miss; an error means no cache here, and atl goes on
// without one.
type TokenCache interface {
	Get(key string) ([]byte, error)
	// Set keeps value under key for ttl at most.
	Set(key string, value []byte, ttl time.Duration) error
	Delete(key string) error
	// Name names the cache for people, e.g. "the kernel keyring".
	Name() string
}

// NoTokenCache is a TokenCache that keeps nothing.
type NoTokenCache struct{}

// Get implements TokenCache.
func (NoTokenCache) Get(string) ([]byte, error) { return nil, ErrNotFound }

// Set implements TokenCache.
func (NoTokenCache) Set(string, []byte, time.Duration) error { return nil }

// Delete implements TokenCache.
func (NoTokenCache) Delete(string) error { return nil }

// Name implements TokenCache.
func (NoTokenCache) Name() string { return "no cache" }

// Cached is an access token kept in the token cache.
type Cached struct {
	AccessToken string
	Expiry      time.Time
	APIURL      string // the API server the token is for
}

type cachedJSON struct {
	Version     int       `json:"v"`
	Login       string    `json:"login"` // cacheLogin of the login the token is for
	AccessToken string    `json:"access_token"`
	Expiry      time.Time `json:"expiry"`
	APIURL      string    `json:"api_url"`
}

// cacheVersion is the version of cachedJSON written today. (Version 1
// named no login: its key did. Such entries are never read again, and
// expire with their token.)
const cacheVersion = 2

// TokenCacheKey is the name of the profile's entry in the token cache (on
// Linux, the description of a key in the user's kernel keyring): a hash
// of the config directory and the profile only, so that removing a login
// can always find it, whatever its metadata says or if it cannot be read.
// The entry names the login it is for (see CachedToken).
func (l *Login) TokenCacheKey() string {
	id, _ := l.store.identity()
	sum := sha256.Sum256([]byte(strings.Join([]string{"atl-token-cache/v2", id, l.name}, "\x00")))
	return "atl:" + hex.EncodeToString(sum[:16])
}

// cacheLogin identifies the login m describes in its cache entry: a hash
// of its client, authorization server, account and time of login, so an
// entry is never used for another of any, nor for a later login (with
// other scopes, say).
func cacheLogin(m *Metadata) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"atl-token-cache-login/v2", m.ClientID, m.AuthURL, m.AccountID, m.LoginAt.UTC().Format(time.RFC3339Nano)}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// CachedToken returns the access token cached for the login m describes,
// if there is one.
func (l *Login) CachedToken(m *Metadata) (Cached, bool) {
	if m.Dead != nil {
		return Cached{}, false
	}
	b, err := l.store.cache.Get(l.TokenCacheKey())
	if err != nil {
		return Cached{}, false
	}
	var c cachedJSON
	if json.Unmarshal(b, &c) != nil || c.Version != cacheVersion || c.Login != cacheLogin(m) || !ValidToken(c.AccessToken) || c.Expiry.IsZero() {
		return Cached{}, false
	}
	return Cached{AccessToken: c.AccessToken, Expiry: c.Expiry, APIURL: c.APIURL}, true
}

// cacheGrant puts g's access token, for the login m describes, in the
// cache until it expires, in place of any other; best effort.
func (l *Login) cacheGrant(m *Metadata, g Grant) {
	key := l.TokenCacheKey()
	ttl := time.Until(g.Expiry)
	if g.AccessToken == "" || ttl <= 0 {
		_ = l.store.cache.Delete(key)
		return
	}
	b, err := json.Marshal(cachedJSON{Version: cacheVersion, Login: cacheLogin(m), AccessToken: g.AccessToken, Expiry: g.Expiry, APIURL: g.APIURL})
	if err != nil || l.store.cache.Set(key, b, ttl) != nil {
		_ = l.store.cache.Delete(key)
	}
}

// CacheIfCurrent puts the access token of g, read with m, in the token
// cache, provided the login is still what m and g describe: it takes the
// lock without waiting (a held lock is a writer at work, which fills the
// cache itself) and reads the metadata again, which every change of the
// login rewrites or removes. Best effort; nothing at all without a cache.
// It never waits and writes only the cache (one atomic keyctl call), so it
// takes no context: an interrupt may end the process at any point.
func (l *Login) CacheIfCurrent(m *Metadata, g Grant) {
	if !l.store.HasTokenCache() || m.Dead != nil {
		return
	}
	unlock, err := l.Lock(context.Background(), 0)
	if err != nil {
		return
	}
	defer unlock()
	now, err := l.Metadata()
	if err != nil || now.Dead != nil || !now.ExpiresAt.Equal(g.Expiry) || cacheLogin(now) != cacheLogin(m) {
		return
	}
	l.cacheGrant(now, g)
}

// dropCached removes the profile's cache entry; best effort.
func (l *Login) dropCached() {
	_ = l.store.cache.Delete(l.TokenCacheKey())
}

// TokenCacheName names the cache the store keeps access tokens in.
func (s *Store) TokenCacheName() string { return s.cache.Name() }

// HasTokenCache reports whether the store keeps access tokens in a cache
// at all (not on every platform).
func (s *Store) HasTokenCache() bool {
	_, none := s.cache.(NoTokenCache)
	return !none
}

// TokenCacheError reports a token cache that cannot keep tokens here:
// atl goes on without it, reading the keychain each time.
type TokenCacheError struct {
	Cache string // the cache's Name
	// Full is a quota of the system used up (the kernel's keys, or
	// their bytes); Refused, the system calls refused (a container's
	// seccomp profile, say).
	Full, Refused bool
	Err           error
}

func (e *TokenCacheError) Error() string {
	switch {
	case e.Full:
		return fmt.Sprintf("%s is full: the kernel's key quota for your user is used up (%v; see /proc/key-users and the limits in /proc/sys/kernel/keys/)", e.Cache, e.Err)
	case e.Refused:
		return fmt.Sprintf("%s is refused here (%v), e.g. by a container's seccomp profile", e.Cache, e.Err)
	}
	return fmt.Sprintf("%s cannot keep a token: %v", e.Cache, e.Err)
}

func (e *TokenCacheError) Unwrap() error { return e.Err }

// probeTTL bounds how long CheckTokenCache's probe could outlive it.
const probeTTL = 5 * time.Second

// CheckTokenCache makes sure the token cache can keep a token here: it
// keeps a probe entry (expiring within seconds), reads it back and
// removes it. A cache that cannot is a *TokenCacheError; without a cache
// there is nothing to check.
func (s *Store) CheckTokenCache() error {
	if !s.HasTokenCache() {
		return nil
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key, want := "atl-probe:"+hex.EncodeToString(b), []byte("probe")
	err := s.cache.Set(key, want, probeTTL)
	if err == nil {
		var got []byte
		if got, err = s.cache.Get(key); err == nil && !bytes.Equal(got, want) {
			err = errors.New("the probe read back is not what was written")
		}
	}
	_ = s.cache.Delete(key)
	if err != nil {
		full, refused := cacheTrouble(err)
		return &TokenCacheError{Cache: s.cache.Name(), Full: full, Refused: refused, Err: err}
	}
	return nil
}

// DropCachedToken removes the profile's entry from the token cache, if
// any, whatever login it is for: the next use reads the keychain.
func (l *Login) DropCachedToken() error {
	if err := l.store.cache.Delete(l.TokenCacheKey()); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}
