// Command atl signs you into Atlassian Cloud with OAuth 2.0 (3LO) and serves
// access tokens to you and your scripts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/atl-cli/atl/auth"
)

// Exit codes, documented in the README.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitLogin       = 4
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	f := newSystemFactory()
	err := newRootCmd(f).ExecuteContext(ctx)
	stop()
	os.Exit(exitCode(err, f.IO.ErrOut))
}

// exitCode prints err as one line on stderr and maps it to the exit code.
// It is the only place that decides exit codes.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var silent *silentError
	if !errors.As(err, &silent) {
		fmt.Fprintln(stderr, "atl: "+oneLine(err.Error()))
	}
	var usage *usageError
	var login *auth.LoginRequiredError
	switch {
	case errors.As(err, &silent):
		return silent.code
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &login):
		return exitLogin
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	default:
		return exitError
	}
}

// usageError is a mistake in how atl was called: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{err: fmt.Errorf(format, a...)}
}

// silentError carries an exit code for a failure already reported.
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// oneLine keeps an error message on one line, free of control characters.
func oneLine(s string) string {
	return auth.CleanText(strings.Join(strings.Fields(s), " "), 2000)
}
