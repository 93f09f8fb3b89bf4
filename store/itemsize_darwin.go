//go:build darwin

package store

// platformItemSize is the largest value atl writes to one keychain item.
// go-keyring feeds macOS's security tool a base64 value inside a command
// line of at most 4096 bytes, which leaves about 3000 bytes for a secret.
const platformItemSize = 2048
