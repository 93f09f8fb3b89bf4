// Package auth signs a user into Atlassian Cloud with OAuth 2.0 (3LO)
// using the native-app loopback flow (RFC 8252) with PKCE, and serves the
// stored login's tokens to the atl commands and to Go programs.
//
// A Go program shares the login made with `atl login`:
//
//	s, err := auth.Open("") // the profile in ATL_PROFILE, else "default"
//	site, err := s.Site()   // the login's site: site.ID is the cloud id
//	hc := s.Client(ctx)     // sends the access token to the Atlassian API
//	resp, err := hc.Get(auth.DefaultAPIURL + "/ex/jira/" + site.ID + "/rest/api/3/myself")
//
// Every refresh, through any Session in any process, takes the login's
// cross-process lock and stores the rotated refresh token (and reads it
// back) before the new access token is used, so programs and the atl
// command can share one login without ever spending a refresh token twice.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// ExpiryMargin is how long before its expiry an access token stops being
// served: whoever gets a token gets one that still works when their
// request lands.
const ExpiryMargin = 60 * time.Second

// DefaultLockWait bounds how long a refresh waits for another process's.
const DefaultLockWait = 2 * time.Minute

// Site is an Atlassian Cloud site: ID is its cloud id, as in
// https://api.atlassian.com/ex/jira/{ID}/rest/api/3/....
type Site = store.Site

// User is the Atlassian account a login belongs to.
type User struct {
	AccountID string
	Name      string
	Email     string
}

// Options configure a Session beyond what Open takes from the
// environment. The zero value of every field means what Open uses.
type Options struct {
	Profile   string        // "" = ATL_PROFILE, else "default"
	ConfigDir string        // "" = ATL_CONFIG_DIR, else the OS user config dir + "/atl"
	Keychain  store.Backend // nil = the system keychain
	// TokenCache keeps access tokens where reading one is cheap; nil =
	// the platform's (the kernel keyring on Linux, none elsewhere).
	TokenCache store.TokenCache
	// Getenv reads the environment (ATL_PROFILE, ATL_CONFIG_DIR,
	// ATL_CLIENT_ID, ATL_CLIENT_SECRET, ATL_CALLBACK_URL, ATL_AUTH_URL,
	// ATL_API_URL); nil = os.Getenv.
	Getenv     func(string) string
	HTTPClient *http.Client     // nil = a client with a 30 s timeout
	Now        func() time.Time // nil = time.Now
	LockWait   time.Duration    // 0 = DefaultLockWait
	Retry      RetryPolicy
	// MinValid is how long a token must still be valid to be served;
	// a token with less left is refreshed first. 0 = ExpiryMargin.
	MinValid time.Duration
	// Site picks one of the login's sites (name, URL or cloud id) in
	// place of its current one, for this Session only; "" = ATL_SITE,
	// else the current one.
	Site string
	// Warn receives one-line warnings from the store, such as a file
	// permission it fixed; nil discards them.
	Warn io.Writer
}

// Session serves the tokens of one stored login (a profile). It is safe
// for concurrent use; all its token sources and clients share one access
// token in memory.
type Session struct {
	login    *store.Login
	store    *store.Store
	getenv   func(string) string
	hc       *http.Client
	now      func() time.Time
	lockWait time.Duration
	retry    RetryPolicy
	minValid time.Duration
	site     string // the site asked for, if any
	envToken string // ATL_TOKEN: a token from the environment, used instead of the login

	mu       sync.Mutex    // serialises token fetches within this process
	tok      *oauth2.Token // the access token last served, reused while fresh
	api      string        // the API base URL of the login, once known
	envSites []Site        // the sites ATL_TOKEN reaches, once listed
	from     string        // where the last token served came from
}

// getenv is o.Getenv, or the process environment's.
func (o Options) getenv() func(string) string {
	if o.Getenv == nil {
		return defaultGetenv
	}
	return o.Getenv
}

// configDir is o.ConfigDir, or the one the environment names (see
// store.ConfigDir).
func (o Options) configDir() (string, error) {
	if o.ConfigDir != "" {
		return o.ConfigDir, nil
	}
	return store.ConfigDir(o.getenv())
}

// Open returns the Session of profile ("" = ATL_PROFILE, else
// "default"), with the config directory, keychain and environment the
// atl command uses. It reads nothing yet: a missing or dead login is
// reported, as a *LoginRequiredError, by the first call that needs it.
func Open(profile string) (*Session, error) {
	return OpenWith(Options{Profile: profile})
}

