//go:build !linux

package store

const keychainFix = "make sure the keychain is unlocked and this program may use it, " + keychainFixTail

func keychainPreflight() error { return nil }

func platformKeychainCause(err error) string { return err.Error() }
