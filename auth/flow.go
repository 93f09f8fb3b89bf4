package auth

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
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
	if f.hc == nil {
		// x/oauth2 would call a nil *http.Client put in the context.
		f.hc = http.DefaultClient
	}
	if f.now == nil {
		f.now = time.Now
	}
	r, err := newRun(f)
	if err != nil {
		return nil, err
	}
	if r.browse != "" {
		defer r.removePage()
	}
	if err := r.listen(ctx); err != nil {
		return nil, err
	}
	res, accepted, err := r.wait()
	if err != nil {
		werr := r.stop(accepted)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case werr != nil:
			return nil, werr // a listener failed, which ended the wait
		}
		return nil, err
	}
	res.linkReused = r.start.reusedErr
	res.close = func() { _ = r.stop(true) }
	return res, nil
}

// run is one sign-in under way.
type run struct {
	f        flow
	cfg      *oauth2.Config
	verifier string
	authURL  string // the consent page's address, with state and challenge
	start    *startLink
	startURL string // the keyed start link, shown to the user
	browse   string // what the browser is opened at
	// removePage removes the private page the browser is opened at.
	removePage func()

	handler  *callbackHandler
	reused   chan error
	results  chan callbackResult
	outcome  chan error
	pageDone chan struct{}
	srv      *http.Server
	g        *errgroup.Group
	gctx     context.Context // ends with the listener
	cancel   context.CancelFunc
}

// newRun makes a sign-in's state, PKCE verifier and one-time start link.
func newRun(f flow) (*run, error) {
	r := &run{f: f, cfg: oauthConfig(f.clientID, f.clientSecret, f.authURL, f.callback.URL, f.scopes), removePage: func() {}}
	state, err := randomString(32)
	if err != nil {
		return nil, err
	}
	r.verifier = oauth2.GenerateVerifier()
	r.authURL = r.cfg.AuthCodeURL(state,
		oauth2.SetAuthURLParam("audience", audience),
		oauth2.SetAuthURLParam("prompt", "consent"),
		oauth2.S256ChallengeOption(r.verifier))
	key, err := randomString(32)
	if err != nil {
		return nil, err
	}
	r.reused = make(chan error, 1)
	r.start = &startLink{path: "/start", key: key, target: r.authURL, reused: r.reused, fromUser: f.fromUser}
	if f.callback.Path == r.start.path {
		r.start.path = "/atl-start"
	}
	r.startURL = "http://" + f.callback.Hosts[0] + r.start.path + "?k=" + key
	if f.openBrowser != nil && !f.noBrowser {
		if r.browse, r.removePage, err = browserLink(r.start, f.callback.Hosts[0]); err != nil {
			return nil, err
		}
		r.start.spent = r.removePage
	}
	r.results = make(chan callbackResult, 1)
	r.outcome = make(chan error, 1)
	r.pageDone = make(chan struct{})
	r.handler = &callbackHandler{
		cb: f.callback, state: state, start: r.start, results: r.results, outcome: r.outcome, pageDone: r.pageDone,
	}
	return r, nil
}

// listen binds the callback's addresses and serves them until stop.
func (r *run) listen(ctx context.Context) error {
	listeners, err := r.f.callback.Listen()
	if err != nil {
		return err
	}
	var lctx context.Context
	lctx, r.cancel = context.WithCancel(ctx)
	r.g, r.gctx = errgroup.WithContext(lctx)
	// gctx, not ctx: a handler waiting for the exchange's outcome must also
	// stop when the login ends for another reason.
	r.srv = callbackServer(r.handler, r.gctx)
	for _, l := range listeners {
		r.g.Go(func() error {
			if err := r.srv.Serve(newLimitListener(l, maxConns)); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	return nil
}

// stop closes the listeners and every connection, once the accepted
// callback (if any) has its page, and returns a listener's failure.
// Shutdown would instead wait up to 5s for each connection a browser
// opened speculatively and never used.
func (r *run) stop(accepted bool) error {
	if accepted {
		t := time.NewTimer(5 * time.Second)
		select {
		case <-r.pageDone:
		case <-t.C:
		}
		t.Stop()
	}
	r.cancel()
	_ = r.srv.Close()
	return r.g.Wait()
}

// wait shows the start link (or, with noBrowser, the consent page's
// address), opens the browser, and waits for the one accepted callback or
// pasted address, which it exchanges; accepted reports whether one came.
func (r *run) wait() (res *flowResult, accepted bool, err error) {
	f := r.f
	shown := r.startURL
	if f.noBrowser {
		shown = r.authURL // to the person's terminal only, never a command line
	}
	if f.showURL != nil {
		f.showURL(shown)
	}
	browserErr := make(chan error, 1)
	if r.browse != "" {
		go func() { browserErr <- f.openBrowser(r.browse) }()
	}
	pasted := f.pasted
	for {
		select {
		case <-r.gctx.Done():
			return nil, false, r.gctx.Err()
		case err := <-browserErr:
			if err != nil && f.browserError != nil {
				f.browserError(err)
			}
		case err := <-r.reused:
			return nil, false, err
		case line, ok := <-pasted:
			if !ok {
				pasted = nil // no more input: the callback may still come
				continue
			}
			if err := r.handler.acceptPaste(line); err != nil && f.pasteRefused != nil {
				f.pasteRefused(err)
			}
		case cr := <-r.results:
			res, err := r.exchange(cr)
			return res, true, err
		}
	}
}

// exchange spends the one accepted code and tells the page the outcome.
func (r *run) exchange(cr callbackResult) (*flowResult, error) {
	if cr.err != nil {
		return nil, cr.err
	}
	tctx := context.WithValue(r.gctx, oauth2.HTTPClient, r.f.hc)
	tok, err := r.cfg.Exchange(tctx, cr.code, oauth2.VerifierOption(r.verifier))
	received := r.f.now()
	if err == nil {
		err = checkTokenResponse(tok, true)
	}
	if err != nil {
		err = tokenError(err)
		var te *TokenError
		if errors.As(err, &te) && te.DeadGrant() {
			// There is no stored grant yet: the code was refused
			// (expired, already spent, or the verifier or redirect_uri
			// did not match).
			e := *te
			e.Reason = "Atlassian did not accept the authorization code"
			err = &e
		}
		r.outcome <- err
		return nil, err
	}
	r.outcome <- nil
	return &flowResult{token: tok, received: received, scopes: grantedScopes(tok, r.f.scopes)}, nil
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