// OpenWith is Open with options, for tests and for programs that keep
// their logins elsewhere.
func OpenWith(o Options) (*Session, error) {
	getenv := o.getenv()
	profile := firstOf(o.Profile, getenv(envProfile), DefaultProfile)
	dir, err := o.configDir()
	if err != nil {
		return nil, err
	}
	st := store.New(dir, o.Keychain).WithTokenCache(o.TokenCache)
	st.Warn = o.Warn
	login, err := st.Login(profile)
	if err != nil {
		return nil, &ConfigError{Setting: "profile", Env: envProfile, Value: profile, Err: err}
	}
	s := &Session{
		login:    login,
		store:    st,
		getenv:   getenv,
		hc:       o.HTTPClient,
		now:      o.Now,
		lockWait: o.LockWait,
		retry:    o.Retry.withDefaults(),
		minValid: max(o.MinValid, ExpiryMargin),
		site:     firstOf(o.Site, getenv(envSite)),
		envToken: getenv(envToken),
	}
	if s.hc == nil {
		s.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.lockWait <= 0 {
		s.lockWait = DefaultLockWait
	}
	return s, nil
}

// defaultGetenv reads the process's environment.
func defaultGetenv(name string) string { return os.Getenv(name) }

// Profile returns the name of the session's profile.
func (s *Session) Profile() string { return s.login.Name() }

// Info describes a stored login. It holds no secret.
type Info struct {
	Profile  string
	User     User
	Site     Site   // the site in use: the login's current one, or the one asked for
	Sites    []Site // every site the login reaches, as last listed
	Scopes   []string
	Expiry   time.Time // of the stored access token
	ClientID string
	AuthURL  string
	APIURL   string // in effect: ATL_API_URL, else the login's
	Storage  string // where the tokens are kept, in words
	// InsecureStorage is set when the tokens are in a private file, not
	// the keychain (atl login --insecure-storage).
	InsecureStorage bool
	LoginAt         time.Time
	// Dead says why Atlassian stopped accepting the login, if it did.
	Dead string
	// FromEnv is set when the token comes from ATL_TOKEN: no stored
	// login is used, and User, Expiry and ClientID are unknown.
	FromEnv bool
	// TokenFrom says where the access token the Session holds came from:
	// the token cache ("the kernel keyring"), "the keychain", "the token
	// file", or "" before any was served.
	TokenFrom string
}

// Info describes the stored login from its metadata, without reading the
// keychain or asking Atlassian; a dead login is described too (Dead). With
// ATL_TOKEN set, it describes that token, listing its sites.
func (s *Session) Info(ctx context.Context) (*Info, error) {
	if s.envToken != "" {
		return s.envInfo(ctx)
	}
	m, err := s.metadataOf(false)
	if err != nil {
		return nil, err
	}
	info := s.info(m)
	if m.Dead != nil {
		info.Dead = m.Dead.Reason
	}
	s.mu.Lock()
	info.TokenFrom = s.from
	s.mu.Unlock()
	if s.site != "" {
		if info.Site, err = s.pick(ctx, m); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// Site returns the site the session works with: the one asked for
// (Options.Site, ATL_SITE), else the login's current site.
func (s *Session) Site() (Site, error) {
	ctx := context.Background()
	if s.envToken != "" {
		return s.envSite(ctx)
	}
	m, err := s.metadata()
	if err != nil {
		return Site{}, err
	}
	if s.site == "" {
		return m.Site, nil
	}
	return s.pick(ctx, m)
}

func (s *Session) info(m *store.Metadata) *Info {
	return &Info{
		Profile:  s.Profile(),
		User:     User{AccountID: m.AccountID, Name: m.Name, Email: m.Email},
		Site:     m.Site,
		Sites:    m.Sites,
		Scopes:   m.Scopes,
		Expiry:   m.ExpiresAt,
		ClientID: m.ClientID,
		AuthURL:  firstOf(m.AuthURL, DefaultAuthURL),
		APIURL:   strings.TrimRight(firstOf(s.getenv(envAPIURL), m.APIURL, DefaultAPIURL), "/"),
		Storage:  s.login.Location(m.Storage).String(),
		LoginAt:  m.LoginAt,

		InsecureStorage: m.Storage == store.StorageFile,
	}
}

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
		return nil, s.loginRequired(fmt.Sprintf("the stored login stopped working on %s (%s)", m.Dead.At.Format(time.RFC3339), m.Dead.Reason), nil)
	}
	return m, nil
}

// Logout removes the login's tokens and metadata from this machine and
// reports whether there was anything to remove. (Atlassian keeps the
// grant until the user removes the app from their account.)
func (s *Session) Logout(ctx context.Context) (bool, error) {
	unlock, err := s.login.Lock(ctx, s.lockWait)
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
	s.tok, s.api = nil, ""
}
