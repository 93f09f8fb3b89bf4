package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// expiryMargin is how long before its expiry an access token stops being
// served: whoever gets a token gets one that still works when their
// request lands.
const expiryMargin = 60 * time.Second

// Session serves the tokens of one stored login (a profile). It is safe
// for concurrent use; all its token sources and clients share one access
// token in memory.
type Session struct {
	login *store.Login
	store *store.Store
	opts  Options // as given, for a new login
	hc    *http.Client
	hooks testhooks.Hooks
	// minValid is how long a token must still be valid to be served.
	minValid time.Duration
	site     string // the site asked for, if any
	envToken string // Options.Token: a token used instead of the login
	grant    string // Options.Grant: client credentials used instead of the login

	mu       sync.Mutex    // serialises token fetches within this process
	tok      *oauth2.Token // the access token last served, reused while fresh
	api      string        // the API base URL of the login, once known
	envSites []store.Site  // the sites Options.Token reaches, once listed
	// envPicked is the site Options.Token (or Grant) is used with, once
	// found.
	envPicked *store.Site
	from      string // where the last token served came from
	// known is the login's metadata as the token last served left it
	// (Info describes it without reading it again), or nil.
	known *store.Metadata
}

// Open returns the Session of profile ("" = the one the environment
// names, else DefaultProfile), with the environment's options (see
// FromEnv) and the system keychain: the login `atl login` made. It reads
// nothing yet: a missing or dead login is reported, as a
// *LoginRequiredError, by the first call that needs it.
func Open(profile string) (*Session, error) {
	o := FromEnv(os.Getenv)
	if profile != "" {
		o.Profile = profile
	}
	return OpenWith(o)
}

// OpenWith is Open with options of the caller's, not the environment's.
func OpenWith(o Options) (*Session, error) {
	profile := cmp.Or(o.Profile, DefaultProfile)
	dir := o.ConfigDir
	if dir == "" {
		var err error
		// Nothing stored is used with a token or client credentials
		// given: they need no config directory.
		if dir, err = store.DefaultConfigDir(); err != nil && o.Token == "" && o.Grant == "" {
			return nil, err
		}
	}
	switch {
	case o.Grant != "" && o.Grant != grantClientCredentials:
		return nil, &ConfigError{Setting: "grant", Value: o.Grant, Err: fmt.Errorf("grant %s is not one atl knows (%s)", quoteShort(o.Grant), grantClientCredentials)}
	case o.Grant != "" && o.Token != "":
		return nil, &ConfigError{Setting: "grant", Value: o.Grant, Err: errors.New("both a token and client credentials were given in place of a login: give one")}
	}
	h := o.hooks()
	st := store.New(dir, h.Keychain).WithTokenCache(h.TokenCache)
	st.Tightened = o.Tightened
	login, err := st.Login(profile)
	if err != nil {
		return nil, &ConfigError{Setting: "profile", Value: profile, Err: err}
	}
	s := &Session{
		login:    login,
		store:    st,
		opts:     o,
		hc:       o.HTTPClient,
		hooks:    h,
		minValid: max(o.MinValid, expiryMargin),
		site:     o.Site,
		envToken: o.Token,
		grant:    o.Grant,
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 30 * time.Second}
	}
	return s, nil
}

// now is the Session's clock.
func (s *Session) now() time.Time { return s.hooks.Now() }

// Profile returns the name of the session's profile.
func (s *Session) Profile() string { return s.login.Name() }

func (s *Session) loginRequired(reason string, err error) error {
	return &LoginRequiredError{Profile: s.Profile(), Reason: reason, Err: err}
}

// metadata reads the login's metadata; a missing, unreadable or dead
// login is a *LoginRequiredError.
func (s *Session) metadata() (*store.Metadata, error) { return s.metadataOf(true) }

// metadataOf is metadata, accepting a dead login unless refuseDead.
func (s *Session) metadataOf(refuseDead bool) (*store.Metadata, error) {
	m, err := s.login.Metadata()
	switch {
	case errors.Is(err, store.ErrNoLogin):
		return nil, s.loginRequired("not logged in", err)
	case errors.Is(err, store.ErrCorrupt):
		return nil, s.loginRequired("the stored login is unreadable ("+err.Error()+")", err)
	case err != nil:
		return nil, err
	}
	if m.Dead != nil && refuseDead {
		return nil, &LoginRequiredError{
			Profile: s.Profile(),
			Reason:  fmt.Sprintf("the stored login stopped working on %s (%s)", m.Dead.At.Format(time.RFC3339), m.Dead.Reason),
			Ended:   endedBy(m, m.Dead.At),
		}
	}
	return m, nil
}

// Logout removes the login's tokens and metadata from this machine and
// reports whether there was anything to remove. (Atlassian keeps the
// grant until the user removes the app from their account.) As with
// Options.Token, it is the stored login that goes, whatever Options.Grant
// says (the token cached for client credentials expires within the hour).
func (s *Session) Logout(ctx context.Context) (bool, error) {
	unlock, err := s.login.Lock(ctx, s.hooks.LockWait)
	if err != nil {
		return false, err
	}
	defer unlock()
	s.forget()
	return s.login.Delete()
}

// forget drops the access token kept in memory.
func (s *Session) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok, s.api, s.known = nil, "", nil
}
