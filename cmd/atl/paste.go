package main

import (
	"bufio"
	"strings"
)

// readPastes reads the lines the person pastes on stdin, for a login
// without a browser. On a terminal, the line discipline's limit on one
// line (4095 bytes on Linux) would cut a long address, so the terminal
// reads byte by byte meanwhile (see longLineMode). stop restores the
// terminal and ends the reading.
func readPastes(io *ioStreams) (lines <-chan string, stop func()) {
	restore := func() {}
	if io.LongLines != nil {
		if r, err := io.LongLines(); err == nil {
			restore = r
		}
	}
	ch := make(chan string)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(io.In, 64<<10)
		for {
			line, err := br.ReadString('\n')
			if strings.TrimSpace(line) != "" {
				select {
				case ch <- line:
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch, func() {
		close(done)
		restore()
	}
}
