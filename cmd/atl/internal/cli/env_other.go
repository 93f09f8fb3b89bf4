//go:build !windows

package cli

// envKey is how an environment variable's name is looked up: as it is.
func envKey(name string) string { return name }
