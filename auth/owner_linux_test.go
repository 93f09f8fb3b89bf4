//go:build linux

package auth

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tableAddr writes addr as a socket table does: 32-bit words in hex, each
// in the machine's byte order.
func tableAddr(ap netip.AddrPort) string {
	raw := ap.Addr().AsSlice()
	var b strings.Builder
	for i := 0; i < len(raw); i += 4 {
		fmt.Fprintf(&b, "%08X", binary.NativeEndian.Uint32(raw[i:]))
	}
	return fmt.Sprintf("%s:%04X", b.String(), ap.Port())
}

func TestFindOwnerReadsTheSocketTable(t *testing.T) {
	listener := netip.MustParseAddrPort("127.0.0.1:27813")
	client := netip.MustParseAddrPort("127.0.0.1:41000")
	other := netip.MustParseAddrPort("127.0.0.1:41001")
	v6listener := netip.MustParseAddrPort("[::1]:27813")
	v6client := netip.MustParseAddrPort("[::1]:41002")
	mapped := netip.MustParseAddrPort("[::ffff:127.0.0.1]:41003")
	row := func(n int, local, remote netip.AddrPort, uid string) string {
		return fmt.Sprintf("%4d: %s %s 01 00000000:00000000 00:00000000 00000000 %5s        0 %d 1 0000000000000000 20 4 30 10 -1\n",
			n, tableAddr(local), tableAddr(remote), uid, 1000+n)
	}
	table := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		row(0, listener, netip.AddrPort{}, "0") + // the listening socket
		row(1, listener, client, "0") + // the listener's end: atl's own
		row(2, other, listener, "4242") +
		row(3, client, listener, "1000") +
		row(4, v6client, v6listener, "1001") +
		row(5, mapped, listener, "1002") +
		"   6: garbage\n" +
		row(7, netip.MustParseAddrPort("127.0.0.1:41004"), listener, "x")
	for _, tc := range []struct {
		self, peer netip.AddrPort
		uid        uint32
		found      bool
	}{
		{client, listener, 1000, true},
		{other, listener, 4242, true},
		{v6client, v6listener, 1001, true},
		{netip.MustParseAddrPort("127.0.0.1:41003"), listener, 1002, true}, // an IPv4-mapped socket
		{netip.MustParseAddrPort("127.0.0.1:41005"), listener, 0, false},
		{client, netip.MustParseAddrPort("127.0.0.1:27814"), 0, false},
		{netip.MustParseAddrPort("127.0.0.1:41004"), listener, 0, false}, // a malformed uid
	} {
		uid, found := findOwner(strings.NewReader(table), tc.self, tc.peer)
		if uid != tc.uid || found != tc.found {
			t.Errorf("findOwner(%v, %v) = %d, %v; want %d, %v", tc.self, tc.peer, uid, found, tc.uid, tc.found)
		}
	}
}

func TestParseSocketAddrRefusesWhatIsNotAnAddress(t *testing.T) {
	for _, s := range []string{"", "0100007F", "0100007F:", "0100007:1F90", "0100007G:1F90", "0100007F:1FFFF", "0100007F:XYZ", "00000000000000000000000001000000"} {
		if ap, ok := parseSocketAddr(s); ok {
			t.Errorf("parseSocketAddr(%q) = %v", s, ap)
		}
	}
	if ap, ok := parseSocketAddr(tableAddr(netip.MustParseAddrPort("127.0.0.1:8080"))); !ok || ap.String() != "127.0.0.1:8080" {
		t.Errorf("127.0.0.1:8080 read back as %v, %v", ap, ok)
	}
}

// accept returns the next connection's two ends as the listener sees
// them: its own address and the client's.
func accept(t *testing.T, l net.Listener) (local, remote netip.AddrPort) {
	t.Helper()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return netip.MustParseAddrPort(c.LocalAddr().String()), netip.MustParseAddrPort(c.RemoteAddr().String())
}

func TestOwnerCheckTellsTheUsersConnectionsFromOthers(t *testing.T) {
	check := ownerCheck()
	if check == nil {
		t.Fatal("ownerCheck is nil on Linux: /proc/net/tcp cannot be read")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	mine, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Close()
	local, remote := accept(t, l)
	if uid, ok := connOwner(local, remote); !ok || uid != uint32(os.Getuid()) {
		t.Fatalf("connOwner of this process's connection = %d, %v; want %d", uid, ok, os.Getuid())
	}
	if !check(local, remote) {
		t.Fatal("ownerCheck refuses the user's own connection")
	}
	mine.Close()

	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another user (CI runs the tests as root)")
	}
	// Another user's connection, held open while the listener looks.
	other := exec.Command("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/"+strconv.Itoa(port)+"; sleep 10")
	other.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 4242, Gid: 4242}}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Process.Kill(); _ = other.Wait() }()
	if tl, ok := l.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(10 * time.Second))
	}
	local, remote = accept(t, l)
	if uid, ok := connOwner(local, remote); !ok || uid != 4242 {
		t.Fatalf("connOwner of uid 4242's connection = %d, %v", uid, ok)
	}
	if check(local, remote) {
		t.Fatal("ownerCheck lets another user's connection through")
	}
}
