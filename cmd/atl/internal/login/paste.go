package login

import (
	"bufio"
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
)

// loginInput is standard input as a login reads it: one goroutine reads it
// line by line for each of the login's readers in turn (the addresses
// pasted, then the answer to the site prompt), so that a line one reader
// has not used is the next one's, never lost in a reader of its own.
type loginInput struct {
	in      io.Reader
	start   sync.Once
	lines   chan string
	stop    sync.Once
	done    chan struct{}
	pasting atomic.Bool // blank lines are skipped
	restore func()      // puts the terminal back; nil when it is as it was
}

func newLoginInput(in io.Reader) *loginInput {
	return &loginInput{in: in, lines: make(chan string), done: make(chan struct{})}
}

// pastes returns the lines the person pastes, for a login without a
// browser, blank ones skipped. On a terminal, the line discipline's limit
// on one line (4095 bytes on Linux) would cut a long address, so the
// terminal reads byte by byte (longLines, see cli.LongLineMode) until
// endPastes.
func (l *loginInput) pastes(longLines func() (restore func(), err error)) <-chan string {
	if longLines != nil && l.restore == nil {
		if r, err := longLines(); err == nil {
			l.restore = r
		}
	}
	l.pasting.Store(true)
	return l.read()
}

// endPastes ends the pasting: the terminal is put back as it was (where
// Enter is a newline, not ^J) for whatever is asked next.
func (l *loginInput) endPastes() {
	l.pasting.Store(false)
	if l.restore != nil {
		l.restore()
		l.restore = nil
	}
}

// read returns the lines of the input, each with its newline (the last
// one may have none), starting the reading on the first call; the channel
// is closed at the end of the input or on a read error.
func (l *loginInput) read() <-chan string {
	l.start.Do(func() {
		go func() {
			defer close(l.lines)
			br := bufio.NewReaderSize(l.in, 64<<10)
			for {
				line, err := br.ReadString('\n')
				if line != "" && !(l.pasting.Load() && strings.TrimSpace(line) == "") {
					select {
					case l.lines <- line:
					case <-l.done:
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	})
	return l.lines
}

// readLine returns the next line, or io.EOF at the end of the input. It
// gives up when ctx ends.
func (l *loginInput) readLine(ctx context.Context) (string, error) {
	select {
	case line, ok := <-l.read():
		if !ok {
			return "", io.EOF
		}
		return line, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// close ends the pasting and the reading; closing again does nothing. A
// read of stdin already blocked cannot be called off: its line, if one
// comes, is dropped.
func (l *loginInput) close() {
	l.endPastes()
	l.stop.Do(func() { close(l.done) })
}
