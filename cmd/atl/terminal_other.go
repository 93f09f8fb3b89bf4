//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "errors"

// longLineMode is not needed where a console line has no short limit.
func longLineMode(int) (func(), error) { return nil, errors.New("not needed here") }
