// Package auth signs a user into Atlassian Cloud with OAuth 2.0 (3LO)
// using the native-app loopback flow (RFC 8252) with PKCE, and serves the
// stored login's tokens to the atl commands and to Go programs.
//
// A Go program shares the login made with `atl login` (or `atl login
// --service-account`: a service account's, which has no refresh token and
// mints each access token from its client credentials):
//
//	s, err := auth.Open("") // the profile ATL_PROFILE names, else "default"
//	site, err := s.Site()   // the login's site: site.ID is the cloud id
//	hc := s.Client(ctx)     // sends the access token to the Atlassian API
//	resp, err := hc.Get(site.JiraURL() + "/rest/api/3/myself")
//
// Every refresh, through any Session in any process, takes the login's
// cross-process lock and stores the rotated refresh token (and reads it
// back) before the new access token is used, so programs and the atl
// command can share one login without ever spending a refresh token twice.
//
// # The environment
//
// Open reads these variables, through FromEnv, and nothing else in the
// package reads the environment:
//
//	ATL_PROFILE        Options.Profile       the login to use
//	ATL_CONFIG_DIR     Options.ConfigDir     where logins are described
//	ATL_CLIENT_ID      Options.ClientID      the app's client id
//	ATL_CLIENT_SECRET  Options.ClientSecret  the app's client secret
//	ATL_CALLBACK_URL   Options.CallbackURL   the app's registered callback URL
//	ATL_AUTH_URL       Options.AuthURL       the authorization server
//	ATL_API_URL        Options.APIURL        the API server
//	ATL_SITE           Options.Site          the site to use, for this Session
//	ATL_TOKEN          Options.Token         an access token to use instead of any login
//	ATL_GRANT          Options.Grant         client_credentials: ATL_CLIENT_ID and ATL_CLIENT_SECRET (a service account's) instead of any login
//
// # Errors
//
// A missing, removed or rejected login is a *LoginRequiredError; a failed
// OAuth request (the token endpoint's answer, or an error the consent page
// sent back) a *TokenError; a setting that is missing, malformed or
// contradicts the login a *ConfigError; a failed Atlassian API call an
// *APIError. Match them with errors.As. Messages say what happened, for
// the program (or person) to act on.
package auth
