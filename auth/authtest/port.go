package authtest

import (
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"testing"
)

// handedOut keeps FreePort from giving one port to two tests of a process.
var handedOut sync.Map

// FreePort returns a TCP port free on 127.0.0.1, for a test's fixed
// callback URL (a login listens on it later). It is drawn from 20000–32767,
// below the ephemeral ranges of Linux (32768+), macOS and Windows (49152+),
// where outgoing connections and port-0 listeners take theirs: a port
// found free by listening on port 0 and closing can be taken by another
// test's connection before the login listens on it.
func FreePort(tb testing.TB) int {
	tb.Helper()
	for range 200 {
		port := 20000 + rand.IntN(32768-20000)
		if _, dup := handedOut.LoadOrStore(port, true); dup {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	tb.Fatal("no free port found in 20000–32767")
	return 0
}
