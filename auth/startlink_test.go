package auth

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atl-cli/atl/auth/authtest"
)

func TestStartLinkRedirectsOnceThenEndsTheLogin(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{})
	start := l.startURL(t)
	u, err := url.Parse(start)
	if err != nil || u.Path != "/start" || len(u.Query().Get("k")) < 43 || strings.Contains(start, "state") || strings.Contains(start, "challenge") {
		t.Fatalf("start link %q: want /start?k=RANDOM and nothing of the authorize URL", start)
	}
	c := rawClient(t)
	wrongKey := "http://" + u.Host + "/start?k=guess"
	for _, tc := range []struct {
		method, target, host string
		header               http.Header
		status               int
	}{
		{"GET", wrongKey, "", nil, http.StatusNotFound},
		{"GET", "http://" + u.Host + "/start", "", nil, http.StatusNotFound},
		{"POST", start, "", nil, http.StatusMethodNotAllowed},
		{"GET", start, "", http.Header{"Sec-Purpose": {"prefetch"}}, http.StatusServiceUnavailable},
		{"GET", start, "evil.example:" + u.Port(), nil, http.StatusMisdirectedRequest},
	} {
		r := mustSend(t, c, tc.method, tc.target, tc.host, tc.header)
		if r.status != tc.status {
			t.Errorf("%s %s (host %q): %d, want %d", tc.method, tc.target, tc.host, r.status, tc.status)
		}
		checkPageHeaders(t, tc.target, r.header)
	}
	l.stillWaiting(t, "requests that are not the start link's")
	first := mustSend(t, c, "GET", start, "", nil)
	loc, _ := url.Parse(first.header.Get("Location"))
	if first.status != http.StatusFound || loc == nil || loc.Path != "/authorize" || loc.Query().Get("state") == "" || loc.Query().Get("code_challenge") == "" {
		t.Fatalf("first fetch: %d to %q, want a redirect to the consent page", first.status, first.header.Get("Location"))
	}
	if first.header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(first.header.Get("Cache-Control"), "no-store") {
		t.Errorf("redirect headers %v", first.header)
	}
	l.stillWaiting(t, "the first fetch")
	second := mustSend(t, c, "GET", start, "", nil)
	if second.status != http.StatusConflict || !strings.Contains(second.body, "already opened") {
		t.Fatalf("second fetch: %d %q", second.status, second.body)
	}
	_, err = l.wait(t)
	if !errors.Is(err, ErrLinkReused) {
		t.Fatalf("Login = %v, want ErrLinkReused", err)
	}
	if n := l.srv.Count("token"); n != 0 {
		t.Fatalf("token requests = %d", n)
	}
}

func TestStartLinkAvoidsTheCallbackPath(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{callback: "http://127.0.0.1:%d/start"})
	start := l.startURL(t)
	if u, _ := url.Parse(start); u.Path != "/atl-start" {
		t.Fatalf("start link %q on a /start callback", start)
	}
	status, body, err := authtest.Browse(context.Background(), nil, start)
	if err != nil || status != 200 || !strings.Contains(body, "signed in") {
		t.Fatalf("Browse: %d %q %v", status, body, err)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatal(err)
	}
}

// userCheck is a fromUser that says yes while user holds true, and
// counts the connections it was asked about.
type userCheck struct {
	user  atomic.Bool
	asked atomic.Int32
}

func (u *userCheck) fromUser(local, remote netip.AddrPort) bool {
	u.asked.Add(1)
	return u.user.Load() && local.Addr().IsLoopback() && remote.Addr().IsLoopback()
}

