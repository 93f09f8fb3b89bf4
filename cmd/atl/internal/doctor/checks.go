package doctor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/store"
)

// clientIDCheck checks that a login has a client id, and says where it
// comes from.
func clientIDCheck(set *settings.Login) check {
	if set.ClientID.Value == "" {
		return fail("client id", "no client id is set", "set ATL_CLIENT_ID, or `atl config set client-id ID`, to the client id of your app in the Atlassian developer console")
	}
	return pass("client id", set.ClientID.Value+" (from "+from(set.ClientID, "ATL_CLIENT_ID")+")")
}

// callbackCheck checks that the callback URL is a loopback one whose
// port is free now.
func callbackCheck(set *settings.Login) check {
	cb := set.CallbackURL.Value
	err := loopback.Check(cb)
	switch {
	case errors.Is(err, loopback.ErrPortInUse):
		return fail("callback URL", cb+": its port is in use by another program", "stop that program, or register another callback URL for the app and set it with `atl config set callback-url URL`")
	case err != nil:
		return fail("callback URL", err.Error(), "register a loopback callback such as "+auth.DefaultCallbackURL+" for the app and set it with `atl config set callback-url URL`")
	}
	return pass("callback URL", cb+" (from "+from(set.CallbackURL, "ATL_CALLBACK_URL")+"), port free")
}

// configDirCheck checks that the config directory (st, or err opening
// it) and the files in it are the user's own and private.
func configDirCheck(st *store.Store, err error) check {
	if err == nil {
		err = st.Check()
	}
	if err != nil {
		return fail("config directory", err.Error(), "make it yours and private (chown, chmod 700), or set ATL_CONFIG_DIR to a directory of your own")
	}
	return pass("config directory", st.Dir()+": yours, private, no links")
}

// keychainCheck checks that the keychain answers. Without one, a login
// that keeps its tokens in a private file (insecure) passes, and so does
// a token or client credentials given in the environment (nothing
// stored).
func keychainCheck(st *store.Store, insecure, nothingStored bool) check {
	err := errors.New("no config directory")
	if st != nil {
		err = st.CheckKeychain()
	}
	switch {
	case err == nil:
		return pass("keychain", cli.KeychainName+" answers")
	case insecure:
		return pass("keychain", "none here ("+cli.OneLine(err.Error())+"); the login keeps its tokens in a private file (--insecure-storage)")
	case nothingStored:
		return pass("keychain", "none here ("+cli.OneLine(err.Error())+"); not needed: the environment gives the token or client credentials, and nothing is stored")
	}
	return fail("keychain", err.Error(), "make sure "+cli.KeychainHint+"; or, on a machine without a keychain, `atl login --insecure-storage` keeps the tokens in a private file")
}

// tokenCacheCheck writes and removes a probe in the token cache: one that
// cannot be written is a warning, with the reason.
func tokenCacheCheck(st *store.Store) check {
	const name = "token cache"
	if !st.HasTokenCache() {
		return pass(name, "none on this platform: tokens are read from the keychain")
	}
	err := st.CheckTokenCache()
	var ce *store.TokenCacheError
	switch {
	case err == nil:
		return pass(name, st.TokenCacheName()+" keeps access tokens")
	case errors.As(err, &ce) && ce.Full:
		return warn(name, err.Error(), "atl reads the keychain each time until then: remove keys you no longer need from your user keyring (keyctl show @u), or raise the quota (sysctl kernel.keys.maxkeys, kernel.keys.maxbytes)")
	case errors.As(err, &ce) && ce.Refused:
		return warn(name, err.Error(), "atl reads the keychain each time instead; to cache tokens, allow the add_key and keyctl system calls (in a container, its seccomp profile)")
	}
	return warn(name, err.Error(), "atl reads the keychain each time instead")
}

