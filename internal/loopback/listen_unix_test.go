//go:build !windows

package loopback

import (
	"errors"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestListenSkipsAMissingIPv6Loopback(t *testing.T) {
	cb, err := Parse("http://localhost:27813/callback")
	if err != nil {
		t.Fatal(err)
	}
	var tried []string
	// A machine without IPv6: binding ::1 fails with EADDRNOTAVAIL.
	ls, err := cb.listenWith(func(addr string) (net.Listener, error) {
		tried = append(tried, addr)
		if addr == "[::1]:27813" {
			return nil, &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}
		}
		return net.Listen("tcp", "127.0.0.1:0")
	})
	if err != nil || len(ls) != 1 || !reflect.DeepEqual(tried, []string{"127.0.0.1:27813", "[::1]:27813"}) {
		t.Fatalf("listen = %v, %v after trying %q; want the IPv4 listener alone", ls, err, tried)
	}
	ls[0].Close()

	// Without IPv4 either, there is nothing to listen on.
	_, err = cb.listenWith(func(addr string) (net.Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}
	})
	if err == nil || err.Error() != "cannot listen on any loopback address for http://localhost:27813/callback" {
		t.Fatalf("listen with no loopback = %v", err)
	}

	// A 127.0.0.1 callback has no other address to fall back on.
	cb4, _ := Parse("http://127.0.0.1:27813/callback")
	_, err = cb4.listenWith(func(addr string) (net.Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)}
	})
	if err == nil || !strings.HasPrefix(err.Error(), "cannot listen on 127.0.0.1:27813: ") {
		t.Fatalf("listen on a missing 127.0.0.1 = %v", err)
	}

	// When the second address is in use, the first is closed again.
	var first net.Listener
	_, err = cb.listenWith(func(addr string) (net.Listener, error) {
		if first == nil {
			first, _ = net.Listen("tcp", "127.0.0.1:0")
			return first, nil
		}
		return nil, &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	})
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "[::1]:27813") {
		t.Fatalf("listen with ::1 in use = %v", err)
	}
	if _, err := first.Accept(); err == nil {
		t.Fatal("the first listener was left open")
	}
}
