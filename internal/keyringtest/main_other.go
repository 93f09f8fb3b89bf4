//go:build !linux

package keyringtest

// Main runs a package's tests (run: m.Run, or a TestMain's own work
// around it); only Linux has a kernel keyring to check.
func Main(run func() int) int { return run() }
