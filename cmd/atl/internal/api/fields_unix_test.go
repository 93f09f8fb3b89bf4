//go:build !windows

package api

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli"
)

// TestFieldFromAFileStopsAtTheBodyLimit feeds -F d=@FIFO more than the
// limit and counts what it read: it stops just past maxBodySize (the
// pipe's buffer aside), as --input does, instead of reading to the end
// (which for /dev/zero never comes).
func TestFieldFromAFileStopsAtTheBodyLimit(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	const offered = maxBodySize + 16<<20
	written := make(chan int, 1)
	go func() {
		n := 0
		defer func() { written <- n }()
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := make([]byte, 64<<10)
		for n < offered {
			m, err := f.Write(chunk)
			n += m
			if err != nil {
				return // the reader closed the pipe: EPIPE
			}
		}
	}()
	_, err := parseFields(nil, []string{"d=@" + fifo}, nil)
	if n := <-written; n >= offered || n > maxBodySize+2<<20 {
		t.Fatalf("%d bytes were read of %d offered; want at most the limit and a pipe's buffer", n, offered)
	}
	var ue *cli.UsageError
	if !errors.As(err, &ue) || err.Error() != "-F d=@"+fifo+" is larger than 67108864 bytes" {
		t.Fatalf("got %v, want a usage error saying the file is too large", err)
	}
}