// serverChecks reach the auth server and the API server; the auth
// server's answer checks the clock, by its Date.
func serverChecks(ctx context.Context, opts *Options, set *settings.Login) []check {
	var checks []check
	for _, server := range []struct{ name, url string }{{"auth server", set.AuthURL.Value}, {"API server", set.APIURL.Value}} {
		date, err := reach(ctx, opts.HTTPClient(), server.url)
		if err != nil {
			checks = append(checks, fail(server.name, server.url+": "+err.Error(), reachFix(err)))
			continue
		}
		checks = append(checks, pass(server.name, server.url+" answers"))
		if server.name == "auth server" && !date.IsZero() {
			checks = append(checks, clockCheck(opts.Now(), date))
		}
	}
	return checks
}

// maxSkew is how far this machine's clock may be off the server's.
const maxSkew = 2 * time.Minute

// clockCheck checks that now is within maxSkew of the server's time.
func clockCheck(now, server time.Time) check {
	skew := now.Sub(server).Round(time.Second)
	if skew < 0 {
		skew = -skew
	}
	if skew > maxSkew {
		return fail("clock", fmt.Sprintf("this machine's clock is %s off the server's", skew), "set the clock right (NTP): tokens would look expired, or not yet valid")
	}
	return pass("clock", fmt.Sprintf("within %s of the server's", max(skew, time.Second)))
}

// loginCheck checks the stored login (info, or infoErr reading it), or
// ATL_TOKEN: that it serves a token.
func loginCheck(ctx context.Context, opts *Options, s *auth.Session, info *auth.Info, infoErr error) check {
	relogin := "run `" + cli.LoginCommand(s.Profile()) + "`"
	switch {
	case infoErr != nil:
		return fail("login", infoErr.Error(), relogin)
	case info.Dead != "":
		return fail("login", "stopped working: "+info.Dead, relogin)
	}
	tok, err := s.TokenSource(ctx).Token()
	switch {
	case err != nil:
		_, fix := cli.Advise(err, cli.Invocation{Command: "token", Profile: s.Profile()})
		return fail("login", cli.Describe(err), fix)
	case info.GivenToken:
		return pass("login", "ATL_TOKEN from the environment, on "+cli.Clean(info.Site.URL))
	}
	if now, err := s.Info(ctx); err == nil {
		info = now // as the token left it (read no more): a refresh moves its end
	}
	return lifetimeCheck(opts, s.Profile(), info, "token valid until "+opts.LocalTime(tok.Expiry).Format(time.RFC3339))
}

// warnWithin is how soon a login must end for doctor to warn.
const warnWithin = 14 * 24 * time.Hour

// lifetimeCheck describes profile's login (info), which serves a token
// (valid), with when it ends: a warning when that is within two weeks.
func lifetimeCheck(opts *Options, profile string, info *auth.Info, valid string) check {
	site := cli.Clean(info.Site.URL)
	if site == "" {
		site = "the site " + cli.Clean(info.Site.ID)
	}
	switch {
	case info.ServiceAccount && info.Storage == "":
		return pass("login", fmt.Sprintf("service account %s from the environment (ATL_GRANT=client_credentials), on %s, %s", info.ClientID, site, valid))
	case info.ServiceAccount:
		who := cli.Clean(info.ClientID)
		if info.User.Name != "" {
			who = fmt.Sprintf("%s (client id %s)", cli.Clean(info.User.Name), who)
		}
		return pass("login", fmt.Sprintf("profile %q: service account %s on %s, %s; no refresh token, no end", profile, who, site, valid))
	}
	detail := fmt.Sprintf("profile %q on %s, %s", profile, site, valid)
	switch {
	case info.LoginExpiresAt.IsZero():
		return pass("login", detail+"; the login's end is not known until its next refresh (stored before atl recorded it)")
	case cli.EndsWithin(info, opts.Now(), warnWithin):
		return warn("login", detail+"; "+cli.EndingSoon(info, opts.Now(), opts.LocalTime),
			"run `"+cli.LoginCommand(profile)+"` before then to renew it: Atlassian ends a login 365 days after its consent, or after 90 days unused")
	}
	return pass("login", detail+"; the login ends "+opts.LocalTime(info.LoginExpiresAt).Format(time.RFC3339))
}
