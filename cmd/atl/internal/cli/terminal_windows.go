//go:build windows

package cli

import (
	"errors"

	"golang.org/x/sys/windows"
)

// LongLineMode is not needed: a console line has no short limit.
func LongLineMode(int) (func(), error) { return nil, errors.New("not needed here") }

// echoOff stops the console on fd from echoing what is typed; restore
// undoes it.
func echoOff(fd int) (restore func(), err error) {
	h := windows.Handle(fd)
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return nil, err
	}
	if err := windows.SetConsoleMode(h, mode&^windows.ENABLE_ECHO_INPUT|windows.ENABLE_PROCESSED_INPUT|windows.ENABLE_LINE_INPUT); err != nil {
		return nil, err
	}
	return func() { _ = windows.SetConsoleMode(h, mode) }, nil
}