func TestTheBrowserOpensTheLinkWithoutItsKeyWhereTheListenerKnowsWhoConnects(t *testing.T) {
	t.Parallel()
	check := &userCheck{}
	l := startLogin(t, loginSetup{opts: func(f *flow) { f.fromUser = check.fromUser }})
	opened := l.browserURL(t)
	shown := *l.shownURL.Load()
	u, err := url.Parse(opened)
	if err != nil || u.Path != "/start" || u.RawQuery != "" {
		t.Fatalf("the browser was opened at %q: want the start link without a key", opened)
	}
	if !strings.HasPrefix(shown, opened+"?k=") {
		t.Fatalf("shown %q: want the keyed start link", shown)
	}
	c := rawClient(t)
	// A program of another user is refused, and the login goes on.
	r := mustSend(t, c, "GET", opened, "", nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "terminal") || check.asked.Load() != 1 {
		t.Fatalf("keyless fetch by another user: %d %q (asked %d)", r.status, r.body, check.asked.Load())
	}
	checkPageHeaders(t, "refused", r.header)
	l.stillWaiting(t, "a fetch by another user")
	// The user's own browser is sent on to the consent page.
	check.user.Store(true)
	status, body, err := authtest.Browse(context.Background(), nil, opened)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Fatalf("Browse: %d %q %v", status, body, err)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestTheBrowserOpensAPrivatePageWhereTheListenerCannotTellWhoConnects(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{keepOpen: true}) // fromUser nil
	opened := l.browserURL(t)
	shown := *l.shownURL.Load()
	u, err := url.Parse(opened)
	if err != nil || u.Scheme != "file" {
		t.Fatalf("the browser was opened at %q: want a file: URL", opened)
	}
	path := filepath.FromSlash(strings.TrimPrefix(u.Path, "/"))
	if runtime.GOOS != "windows" {
		path = u.Path
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `content="0;url=`+shown+`"`) || strings.Contains(string(b), "state=") {
		t.Fatalf("page %q: want a meta refresh to %q and nothing of the authorize URL", b, shown)
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		di, _ := os.Stat(filepath.Dir(path))
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Fatalf("page %v in a directory %v: want 0600 in 0700", fi.Mode(), di.Mode())
		}
	}
	// Without its key, the link is nobody's.
	if r := mustSend(t, rawClient(t), "GET", strings.Split(shown, "?")[0], "", nil); r.status != http.StatusNotFound {
		t.Fatalf("keyless fetch: %d, want 404", r.status)
	}
	status, body, err := authtest.Browse(context.Background(), nil, opened)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Fatalf("Browse: %d %q %v", status, body, err)
	}
	res, err := l.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	defer res.close()
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the private page is still there once the link was used: %v", err)
	}
}

func TestThePrivatePageGoesWhenTheLoginEndsUnused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	l := startLogin(t, loginSetup{ctx: ctx})
	u, _ := url.Parse(l.browserURL(t))
	dir := filepath.Dir(filepath.FromSlash(u.Path))
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := l.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the private page outlived the login: %v", err)
	}
}

// A link fetched a second time after the callback came (by the user's
// browser, late, after someone else used it) is still seen: the flow
// says so, and Login stores nothing.
func TestALinkFetchedAgainAfterTheCallbackIsSeen(t *testing.T) {
	t.Parallel()
	l := startLogin(t, loginSetup{keepOpen: true})
	start := l.startURL(t)
	status, body, err := authtest.Browse(context.Background(), nil, start)
	if err != nil || status != http.StatusOK || !strings.Contains(body, "signed in") {
		t.Fatalf("Browse: %d %q %v", status, body, err)
	}
	res, err := l.wait(t)
	if err != nil {
		t.Fatal(err)
	}
	defer res.close()
	if err := res.linkReused(); err != nil {
		t.Fatalf("linkReused before a second fetch: %v", err)
	}
	if r := mustSend(t, rawClient(t), "GET", start, "", nil); r.status != http.StatusConflict {
		t.Fatalf("second fetch: %d", r.status)
	}
	if err := res.linkReused(); !errors.Is(err, ErrLinkReused) {
		t.Fatalf("linkReused after a second fetch: %v", err)
	}
}
