//go:build !windows

package main

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestInterruptContextListensOnlyOnceAsked(t *testing.T) {
	ctx := newInterruptContext(context.Background())
	defer ctx.Stop()
	if ctx.Listening() {
		t.Fatal("listening before anyone asked")
	}
	if ctx.Value("k") != nil || ctx.Listening() {
		t.Fatal("Value started listening")
	}
	if ctx.Err() != nil || !ctx.Listening() {
		t.Fatal("Err did not start listening")
	}
	// An interrupt now cancels the context instead of killing the test.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the interrupt did not cancel the context")
	}
	if ctx.Err() != context.Canceled {
		t.Fatalf("Err = %v", ctx.Err())
	}
	// A context derived from it is canceled with it.
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	if child.Err() != context.Canceled {
		t.Fatalf("child Err = %v", child.Err())
	}
}
