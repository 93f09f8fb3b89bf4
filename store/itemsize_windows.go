//go:build windows

package store

// platformItemSize is the largest value atl writes to one keychain item.
// Credential Manager refuses a blob over 2560 bytes.
const platformItemSize = 2048
