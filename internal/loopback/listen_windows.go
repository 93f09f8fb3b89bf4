//go:build windows

package loopback

import (
	"context"
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/windows"
)

// soExclusiveAddrUse is Winsock's SO_EXCLUSIVEADDRUSE, ~SO_REUSEADDR.
const soExclusiveAddrUse = ^4

// listenTCP binds addr exclusively: on Windows, SO_REUSEADDR semantics
// would otherwise let another program bind the same port.
func listenTCP(lc *net.ListenConfig, addr string) (net.Listener, error) {
	c := *lc
	c.Control = func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = windows.SetsockoptInt(windows.Handle(fd), windows.SOL_SOCKET, soExclusiveAddrUse, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}
	return c.Listen(context.Background(), "tcp", addr)
}

func isAddrInUse(err error) bool { return errors.Is(err, windows.WSAEADDRINUSE) }

func isAddrNotAvail(err error) bool {
	return errors.Is(err, windows.WSAEADDRNOTAVAIL) || errors.Is(err, windows.WSAEAFNOSUPPORT)
}
