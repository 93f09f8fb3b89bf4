//go:build !linux

package store

func keychainPreflight() error { return nil }

func platformKeychainCause(err error) string { return err.Error() }
