//go:build !windows

package main

// envKey is how an environment variable's name is looked up: as it is.
func envKey(name string) string { return name }
