package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Client credentials used with nothing stored (a service account's, in
// CI) have no login and no profile: their access token is kept in the
// token cache under their client id and authorization server. The entry
// holds a hash of the client secret too, so that it serves only a process
// that knows the secret.

// clientCacheKey is the name of the token-cache entry of the client
// credentials of clientID at the authorization server authURL.
func clientCacheKey(clientID, authURL string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"atl-client-token/v1", clientID, normalizeServer(authURL)}, "\x00")))
	return "atl:" + hex.EncodeToString(sum[:16])
}

// clientCacheLogin identifies the credentials in their entry.
func clientCacheLogin(clientID, authURL, secret string) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{"atl-client-token-login/v1", clientID, normalizeServer(authURL), secret}, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// ClientToken returns the access token cached for the client credentials
// (clientID, secret) at the authorization server authURL, if there is one.
func (s *Store) ClientToken(clientID, authURL, secret string) (Cached, bool) {
	b, err := s.cache.Get(clientCacheKey(clientID, authURL))
	if err != nil {
		return Cached{}, false
	}
	var c cachedJSON
	if json.Unmarshal(b, &c) != nil || c.Version != cacheVersion || c.Login != clientCacheLogin(clientID, authURL, secret) || !ValidToken(c.AccessToken) || c.Expiry.IsZero() {
		return Cached{}, false
	}
	return Cached{AccessToken: c.AccessToken, Expiry: c.Expiry, APIURL: c.APIURL}, true
}

// CacheClientToken keeps c, minted with the client credentials (clientID,
// secret) at authURL, in the token cache until it expires, in place of
// any other; best effort.
func (s *Store) CacheClientToken(clientID, authURL, secret string, c Cached) {
	key := clientCacheKey(clientID, authURL)
	ttl := time.Until(c.Expiry)
	if c.AccessToken == "" || ttl <= 0 {
		_ = s.cache.Delete(key)
		return
	}
	b, err := json.Marshal(cachedJSON{Version: cacheVersion, Login: clientCacheLogin(clientID, authURL, secret), AccessToken: c.AccessToken, Expiry: c.Expiry, APIURL: c.APIURL})
	if err != nil || s.cache.Set(key, b, ttl) != nil {
		_ = s.cache.Delete(key)
	}
}

// DropClientToken removes the token cached for the client credentials of
// clientID at authURL, whatever secret it was minted with, and reports
// whether there was one. (Nothing else does: such a token expires within
// the hour.)
func (s *Store) DropClientToken(clientID, authURL string) (bool, error) {
	key := clientCacheKey(clientID, authURL)
	if _, err := s.cache.Get(key); err != nil {
		return false, nil
	}
	if err := s.cache.Delete(key); err != nil {
		return false, err
	}
	return true, nil
}
