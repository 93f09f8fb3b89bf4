package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// pasteLogin starts a --no-browser flow whose pastes go through the
// returned channel; refusals are collected.
func pasteLogin(t *testing.T) (*login, chan<- string, func() []error, chan string) {
	t.Helper()
	pasted := make(chan string)
	shown := make(chan string, 1)
	var mu sync.Mutex
	var refusals []error
	l := startLogin(t, loginSetup{opts: func(o *flow) {
		o.noBrowser = true
		o.pasted = pasted
		o.showURL = func(u string) { shown <- u }
		o.openBrowser = func(string) error { t.Error("a browser was opened with noBrowser"); return nil }
		o.pasteRefused = func(err error) { mu.Lock(); refusals = append(refusals, err); mu.Unlock() }
	}})
	return l, pasted, func() []error { mu.Lock(); defer mu.Unlock(); return append([]error(nil), refusals...) }, shown
}

func TestPastedAddressCompletesTheLogin(t *testing.T) {
	t.Parallel()
	l, pasted, refusals, shown := pasteLogin(t)
	authURL := <-shown
	u, err := url.Parse(authURL)
	if err != nil || u.Path != "/authorize" || u.Query().Get("state") == "" {
		t.Fatalf("shown %q: want the consent page's address itself", authURL)
	}
	callback := consentToCallback(t, authURL, l.port) // what the remote browser was sent to
	cu, _ := url.Parse(callback)
	wrongState := strings.Replace(callback, "state="+cu.Query().Get("state"), "state=forged", 1)
	for _, p := range []string{
		"",
		"not a url",
		wrongState,
		"http://127.0.0.1:1/callback?state=" + url.QueryEscape(cu.Query().Get("state")), // no code
		callback + "&code=again",
	} {
		pasted <- p
	}
	pasted <- "  " + callback + strings.Repeat(" ", 5) // with the spaces a terminal adds
	res, err := l.wait(t)
	if err != nil || res.token.AccessToken == "" {
		t.Fatalf("Login = %v, %v", res, err)
	}
	got := refusals()
	if len(got) != 5 {
		t.Fatalf("refusals = %v, want 5", got)
	}
	for _, err := range got {
		if !strings.HasPrefix(err.Error(), "that address cannot complete this sign-in: ") {
			t.Fatalf("refusal %q does not say what it refuses", err)
		}
	}
	if !strings.Contains(got[2].Error(), "state does not match") || !strings.Contains(got[3].Error(), "no authorization code") || !strings.Contains(got[4].Error(), "repeats") {
		t.Fatalf("reasons: %v", got)
	}
	if n := l.srv.Count("token:authorization_code"); n != 1 {
		t.Fatalf("code exchanges = %d", n)
	}
}

func TestPasteOrCallbackWhicheverComesFirst(t *testing.T) {
	t.Parallel()
	l, pasted, _, shown := pasteLogin(t)
	callback := consentToCallback(t, <-shown, l.port)
	// The query alone is enough.
	pasted <- "?" + strings.SplitN(callback, "?", 2)[1]
	if _, err := l.wait(t); err != nil {
		t.Fatal(err)
	}
	// The browser's request, arriving later, finds the listener gone.
	if r, err := send(t, rawClient(t), http.MethodGet, callback, "", nil); err == nil && r.status == http.StatusOK {
		t.Fatalf("the callback completed a second time: %d", r.status)
	}

	l2, pasted2, refusals2, shown2 := pasteLogin(t)
	callback2 := consentToCallback(t, <-shown2, l2.port)
	close(pasted2) // no more input: the callback still works
	r := mustSend(t, rawClient(t), http.MethodGet, callback2, "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("callback: %d %s", r.status, r.body)
	}
	if _, err := l2.wait(t); err != nil {
		t.Fatal(err)
	}
	if len(refusals2()) != 0 {
		t.Fatal("refusals without pastes")
	}
}

func TestAPastedDenialEndsTheLogin(t *testing.T) {
	t.Parallel()
	l, pasted, _, shown := pasteLogin(t)
	state := func() string { u, _ := url.Parse(<-shown); return u.Query().Get("state") }()
	pasted <- "http://127.0.0.1/callback?error=access_denied&state=" + url.QueryEscape(state)
	if _, err := l.wait(t); !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("Login = %v, want ErrAccessDenied", err)
	}
}
