package auth

import (
	"io/fs"
	"net/http"
	"time"

	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
)

// Atlassian's production servers, and the callback URL and profile used
// when none is named.
const (
	DefaultAuthURL = "https://auth.atlassian.com"
	DefaultAPIURL  = "https://api.atlassian.com"
	// DefaultCallbackURL is the redirect URL to register in the Atlassian
	// developer console. The port is fixed because Atlassian matches the
	// registered URL exactly; it lies below every OS's ephemeral range.
	DefaultCallbackURL = "http://127.0.0.1:27813/callback"
	// DefaultProfile is the profile used when none is named.
	DefaultProfile = "default"
)

// DefaultScopes returns the scopes a login asks for unless told otherwise:
// the three Jira scopes of an app registered per Atlassian's guide, and
// offline_access for a refresh token.
func DefaultScopes() []string {
	return []string{"offline_access", "read:jira-user", "read:jira-work", "write:jira-work"}
}

// Options configure a Session. Open takes them from the environment (see
// FromEnv); the zero value of each field means its default.
type Options struct {
	Profile   string // the login to use; DefaultProfile
	ConfigDir string // where logins are described; the OS user config dir + "/atl"

	// ClientID and AuthURL, when set, must be the stored login's: a
	// grant is only ever used with the client and server that issued it
	// (else a *ConfigError). For a new login they are the client and
	// server to sign in with (LoginOptions come first).
	ClientID string
	AuthURL  string // DefaultAuthURL for a new login
	// ClientSecret is the app's secret, for a new login and in place of
	// the stored one at a refresh.
	ClientSecret string
	CallbackURL  string // for a new login; DefaultCallbackURL
	// APIURL sends the API requests of any login to another server (a
	// test server); the login's own, else DefaultAPIURL.
	APIURL string
	// Site picks one of the login's sites (name, URL or cloud id) in
	// place of its current one, for this Session only.
	Site string
	// Token is an access token obtained elsewhere, used instead of any
	// stored login (CI): nothing stored is read or changed.
	Token string
	// Grant "client_credentials" uses ClientID and ClientSecret, a
	// service account's OAuth 2.0 credential, instead of any stored login
	// (CI): an access token is minted from them, kept in the token cache
	// (keyed by client id and auth server; no keychain, no config file),
	// and minted anew when it expires. Site names the site, unless the
	// token lists exactly one. "" uses the stored login.
	Grant string

	// MinValid is how long a token must still be valid to be served; a
	// token with less left is refreshed first. At least 60 s.
	MinValid time.Duration
	// HTTPClient sends the requests to Atlassian; a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// Tightened, if set, hears of each file or directory of the config
	// directory whose mode let others read it, and that was tightened
	// from was to now.
	Tightened func(path string, was, now fs.FileMode)

	// Hooks are for atl's own tests.
	Hooks *testhooks.Hooks
}

// FromEnv returns the Options the environment (read through getenv, such
// as os.Getenv) sets, as the table in the package documentation says.
// It is the one place the package reads the environment.
func FromEnv(getenv func(string) string) Options {
	return Options{
		Profile:      getenv("ATL_PROFILE"),
		ConfigDir:    getenv("ATL_CONFIG_DIR"),
		ClientID:     getenv("ATL_CLIENT_ID"),
		ClientSecret: getenv("ATL_CLIENT_SECRET"),
		CallbackURL:  getenv("ATL_CALLBACK_URL"),
		AuthURL:      getenv("ATL_AUTH_URL"),
		APIURL:       getenv("ATL_API_URL"),
		Site:         getenv("ATL_SITE"),
		Token:        getenv("ATL_TOKEN"),
		Grant:        getenv("ATL_GRANT"),
	}
}

// hooks are o's test hooks with every default filled in.
func (o Options) hooks() testhooks.Hooks {
	var h testhooks.Hooks
	if o.Hooks != nil {
		h = *o.Hooks
	}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.LockWait <= 0 {
		h.LockWait = store.DefaultLockWait
	}
	h.Retry = retryDefaults(h.Retry)
	return h
}

// layer is what o says of a login's settings.
func (o Options) layer() settings.Layer {
	return settings.Layer{ClientID: o.ClientID, CallbackURL: o.CallbackURL, AuthURL: o.AuthURL, APIURL: o.APIURL}
}

// defaults are the settings of a login that nothing else sets.
func defaults() settings.Layer {
	return settings.Layer{CallbackURL: DefaultCallbackURL, AuthURL: DefaultAuthURL, APIURL: DefaultAPIURL, Scopes: DefaultScopes()}
}
