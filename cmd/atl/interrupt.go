package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interruptContext is canceled by an interrupt (SIGINT, SIGTERM), as
// signal.NotifyContext's context is, but it starts listening only when it
// is first asked whether it is canceled (Done or Err). Listening costs a
// goroutine and a signal thread, a tenth of atl's start-up, and atl
// token's cache hit never asks: it reads, prints and exits, and an
// interrupt may kill it at any point. Whatever blocks or changes stored
// state asks first (the store's lock does, before any write), so from
// then on an interrupt is caught and honoured where it is safe, not
// fatal.
type interruptContext struct {
	context.Context // the parent: Deadline and Value

	mu   sync.Mutex
	ctx  context.Context // nil until listening
	stop context.CancelFunc
}

func newInterruptContext(parent context.Context) *interruptContext {
	return &interruptContext{Context: parent}
}

// listen starts listening, once, and returns the listening context.
func (c *interruptContext) listen() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		c.ctx, c.stop = signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	}
	return c.ctx
}

// Done implements context.Context, listening from the first call on.
func (c *interruptContext) Done() <-chan struct{} { return c.listen().Done() }

// Err implements context.Context, listening from the first call on.
func (c *interruptContext) Err() error { return c.listen().Err() }

// Listening reports whether interrupts are being caught.
func (c *interruptContext) Listening() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx != nil
}

// Stop stops listening, if it started; an interrupt kills the process
// again.
func (c *interruptContext) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		c.stop()
	}
}
