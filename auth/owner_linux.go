//go:build linux

package auth

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// ownerCheck is the listener's check of who opened a connection on this
// platform: the uid that owns its client end, found in the kernel's
// socket tables (a loopback connection has both ends on this machine).
// It is nil where those tables cannot be read.
func ownerCheck() func(local, remote netip.AddrPort) bool {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil
	}
	f.Close()
	uid := uint32(os.Getuid())
	return func(local, remote netip.AddrPort) bool {
		owner, ok := connOwner(local, remote)
		return ok && owner == uid
	}
}

// connOwner returns the uid owning the client end of the loopback
// connection the listener at local accepted from remote: the socket whose
// own address is remote and whose peer is local.
func connOwner(local, remote netip.AddrPort) (uint32, bool) {
	// The kernel's tables of this network namespace's TCP sockets, with
	// the uid owning each.
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		uid, ok := findOwner(f, remote, local)
		f.Close()
		if ok {
			return uid, true
		}
	}
	return 0, false
}

// findOwner reads a socket table in the format of /proc/net/tcp and
// returns the uid of the socket whose local address is self and whose
// remote address is peer.
func findOwner(r io.Reader, self, peer netip.AddrPort) (uint32, bool) {
	self = netip.AddrPortFrom(self.Addr().Unmap(), self.Port())
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	sc := bufio.NewScanner(r)
	sc.Scan() // the heading
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 {
			continue
		}
		local, ok1 := parseSocketAddr(fields[1])
		remote, ok2 := parseSocketAddr(fields[2])
		if !ok1 || !ok2 || local != self || remote != peer {
			continue
		}
		uid, err := strconv.ParseUint(fields[7], 10, 32)
		if err != nil {
			return 0, false
		}
		return uint32(uid), true
	}
	return 0, false
}

// parseSocketAddr reads an address of a socket table: the address as
// 32-bit words in hexadecimal, each in the machine's byte order, a colon,
// and the port in hexadecimal. IPv4-mapped IPv6 addresses come back as
// IPv4.
func parseSocketAddr(s string) (netip.AddrPort, bool) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok || (len(addrHex) != 8 && len(addrHex) != 32) {
		return netip.AddrPort{}, false
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil {
		return netip.AddrPort{}, false
	}
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), true
}
