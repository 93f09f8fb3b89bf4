//go:build !linux

package main

// helperMain runs the test binary as a helper process when its
// environment asks for one: none exists on this platform.
func helperMain() (code int, helper bool) { return 0, false }
