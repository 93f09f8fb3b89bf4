//go:build !windows

package loopback

import (
	"context"
	"errors"
	"net"
	"syscall"
)

func listenTCP(lc *net.ListenConfig, addr string) (net.Listener, error) {
	return lc.Listen(context.Background(), "tcp", addr)
}

func isAddrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

func isAddrNotAvail(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)
}
