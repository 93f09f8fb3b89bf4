//go:build !linux

package cli

import "errors"

func underWSL(func(string) string) bool { return false }

func windowsBrowser(string) error { return errors.New("not under WSL") }
