package authtest

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	for range 20 {
		port := FreePort(t)
		if port < 20000 || port >= 32768 || seen[port] {
			t.Fatalf("port %d (seen %v)", port, seen[port])
		}
		seen[port] = true
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("port %d is not free: %v", port, err)
		}
		l.Close()
	}
}
