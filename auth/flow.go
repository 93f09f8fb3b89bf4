package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
)

// flow is one run of the loopback flow.
type flow struct {
	clientID, clientSecret string
	authURL                string
	callback               *callback
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
}

// flowResult is what a successful flow yields.
type flowResult struct {
	token    *oauth2.Token
	received time.Time // when the token response arrived
	scopes   []string  // as granted, falling back to the ones asked for
}

// authorize runs the loopback flow: it binds the callback listener, opens
// the browser at a one-time address on it that redirects to the consent
// page (see startLink), waits for exactly one valid callback,
// and exchanges the code (with its PKCE verifier) for tokens. It returns
// when ctx ends, with ctx's error.
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
	start := &startLink{path: "/start", key: key, target: authURL, reused: reused}
	if cb.Path == start.path {
		start.path = "/atl-start"
	}
	startURL := "http://" + cb.Hosts[0] + start.path + "?k=" + key

	listeners, err := cb.listen()
	if err != nil {
		return nil, err
	}

	var res *flowResult
	g, gctx := errgroup.WithContext(ctx)
	results := make(chan callbackResult, 1)
	outcome := make(chan error, 1)
	pageDone := make(chan struct{})
	handler := &callbackHandler{
		cb: cb, state: state, start: start, results: results, outcome: outcome, pageDone: pageDone,
	}
	// gctx, not ctx: a handler waiting for the exchange's outcome must also
	// stop when the login ends for another reason.
	srv := callbackServer(handler, gctx)
	// exchange spends the one accepted code and tells the page the outcome.
	exchange := func(r callbackResult) error {
		if r.err != nil {
			return r.err
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
			return err
		}
		outcome <- nil
		res = &flowResult{token: tok, received: received, scopes: grantedScopes(tok, scopes)}
		return nil
	}

	for _, l := range listeners {
		g.Go(func() error {
			if err := srv.Serve(newLimitListener(l, maxConns)); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		// Close the listeners and every connection whatever happens below,
		// once the accepted callback (if any) has its page. Shutdown would
		// instead wait up to 5s for each connection a browser opened
		// speculatively and never used.
		accepted := false
		defer func() {
			if accepted {
				t := time.NewTimer(5 * time.Second)
				select {
				case <-pageDone:
				case <-t.C:
				}
				t.Stop()
			}
			_ = srv.Close()
		}()
		shown := startURL
		if f.noBrowser {
			shown = authURL // to the person's terminal only, never a command line
		}
		if f.showURL != nil {
			f.showURL(shown)
		}
		browserErr := make(chan error, 1)
		if f.openBrowser != nil && !f.noBrowser {
			go func() { browserErr <- f.openBrowser(startURL) }()
		}
		pasted := f.pasted
		for {
			select {
			case <-gctx.Done():
				return gctx.Err()
			case err := <-browserErr:
				if err != nil && f.browserError != nil {
					f.browserError(err)
				}
				continue
			case err := <-reused:
				return err
			case line, ok := <-pasted:
				if !ok {
					pasted = nil // no more input: the callback may still come
					continue
				}
				if err := handler.acceptPaste(line); err != nil && f.pasteRefused != nil {
					f.pasteRefused(err)
				}
				continue
			case r := <-results:
				accepted = true
				return exchange(r)
			}
		}
	})
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return res, nil
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
