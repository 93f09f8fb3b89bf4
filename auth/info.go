package auth

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/atl-cli/atl/store"
)

// User is the Atlassian account a login belongs to.
type User struct {
	AccountID string
	Name      string
	Email     string
}

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
	APIURL   string // in effect: Options.APIURL, else the login's
	Storage  string // where the tokens are kept, in words; "" when nothing is stored (Options.Token, Options.Grant)
	// InsecureStorage is set when the tokens are in a private file, not
	// the keychain (atl login --insecure-storage).
	InsecureStorage bool
	LoginAt         time.Time
	// ServiceAccount is set for a service account's login (client
	// credentials): it has no refresh token, and no end.
	ServiceAccount bool
	// ConsentedAt is when the person consented to the login, and
	// LoginExpiresAt when Atlassian will end it unless it is refreshed
	// before: 365 days after the consent, or 90 days after the refresh
	// token was last issued if sooner. Zero when not known (a login
	// stored before atl recorded them, until its next refresh), and for
	// a service account.
	ConsentedAt    time.Time
	LoginExpiresAt time.Time
	// Dead says why Atlassian stopped accepting the login, if it did.
	Dead string
	// GivenToken is set when the token is Options.Token (ATL_TOKEN): no
	// stored login is used, nothing is stored (Storage is empty), and
	// User, Expiry and ClientID are unknown. With Options.Grant, nothing
	// is stored either, ServiceAccount is set, and User is unknown.
	GivenToken bool
	// TokenFrom says where the access token the Session holds came from:
	// the token cache ("the kernel keyring"), "the keychain", "the token
	// file", "the token endpoint" (minted from Options.Grant's client
	// credentials), or "" before any was served.
	TokenFrom string
}

// Info describes the stored login from its metadata, without reading the
// keychain or asking Atlassian; a dead login is described too (Dead).
// After a token was served, it describes the login as that left it,
// reading nothing more. With Options.Token, it describes that token,
// listing its sites.
func (s *Session) Info(ctx context.Context) (*Info, error) {
	if s.given() {
		return s.envInfo(ctx)
	}
	var m *store.Metadata
	s.mu.Lock()
	if s.known != nil {
		known := *s.known // a refresh changes it, under s.mu
		m = &known
	}
	from := s.from
	s.mu.Unlock()
	if m == nil {
		var err error
		if m, err = s.metadataOf(false); err != nil {
			return nil, err
		}
	}
	info := s.info(m)
	if m.Dead != nil {
		info.Dead = m.Dead.Reason
	}
	info.TokenFrom = from
	if s.site != "" {
		site, err := s.pick(ctx, m)
		if err != nil {
			return nil, err
		}
		info.Site = publicSite(site, info.APIURL)
	}
	return info, nil
}

// Site returns the site the session works with: the one asked for
// (Options.Site), else the login's current site.
func (s *Session) Site() (Site, error) {
	site, api, err := s.currentSite(context.Background())
	return publicSite(site, api), err
}

// currentSite is Site, as stored, with the API server it is reached
// through.
func (s *Session) currentSite(ctx context.Context) (store.Site, string, error) {
	if s.given() {
		site, err := s.envSite(ctx)
		api, _ := s.apiFor(DefaultAPIURL)
		return site, api, err
	}
	m, err := s.metadata()
	if err != nil {
		return store.Site{}, "", err
	}
	if s.site == "" {
		return m.Site, s.siteAPI(m), nil
	}
	site, err := s.pick(ctx, m)
	return site, s.siteAPI(m), err
}

func (s *Session) info(m *store.Metadata) *Info {
	api := strings.TrimRight(s.siteAPI(m), "/")
	return &Info{
		Profile:  s.Profile(),
		User:     User{AccountID: m.AccountID, Name: m.Name, Email: m.Email},
		Site:     publicSite(m.Site, api),
		Sites:    publicSites(m.Sites, api),
		Scopes:   m.Scopes,
		Expiry:   m.ExpiresAt,
		ClientID: m.ClientID,
		AuthURL:  cmp.Or(m.AuthURL, DefaultAuthURL),
		APIURL:   api,
		Storage:  s.login.Location(m.Storage).String(),
		LoginAt:  m.LoginAt,

		InsecureStorage: m.Storage == store.StorageFile,
		ServiceAccount:  m.Kind == store.KindServiceAccount,
		ConsentedAt:     consentedAt(m),
		LoginExpiresAt:  loginEnds(m),
	}
}
