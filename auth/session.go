package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/atl-cli/atl/store"
	"golang.org/x/oauth2"
)

// KeychainService is the service name of atl's keychain items.
const KeychainService = "atl"

// ExpiryMargin is how long before its expiry an access token stops being
// served: a script gets a token that still works when its request lands.
const ExpiryMargin = 60 * time.Second

// DefaultLockWait bounds how long a refresh waits for another process's.
const DefaultLockWait = 2 * time.Minute

// Session serves the tokens of one stored login (a profile) to every command
// and to Go programs. All access to the stored grant goes through it: it
// refreshes under a cross-process lock, saves and reads back every rotated
// refresh token before handing out the access token, and marks a grant
// Atlassian rejected so later calls fail at once.
type Session struct {
	Dir     *store.Dir
	Profile string // "default" when empty
	// Keychain is the system keychain; tests pass a fake. ItemSize is its
	// largest item (store.PlatformItemSize).
	Keychain store.Backend
	ItemSize int
	// ClientSecret, when set (from the environment), is used instead of
	// the one stored at login.
	ClientSecret string
	HTTPClient   *http.Client
	Now          func() time.Time
	LockWait     time.Duration // DefaultLockWait when zero
	Retry        RetryPolicy

	mu sync.Mutex // serialises refreshes within this process
}

// Current is the state of a login with a valid access token.
type Current struct {
	Profile *store.Profile
	Token   *oauth2.Token
	// Where says where the tokens live, for whoami.
	Where string
}

func (s *Session) name() string {
	if s.Profile == "" {
		return "default"
	}
	return s.Profile
}

func (s *Session) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Session) keychainKey() string { return "profile:" + s.name() }

// vault returns where profile p keeps its grant, and a description of it.
func (s *Session) vault(storage string) (*store.Vault, string, error) {
	switch storage {
	case store.StorageFile:
		fb, err := store.NewFileBackend(s.Dir, s.name())
		if err != nil {
			return nil, "", err
		}
		return store.NewVault(fb, KeychainService, 0), "file " + fb.Path() + " (insecure storage)", nil
	default:
		if s.Keychain == nil {
			return nil, "", errors.New("no keychain configured")
		}
		return store.NewVault(s.Keychain, KeychainService, s.ItemSize), fmt.Sprintf("system keychain (service %q, account %q)", KeychainService, s.keychainKey()), nil
	}
}

func (s *Session) loginRequired(reason string, err error) error {
	return &LoginRequiredError{Profile: s.name(), Reason: reason, Err: err}
}

// Profile loads the stored metadata. A missing, corrupt or dead login is a
// *LoginRequiredError.
func (s *Session) LoadProfile() (*store.Profile, error) {
	p, err := s.Dir.LoadProfile(s.name())
	switch {
	case errors.Is(err, store.ErrNoProfile):
		return nil, s.loginRequired("not logged in", err)
	case errors.Is(err, store.ErrCorrupt):
		return nil, s.loginRequired("the stored login is unreadable ("+err.Error()+")", err)
	case err != nil:
		return nil, err
	}
	if p.Dead != nil {
		return nil, s.loginRequired(fmt.Sprintf("the stored login stopped working on %s (%s)", p.Dead.At.Format(time.RFC3339), p.Dead.Reason), nil)
	}
	return p, nil
}

// load reads the profile and its grant.
func (s *Session) load() (*store.Profile, store.Grant, *store.Vault, string, error) {
	p, err := s.LoadProfile()
	if err != nil {
		return nil, store.Grant{}, nil, "", err
	}
	v, where, err := s.vault(p.Storage)
	if err != nil {
		return nil, store.Grant{}, nil, "", err
	}
	raw, err := v.Get(s.keychainKey())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, store.Grant{}, nil, "", s.loginRequired("no tokens are stored for this login", err)
	case errors.Is(err, store.ErrCorrupt):
		return nil, store.Grant{}, nil, "", s.loginRequired("the stored tokens are unreadable", err)
	case err != nil:
		return nil, store.Grant{}, nil, "", err
	}
	g, err := store.DecodeGrant(raw)
	if err != nil {
		return nil, store.Grant{}, nil, "", s.loginRequired("the stored tokens are unreadable", err)
	}
	return p, g, v, where, nil
}

