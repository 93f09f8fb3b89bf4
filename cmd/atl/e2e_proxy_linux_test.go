//go:build linux

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// maxProxyRSS is the most memory atl proxy may hold while a 50 MB body
// streams through it (peak resident set size).
const maxProxyRSS = 60 << 20

// TestE2EProxyStreamsALargeBody: a 50 MB JSON body passes, its links
// rewritten as it streams, with the proxy's peak RSS under 60 MiB.
func TestE2EProxyStreamsALargeBody(t *testing.T) {
	e := newProxyE2E(t, authtest.Options{})
	p := e.proxy()
	req, _ := http.NewRequest("GET", p.url+"/rest/api/3/large?size=50000000", nil)
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	links := &counter{find: []byte(`"self":"` + p.url + `/rest/api/3/issue/`)}
	n, err := io.Copy(links, resp.Body)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Length") != "" {
		t.Fatalf("%s after %d bytes: %v (Content-Length %q)", resp.Status, n, err, resp.Header.Get("Content-Length"))
	}
	const items = 50000000 / 129 // authtest's items of 128 bytes and a comma
	if shorter := int64(len(e.srv.URL()+"/ex/jira/"+authtest.DefaultSiteID) - len(p.url)); links.n != items || n != int64(len(`{"values":[]}`)+items*129-1)-items*shorter {
		t.Fatalf("%d bytes, %d links through the proxy; want %d", n, links.n, items)
	}
	rss := peakRSS(t, p.cmd.Process.Pid)
	t.Logf("atl proxy's peak RSS after 50 MB: %.1f MiB", float64(rss)/(1<<20))
	if rss > maxProxyRSS {
		t.Fatalf("atl proxy's peak RSS is %d bytes, over %d", rss, maxProxyRSS)
	}
}

// counter counts the occurrences of find in what is written to it, which
// may be split across writes.
type counter struct {
	find []byte
	tail []byte // the last len(find)-1 bytes written
	n    int
}

func (c *counter) Write(b []byte) (int, error) {
	buf := append(c.tail, b...)
	c.n += bytes.Count(buf, c.find) // none lies within the tail alone: it is shorter
	c.tail = append([]byte(nil), buf[len(buf)-min(len(buf), len(c.find)-1):]...)
	return len(b), nil
}

// peakRSS is the peak resident set size of process pid (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// TestE2EProxyServesAServiceAccount: the proxy serves the other kind of
// login too, here a service account's with nothing stored (ATL_GRANT, as
// a bot's CI job would run it): curl gets the service account's answers,
// and an access token the server expires early is minted again once,
// unseen by the client.
func TestE2EProxyServesAServiceAccount(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.env["ATL_CONFIG_DIR"] = filepath.Join(e.dir, "never-made")
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
	e.env["ATL_GRANT"] = "client_credentials"
	e.env["ATL_SITE"] = e.srv.URL()
	t.Cleanup(func() {
		if _, err := store.New(e.dir, nil).DropClientToken("e2e-client", e.srv.URL()); err != nil {
			t.Error(err)
		}
	})
	p := e.proxy()
	want := `"accountId":"` + authtest.DefaultServiceAccountID + `"`
	if out, code := p.curl(false, "-f", p.url+"/rest/api/3/myself"); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("myself: %d %s", code, out)
	}
	e.srv.ResetCounts()
	e.srv.ExpireAccessTokens()
	for range 3 {
		if out, code := p.curl(false, "-f", p.url+"/rest/api/3/myself"); code != 0 || !strings.Contains(out, want) {
			t.Fatalf("after the expiry: %d %s", code, out)
		}
	}
	if n := e.srv.Count("token"); n != 1 || e.srv.Count("token:client_credentials") != 1 {
		t.Fatalf("%d token requests after the expiry, want 1 (client credentials)", n)
	}
	if code, rest := p.stop(); code != 0 || rest != "" || p.stderr.String() != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, rest, p.stderr.String())
	}
}
