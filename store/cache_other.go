//go:build !linux

package store

// platformCache is the TokenCache of this platform: none, so access
// tokens are read from the keychain.
func platformCache() TokenCache { return NoTokenCache{} }

// cacheTrouble: no platform cache here to be full or refused.
func cacheTrouble(error) (full, refused bool) { return false, false }
