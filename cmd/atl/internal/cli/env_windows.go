//go:build windows

package cli

import "strings"

// envKey is how an environment variable's name is looked up: without
// case on Windows.
func envKey(name string) string { return strings.ToUpper(name) }
