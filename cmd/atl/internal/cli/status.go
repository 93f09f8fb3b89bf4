package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// StatusLine is what atl shows while it waits: on a terminal one live line
// on stderr, redrawn every second with the time elapsed; elsewhere a plain
// line, once.
type StatusLine struct {
	w    io.Writer
	live bool
	now  func() time.Time

	mu      sync.Mutex
	text    string
	since   time.Time
	running bool
	done    chan struct{}
	stopped chan struct{}
}

func NewStatusLine(w io.Writer, live bool, now func() time.Time) *StatusLine {
	return &StatusLine{w: w, live: live, now: now}
}

// start shows text until stop.
func (s *StatusLine) Start(text string) {
	if !s.live {
		fmt.Fprintln(s.w, text+"…")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.text, s.since, s.running = text, s.now(), true
	s.done, s.stopped = make(chan struct{}), make(chan struct{})
	s.drawLocked()
	go func() {
		defer close(s.stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.mu.Lock()
				s.drawLocked()
				s.mu.Unlock()
			}
		}
	}()
}

// clearLine returns the terminal's cursor to the start of a blank line.
const clearLine = "\r\x1b[K"

func (s *StatusLine) drawLocked() {
	fmt.Fprintf(s.w, "%s%s… %s (Ctrl-C to cancel)", clearLine, s.text, s.now().Sub(s.since).Round(time.Second))
}

// println prints a line of its own, above the status line.
func (s *StatusLine) Println(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		fmt.Fprintln(s.w, line)
		return
	}
	fmt.Fprint(s.w, clearLine+line+"\n")
	s.drawLocked()
}

// stop removes the status line; it may be called more than once.
func (s *StatusLine) Stop() {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return
	}
	s.running = false
	close(s.done)
	s.mu.Unlock()
	<-s.stopped
	fmt.Fprint(s.w, clearLine)
}
