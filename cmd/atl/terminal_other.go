//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package main

import "errors"

// longLineMode is not needed where a console line has no short limit.
func longLineMode(int) (func(), error) { return nil, errors.New("not needed here") }

// echoOff is left to term.ReadPassword here.
func echoOff(int) (func(), error) { return nil, errors.New("not supported here") }
