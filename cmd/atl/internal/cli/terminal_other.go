//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package cli

import "errors"

// LongLineMode is not needed where a console line has no short limit.
func LongLineMode(int) (func(), error) { return nil, errors.New("not needed here") }

// echoOff is left to term.ReadPassword here.
func echoOff(int) (func(), error) { return nil, errors.New("not supported here") }
