package loopback

import (
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
)

func TestParseCallback(t *testing.T) {
	tests := []struct {
		in    string
		path  string
		port  int
		binds []string
		hosts []string
	}{
		{
			in: "http://127.0.0.1:27813/callback", path: "/callback", port: 27813,
			binds: []string{"127.0.0.1:27813"}, hosts: []string{"127.0.0.1:27813"},
		},
		{
			in: "http://[::1]:8080/callback", path: "/callback", port: 8080,
			binds: []string{"[::1]:8080"}, hosts: []string{"[::1]:8080"},
		},
		{
			in: "http://localhost:8080/cb", path: "/cb", port: 8080,
			binds: []string{"127.0.0.1:8080", "[::1]:8080"}, hosts: []string{"localhost:8080"},
		},
		{
			in: "http://127.0.0.1:1", path: "/", port: 1,
			binds: []string{"127.0.0.1:1"}, hosts: []string{"127.0.0.1:1"},
		},
		{
			in: "http://127.0.0.1:65535/", path: "/", port: 65535,
			binds: []string{"127.0.0.1:65535"}, hosts: []string{"127.0.0.1:65535"},
		},
		{
			// The path is matched decoded, as the listener sees it.
			in: "http://127.0.0.1:9000/atl%20cb", path: "/atl cb", port: 9000,
			binds: []string{"127.0.0.1:9000"}, hosts: []string{"127.0.0.1:9000"},
		},
		{
			// A browser normalises the port: the Host it sends is 8080.
			in: "http://127.0.0.1:08080/callback", path: "/callback", port: 8080,
			binds: []string{"127.0.0.1:8080"}, hosts: []string{"127.0.0.1:8080"},
		},
		{
			// A browser omits the default port from Host; Go clients keep it.
			in: "http://localhost:80/callback", path: "/callback", port: 80,
			binds: []string{"127.0.0.1:80", "[::1]:80"}, hosts: []string{"localhost:80", "localhost"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cb, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if cb.URL != tt.in {
				t.Errorf("URL = %q, want %q byte for byte", cb.URL, tt.in)
			}
			if cb.Path != tt.path {
				t.Errorf("Path = %q, want %q", cb.Path, tt.path)
			}
			if cb.Port != tt.port {
				t.Errorf("Port = %d, want %d", cb.Port, tt.port)
			}
			if !reflect.DeepEqual(cb.Binds, tt.binds) {
				t.Errorf("Binds = %q, want %q", cb.Binds, tt.binds)
			}
			if !reflect.DeepEqual(cb.Hosts, tt.hosts) {
				t.Errorf("Hosts = %q, want %q", cb.Hosts, tt.hosts)
			}
		})
	}
}

func TestParseCallbackRejects(t *testing.T) {
	bad := []string{
		"",
		"callback",
		"/callback",
		"127.0.0.1:8080/callback",
		"https://127.0.0.1:8080/callback",
		"HTTPS://localhost:8080/callback",
		"ftp://127.0.0.1:8080/callback",
		"http:127.0.0.1:8080",
		"http://127.0.0.1/callback",
		"http://127.0.0.1:/callback",
		"http://localhost/callback",
		"http://[::1]/callback",
		"http://127.0.0.1:0/callback",
		"http://127.0.0.1:65536/callback",
		"http://127.0.0.1:70000/callback",
		"http://127.0.0.1:-1/callback",
		"http://127.0.0.1:+80/callback",
		"http://127.0.0.1:80x/callback",
		"http://0.0.0.0:8080/callback",
		"http://[::]:8080/callback",
		"http://example.com:8080/callback",
		"http://127.0.0.2:8080/callback",
		"http://127.1:8080/callback",
		"http://2130706433:8080/callback",
		"http://[::ffff:127.0.0.1]:8080/callback",
		"http://[::1%25lo]:8080/callback",
		"http://localhost.:8080/callback",
		"http://localhost.example.com:8080/callback",
		"http://:8080/callback",
		"http://127.0.0.1:8080/callback?x=1",
		"http://127.0.0.1:8080/callback?",
		"http://127.0.0.1:8080/callback#frag",
		"http://127.0.0.1:8080/callback#",
		"http://user@127.0.0.1:8080/callback",
		"http://user:pw@localhost:8080/callback",
		"http://@127.0.0.1:8080/callback",
		"http://127.0.0.1:8080/a/../callback",
		"http://127.0.0.1:8080/./callback",
		"http://127.0.0.1:8080/callback\n",
		"http://127.0.0.1:8080/call back",
		"http://127.0.0.1:8080/call\\back",
		"http://127.0.0.1:8080/{callback}",
		"http://127.0.0.1:8080/café",
	}
	for _, s := range bad {
		t.Run(s, func(t *testing.T) {
			cb, err := Parse(s)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", s, cb)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestAPortInUseIsNamed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cb, err := Parse("http://" + l.Addr().String() + "/callback")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cb.Listen()
	if !errors.Is(err, ErrPortInUse) || err.Error() != "cannot listen on "+l.Addr().String()+": the port is in use by another program" {
		t.Fatalf("Listen on a port in use = %v", err)
	}
}

func TestParseCallbackCharacterEdges(t *testing.T) {
	// The printable ASCII range's ends: '!' (0x21) and '~' (0x7e) are
	// allowed in a path; space (0x20) and DEL (0x7f) are not.
	for _, ok := range []string{"http://127.0.0.1:8080/cb!", "http://127.0.0.1:8080/cb~"} {
		if _, err := Parse(ok); err != nil {
			t.Errorf("Parse(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"http://127.0.0.1:8080/cb ", "http://127.0.0.1:8080/cb\x7f", "http://127.0.0.1:8080/cb\x1f", "http://127.0.0.1:8080/cb\x80", `http://127.0.0.1:8080/cb"`, "http://127.0.0.1:8080/cb}"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "a character a URL cannot hold") {
			t.Errorf("Parse(%q) = %v", bad, err)
		}
	}
}

func TestListenNamesAPortInUse(t *testing.T) {
	l, err := Listen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().(*net.TCPAddr)
	if !addr.IP.Equal(net.IPv4(127, 0, 0, 1)) || addr.Port == 0 {
		t.Fatalf("listening on %v", addr)
	}
	_, err = Listen(addr.Port)
	if !errors.Is(err, ErrPortInUse) || err.Error() != "cannot listen on "+addr.String()+": the port is in use by another program" {
		t.Fatalf("Listen on a port in use = %v", err)
	}
}
