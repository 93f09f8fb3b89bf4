//go:build !windows && !darwin

package store

// platformItemSize is the largest value atl writes to one keychain item.
// Secret Service has no practical limit for atl's tokens, so values are
// kept in one item (zero means no limit).
const platformItemSize = 0
