//go:build !linux

package store

// platformCache is the TokenCache of this platform: none, so access
// tokens are read from the keychain.
func platformCache() TokenCache { return NoTokenCache{} }
