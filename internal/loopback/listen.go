package loopback

import (
	"fmt"
	"net"
	"strconv"
)

// Listen binds 127.0.0.1:port (port 0: a free port the system picks),
// exclusively where the system would otherwise share it. A port another
// program holds is an error wrapping ErrPortInUse.
func Listen(port int) (net.Listener, error) {
	var lc net.ListenConfig
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	l, err := listenTCP(&lc, addr)
	switch {
	case err != nil && isAddrInUse(err):
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, ErrPortInUse)
	case err != nil:
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return l, nil
}
