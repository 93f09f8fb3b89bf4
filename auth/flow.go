package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/atl-cli/atl/internal/loopback"

	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
)

// flow is one run of the loopback flow.
type flow struct {
	clientID, clientSecret string
	authURL                string
	callback               *loopback.Callback
	scopes                 []string
	showURL                func(url string)
	openBrowser            func(url string) error
	browserError           func(error)
	hc                     *http.Client
	now                    func() time.Time
	// noBrowser shows the authorize URL itself (the browser may be on
	// another machine, which cannot reach the start link) and opens none.
	noBrowser bool
	// pasted brings the addresses the person pastes; pasteRefused hears
	// why one cannot complete the login (which keeps waiting).
	pasted       <-chan string
	pasteRefused func(error)
	// fromUser tells whether a connection to the listener comes from a
	// program of the user's own (ownerCheck); nil where that cannot be
	// told.
	fromUser func(local, remote netip.AddrPort) bool
}

// flowResult is what a successful flow yields.
type flowResult struct {
	token    *oauth2.Token
	received time.Time // when the token response arrived
	scopes   []string  // as granted, falling back to the ones asked for
	// linkReused is ErrLinkReused once the start link was fetched a
	// second time (so far), else nil.
	linkReused func() error
	// close stops the listener.
	close func()
}

// authorize runs the loopback flow: it binds the callback listener, opens
// the browser at the one-time start link (see startLink and browserLink),
// waits for exactly one valid callback, and exchanges the code (with its
// PKCE verifier) for tokens. It returns when ctx ends, with ctx's error.
//
// On success the listener is still up, so that a later fetch of the start
// link is still seen: the caller asks the result's linkReused right before
// it stores the login, and calls its close.
func authorize(ctx context.Context, f flow) (*flowResult, error) {
	cb := f.callback
	scopes := f.scopes
	hc := f.hc
	if hc == nil {
		// x/oauth2 would call a nil *http.Client put in the context.
		hc = http.DefaultClient
	}
	if f.now == nil {
		f.now = time.Now
	}
	cfg := oauthConfig(f.clientID, f.clientSecret, f.authURL, cb.URL, scopes)

	state, err := randomString(32)
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(state,
		oauth2.SetAuthURLParam("audience", audience),
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier))

	key, err := randomString(32)
	if err != nil {
		return nil, err
	}
	reused := make(chan error, 1)
	start := &startLink{path: "/start", key: key, target: authURL, reused: reused, fromUser: f.fromUser}
	if cb.Path == start.path {
		start.path = "/atl-start"
	}
	startURL := "http://" + cb.Hosts[0] + start.path + "?k=" + key
	browse := ""
	if f.openBrowser != nil && !f.noBrowser {
		var remove func()
		if browse, remove, err = browserLink(start, cb.Hosts[0]); err != nil {
			return nil, err
		}
		start.spent = remove
		defer remove()
	}

	listeners, err := cb.Listen()
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(lctx)
	results := make(chan callbackResult, 1)
	outcome := make(chan error, 1)
	pageDone := make(chan struct{})
	handler := &callbackHandler{
		cb: cb, state: state, start: start, results: results, outcome: outcome, pageDone: pageDone,
	}
	// gctx, not ctx: a handler waiting for the exchange's outcome must also
	// stop when the login ends for another reason.
	srv := callbackServer(handler, gctx)
	for _, l := range listeners {
		g.Go(func() error {
			if err := srv.Serve(newLimitListener(l, maxConns)); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	// stop closes the listeners and every connection, once the accepted
	// callback (if any) has its page. Shutdown would instead wait up to
	// 5s for each connection a browser opened speculatively and never used.
	stop := func(accepted bool) error {
		if accepted {
			t := time.NewTimer(5 * time.Second)
			select {
			case <-pageDone:
			case <-t.C:
			}
			t.Stop()
		}
		cancel()
		_ = srv.Close()
		return g.Wait()
	}

	// exchange spends the one accepted code and tells the page the outcome.
	exchange := func(r callbackResult) (*flowResult, error) {
		if r.err != nil {
			return nil, r.err
		}
		tctx := context.WithValue(gctx, oauth2.HTTPClient, hc)
		tok, err := cfg.Exchange(tctx, r.code, oauth2.VerifierOption(verifier))
		received := f.now()
		if err == nil {
			err = checkTokenResponse(tok, true)
		}
		if err != nil {
			err = tokenError(err)
			var te *TokenError
			if errors.As(err, &te) && te.DeadGrant() {
				// There is no stored grant yet: the code was refused
				// (expired, already spent, or the verifier or
				// redirect_uri did not match).
				e := *te
				e.Reason = "Atlassian did not accept the authorization code"
				err = &e
			}
			outcome <- err
			return nil, err
		}
		outcome <- nil
		return &flowResult{token: tok, received: received, scopes: grantedScopes(tok, scopes)}, nil
	}

	shown := startURL
	if f.noBrowser {
		shown = authURL // to the person's terminal only, never a command line
	}
	if f.showURL != nil {
		f.showURL(shown)
	}
	browserErr := make(chan error, 1)
	if browse != "" {
		go func() { browserErr <- f.openBrowser(browse) }()
	}
	var res *flowResult
	accepted := false
	pasted := f.pasted
wait:
	for {
		select {
		case <-gctx.Done():
			err = gctx.Err()
			break wait
		case err := <-browserErr:
			if err != nil && f.browserError != nil {
				f.browserError(err)
			}
		case err = <-reused:
			break wait
		case line, ok := <-pasted:
			if !ok {
				pasted = nil // no more input: the callback may still come
				continue
			}
			if err := handler.acceptPaste(line); err != nil && f.pasteRefused != nil {
				f.pasteRefused(err)
			}
		case r := <-results:
			accepted = true
			res, err = exchange(r)
			break wait
		}
	}
	if err != nil {
		werr := stop(accepted)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case werr != nil:
			return nil, werr // a listener failed, which ended gctx
		}
		return nil, err
	}
	res.linkReused = start.reusedErr
	res.close = func() { _ = stop(true) }
	return res, nil
}

// browserLink is what the browser is opened at, so that nobody but the
// user can use it: where the listener can tell that a connection comes
// from the user's own program, the start link without its key (whoever
// else reads it from the browser's command line is refused); elsewhere a
// private page that holds the keyed link (privateRedirect), removed by
// remove.
func browserLink(start *startLink, host string) (link string, remove func(), err error) {
	if start.fromUser != nil {
		return "http://" + host + start.path, func() {}, nil
	}
	return privateRedirect("http://" + host + start.path + "?k=" + start.key)
}

// grantedScopes returns the scope the token response names, or asked when
// it names none.
func grantedScopes(tok *oauth2.Token, asked []string) []string {
	if s, ok := tok.Extra("scope").(string); ok && s != "" {
		return strings.Fields(s)
	}
	return asked
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// callbackServer is the listener's HTTP server: every request bounded in
// time and size (a local program could otherwise hold a connection open
// for the whole login), its handlers' context base.
func callbackServer(h http.Handler, base context.Context) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second, // the page waits for the code exchange
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
}