func (s *Session) fresh(g store.Grant) bool {
	return g.AccessToken != "" && g.Expiry.Sub(s.now()) > ExpiryMargin
}

func current(p *store.Profile, g store.Grant, where string) *Current {
	return &Current{
		Profile: p,
		Token:   &oauth2.Token{AccessToken: g.AccessToken, TokenType: "Bearer", RefreshToken: "", Expiry: g.Expiry},
		Where:   where,
	}
}

// Current returns a valid access token: the cached one while it has more
// than ExpiryMargin left, else a refreshed one.
func (s *Session) Current(ctx context.Context) (*Current, error) {
	p, g, _, where, err := s.load()
	if err != nil {
		return nil, err
	}
	if s.fresh(g) {
		return current(p, g, where), nil
	}
	return s.refresh(ctx, "")
}

// Token implements the shape of oauth2.TokenSource with a context.
func (s *Session) Token(ctx context.Context) (*oauth2.Token, error) {
	c, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	return c.Token, nil
}

// Refresh replaces the access token stale, which the API refused although
// it had not expired. If another process already replaced it, the
// replacement is returned without a new request.
func (s *Session) Refresh(ctx context.Context, stale string) (*Current, error) {
	return s.refresh(ctx, stale)
}

// TokenSource returns an oauth2.TokenSource over s for use with
// oauth2.NewClient. Wrap it in oauth2.ReuseTokenSource to avoid re-reading
// the keychain on every request.
func (s *Session) TokenSource(ctx context.Context) oauth2.TokenSource {
	return tokenSource{ctx: ctx, s: s}
}

type tokenSource struct {
	ctx context.Context
	s   *Session
}

func (t tokenSource) Token() (*oauth2.Token, error) { return t.s.Token(t.ctx) }

// refresh runs under the profile's lock: it re-reads the store (another
// process may have refreshed while this one waited), and only if the
// access token is still not fresh, or is stale (refused by the API),
// spends the refresh token.
func (s *Session) refresh(ctx context.Context, stale string) (*Current, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()

	p, g, v, where, err := s.load()
	if err != nil {
		return nil, err
	}
	if g.AccessToken != stale && s.fresh(g) {
		return current(p, g, where), nil
	}
	for rereads := 0; ; rereads++ {
		ng, err := s.spend(ctx, p, g)
		var dead *deadGrantError
		if errors.As(err, &dead) {
			// Another writer may have rotated the token under us (a login
			// saves under the same lock, but an older atl might not).
			_, g2, _, _, err2 := s.load()
			if err2 == nil && g2.RefreshToken != g.RefreshToken && rereads < 3 {
				if s.fresh(g2) {
					return current(p, g2, where), nil
				}
				g = g2
				continue
			}
			p.Dead = &store.DeadGrant{At: s.now().UTC(), Reason: dead.Error()}
			if err := s.Dir.SaveProfile(s.name(), p); err != nil {
				return nil, err
			}
			return nil, s.loginRequired(dead.Error(), dead)
		}
		var re *retryableError
		if errors.As(err, &re) && g.AccessToken != "" && g.AccessToken != stale && g.Expiry.After(s.now()) {
			// Atlassian is unreachable but the cached token still works
			// for a little while: serve it rather than fail a script.
			return current(p, g, where), nil
		}
		if err != nil {
			return nil, err
		}
		// The new refresh token must be stored, and read back, before the
		// access token is used: a lost rotation logs the user out.
		enc, err := store.EncodeGrant(ng)
		if err != nil {
			return nil, err
		}
		if err := v.Set(s.keychainKey(), enc); err != nil {
			return nil, fmt.Errorf("saving the refreshed tokens: %w", err)
		}
		p.ExpiresAt = ng.Expiry
		if err := s.Dir.SaveProfile(s.name(), p); err != nil {
			return nil, fmt.Errorf("saving the login's metadata: %w", err)
		}
		return current(p, ng, where), nil
	}
}

