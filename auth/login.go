package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
)

// LoginOptions configures one interactive login.
type LoginOptions struct {
	Client      Client
	CallbackURL string   // DefaultCallbackURL when empty
	Scopes      []string // DefaultScopes() when empty
	// ShowURL tells the user the URL, always and before the browser is
	// opened, so it can be opened by hand.
	ShowURL func(url string)
	// OpenBrowser opens url in the user's browser. It runs in its own
	// goroutine, so a launcher that blocks cannot hold up the login; an
	// error goes to BrowserError and the login keeps waiting.
	OpenBrowser  func(url string) error
	BrowserError func(error)
	HTTPClient   *http.Client
	Now          func() time.Time
}

// LoginResult is what a successful login yields.
type LoginResult struct {
	Token  *oauth2.Token
	Expiry time.Time // computed from expires_in at receipt
	Scopes []string  // as granted, falling back to the ones asked for
}

// Login runs the loopback flow: it binds the callback listener, opens the
// browser at the consent page, waits for exactly one valid callback, and
// exchanges the code (with its PKCE verifier) for tokens. It returns when
// ctx ends, with ctx's error.
func Login(ctx context.Context, opts LoginOptions) (*LoginResult, error) {
	cbURL := opts.CallbackURL
	if cbURL == "" {
		cbURL = DefaultCallbackURL
	}
	cb, err := ParseCallback(cbURL)
	if err != nil {
		return nil, err
	}
	scopes := opts.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	hc := opts.HTTPClient
	if hc == nil {
		// x/oauth2 would call a nil *http.Client put in the context.
		hc = http.DefaultClient
	}
	cfg := opts.Client.oauth2Config(cb.URL, scopes)

	state, err := randomString(32)
	if err != nil {
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL(state,
		oauth2.SetAuthURLParam("audience", Audience),
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(verifier))

	listeners, err := cb.listen()
	if err != nil {
		return nil, err
	}

	var res *LoginResult
	g, gctx := errgroup.WithContext(ctx)
	results := make(chan callbackResult, 1)
	outcome := make(chan error, 1)
	pageDone := make(chan struct{})
	srv := &http.Server{
		Handler: &callbackHandler{
			cb: cb, state: state, results: results, outcome: outcome, pageDone: pageDone,
		},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		// gctx, not ctx: a handler waiting for the exchange's outcome must
		// also stop when the login ends for another reason.
		BaseContext: func(net.Listener) context.Context { return gctx },
	}
	// exchange spends the one accepted code and tells the page the outcome.
	exchange := func(r callbackResult) error {
		if r.err != nil {
			return r.err
		}
		tctx := context.WithValue(gctx, oauth2.HTTPClient, hc)
		tok, err := cfg.Exchange(tctx, r.code, oauth2.VerifierOption(verifier))
		received := now()
		if err == nil {
			err = checkTokenResponse(tok, true)
		}
		if err != nil {
			err = classifyTokenError(err, opts.Client.ID)
			var dg *deadGrantError
			if errors.As(err, &dg) {
				// There is no stored grant yet: the code was refused
				// (expired, already spent, or the verifier or
				// redirect_uri did not match).
				err = &TokenEndpointError{Status: dg.status, Code: dg.code, Reason: "Atlassian did not accept the authorization code; run `atl login` again"}
			}
			outcome <- err
			return err
		}
		outcome <- nil
		res = &LoginResult{Token: tok, Expiry: received.Add(time.Duration(tok.ExpiresIn) * time.Second), Scopes: grantedScopes(tok, scopes)}
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
		if opts.ShowURL != nil {
			opts.ShowURL(authURL)
		}
		browserErr := make(chan error, 1)
		if opts.OpenBrowser != nil {
			go func() { browserErr <- opts.OpenBrowser(authURL) }()
		}
		for {
			select {
			case <-gctx.Done():
				return gctx.Err()
			case err := <-browserErr:
				if err != nil && opts.BrowserError != nil {
					opts.BrowserError(err)
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
		return splitScopes(s)
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