// spend makes the refresh request, with bounded retries.
func (s *Session) spend(ctx context.Context, p *store.Profile, g store.Grant) (store.Grant, error) {
	secret := g.ClientSecret
	if s.ClientSecret != "" {
		secret = s.ClientSecret
	}
	c := Client{ID: p.ClientID, Secret: secret, AuthURL: p.AuthURL, APIURL: p.APIURL}
	cfg := c.oauth2Config("", p.Scopes)
	hc := s.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	tctx := context.WithValue(ctx, oauth2.HTTPClient, hc)
	policy := s.Retry.withDefaults()
	for attempt := 1; ; attempt++ {
		tok, err := cfg.TokenSource(tctx, &oauth2.Token{RefreshToken: g.RefreshToken}).Token()
		received := s.now()
		if err == nil {
			err = checkTokenResponse(tok, false)
		}
		if err == nil {
			ng := g
			ng.AccessToken = tok.AccessToken
			ng.TokenType = "Bearer"
			ng.Expiry = received.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
			if tok.RefreshToken != "" {
				ng.RefreshToken = tok.RefreshToken
			}
			return ng, nil
		}
		err = classifyTokenError(err, p.ClientID)
		var re *retryableError
		if !errors.As(err, &re) {
			return store.Grant{}, err
		}
		if attempt >= policy.Attempts {
			return store.Grant{}, &retryableError{err: fmt.Errorf("%w (gave up after %d tries)", re.err, attempt)}
		}
		d, ok := policy.delay(attempt, re.after)
		if !ok {
			return store.Grant{}, &retryableError{err: fmt.Errorf("%w: Atlassian asks to wait %s", re.err, d.Round(time.Second))}
		}
		if err := policy.Sleep(ctx, d); err != nil {
			return store.Grant{}, err
		}
	}
}

func (s *Session) lock(ctx context.Context) (func(), error) {
	wait := s.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	return s.Dir.Lock(ctx, s.name(), wait)
}

// Save stores a new login for the profile, replacing any earlier one. It
// takes the profile's lock so that it never interleaves with a refresh.
func (s *Session) Save(ctx context.Context, p *store.Profile, g store.Grant) (where string, err error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return "", err
	}
	defer unlock()
	if p.Storage == store.StorageFile {
		g.ClientSecret = "" // never in a plain file
	}
	v, where, err := s.vault(p.Storage)
	if err != nil {
		return "", err
	}
	enc, err := store.EncodeGrant(g)
	if err != nil {
		return "", err
	}
	if err := v.Set(s.keychainKey(), enc); err != nil {
		return "", err
	}
	// A login that moved between storages leaves nothing in the old one.
	if old, err := s.Dir.LoadProfile(s.name()); err == nil && old.Storage != p.Storage {
		if ov, _, err := s.vault(old.Storage); err == nil {
			_ = ov.Delete(s.keychainKey())
		}
	}
	if err := s.Dir.SaveProfile(s.name(), p); err != nil {
		return "", err
	}
	return where, nil
}

// CheckKeychain makes sure the system keychain answers, so that a login
// fails before the browser opens rather than after the user consented.
func (s *Session) CheckKeychain() error {
	v, _, err := s.vault(store.StorageKeychain)
	if err != nil {
		return err
	}
	if _, err := v.Get(s.keychainKey()); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrCorrupt) {
		return err
	}
	return nil
}

// Logout removes the profile's tokens and metadata. It reports whether
// there was anything to remove. With a readable profile, failing to remove
// its tokens is an error (they would stay behind); without one, both
// storages are cleaned as far as they answer.
func (s *Session) Logout(ctx context.Context) (bool, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	p, perr := s.Dir.LoadProfile(s.name())
	found := false
	for _, st := range []string{store.StorageKeychain, store.StorageFile} {
		if perr == nil && st != p.Storage {
			continue
		}
		v, _, err := s.vault(st)
		if err != nil {
			return false, err
		}
		if perr != nil {
			if _, err := v.Get(s.keychainKey()); err != nil && !errors.Is(err, store.ErrCorrupt) {
				continue // nothing there, or no keychain to ask
			}
		}
		if err := v.Delete(s.keychainKey()); err != nil {
			return false, err
		}
		found = true
	}
	if err := s.Dir.DeleteProfile(s.name()); err != nil {
		return false, err
	}
	return found || !errors.Is(perr, store.ErrNoProfile), nil
}
