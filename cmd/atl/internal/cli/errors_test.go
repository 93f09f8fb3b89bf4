package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/store"
)

func TestReport(t *testing.T) {
	kerr := &store.KeychainError{Op: "read", Cause: "the keyring is locked"}
	for _, tc := range []struct {
		err     error
		command string
		profile string
		code    int
		line    string
	}{
		{errors.New("boom"), "token", "default", 1, "atl: boom"},
		{errors.New("multi\nline\x1b[31m error"), "token", "default", 1, "atl: multi line error"},
		{UsageErrorf("bad"), "token", "default", 2, "atl: bad"},
		{&auth.LoginRequiredError{Profile: "default", Reason: "not logged in"}, "token", "default", 4, "atl: not logged in; run `atl login`"},
		{&auth.LoginRequiredError{Profile: "work", Reason: "not logged in"}, "whoami", "work", 4, "atl: not logged in (profile \"work\"); run `atl login --profile work`"},
		{fmt.Errorf("wrapped: %w", &auth.LoginRequiredError{Profile: "x", Reason: "not logged in"}), "token", "x", 4, "atl: wrapped: not logged in (profile \"x\"); run `atl login --profile x`"},
		{context.Canceled, "token", "default", 130, "atl: context canceled"},
		{&auth.ConfigError{Setting: "auth URL", Value: "https://evil.test", Stored: "https://auth.atlassian.com"}, "token", "work", 2,
			"atl: ATL_AUTH_URL is https://evil.test, but this login was made with auth server https://auth.atlassian.com; unset ATL_AUTH_URL, or run `atl login --profile work` to sign in with it"},
		{&auth.ConfigError{Setting: "profile", Value: "../x", Err: errors.New(`invalid profile name "../x"`)}, "token", "../x", 2, `atl: invalid profile name "../x"`},
		{&auth.ConfigError{Setting: "callback URL", Value: "x", Err: errors.New(`callback URL "x" is not a URL`)}, "login", "default", 2,
			`atl: callback URL "x" is not a URL; use the callback URL registered for the app, with --callback-url or ATL_CALLBACK_URL`},
		{&auth.ConfigError{Setting: "API URL", Value: "ftp://x", Err: errors.New("bad")}, "token", "default", 2, "atl: bad; fix ATL_API_URL"},
		{&auth.TokenError{Status: 401, Code: "invalid_client", Reason: "Atlassian does not accept the client id or secret"}, "login", "default", 1,
			"atl: token request failed: Atlassian does not accept the client id or secret (HTTP 401 invalid_client); check ATL_CLIENT_ID and ATL_CLIENT_SECRET against the app in the developer console"},
		{&auth.TokenError{Status: 401, Code: "invalid_client", Reason: "r"}, "token", "work", 1,
			"atl: token request failed: r (HTTP 401 invalid_client); if the app's secret changed, set ATL_CLIENT_SECRET to the new one or run `atl login --profile work`"},
		{&auth.TokenError{Status: 403, Code: "invalid_grant", Reason: "Atlassian did not accept the authorization code"}, "login", "default", 1,
			"atl: token request failed: Atlassian did not accept the authorization code (HTTP 403 invalid_grant); run `atl login` again"},
		{&auth.TokenError{Status: 200, Reason: "no refresh token was granted", MissingScope: "offline_access"}, "login", "default", 1,
			"atl: token request failed: no refresh token was granted (HTTP 200); add offline_access to --scopes and to the app's permissions in the developer console"},
		{&auth.ConfigError{Setting: "site", Value: "nowhere", Err: errors.New(`no site matches "nowhere"; this login reaches: a https://a.atlassian.net`)}, "token", "default", 2,
			"atl: no site matches \"nowhere\"; this login reaches: a https://a.atlassian.net; pick one with --site NAME|URL|ID (`atl sites` lists them)"},
		{&auth.ConfigError{Setting: "token", Err: errors.New("the token given is not an OAuth access token")}, "token", "default", 2,
			"atl: ATL_TOKEN: the token given is not an OAuth access token; unset ATL_TOKEN to use the stored login"},
		{&auth.TokenError{Consent: true, Code: "invalid_scope", Reason: "bad scope"}, "login", "default", 1, "atl: authorization failed: invalid_scope: bad scope"},
		{fmt.Errorf("%w within 5m0s", auth.ErrSignInTimeout), "login", "default", 1, "atl: no sign-in within 5m0s; run `atl login` again (with a longer --timeout if you need more time)"},
		{&auth.TokenError{Status: 503, Reason: "down"}, "token", "default", 1, "atl: token request failed: down (HTTP 503); Atlassian is busy or out of reach: try again in a minute"},
		{kerr, "login", "default", 1, "atl: keychain read failed: the keyring is locked; make sure " + KeychainHint + ", or run `atl login --insecure-storage` to keep the tokens in a private file instead"},
		{kerr, "login", "work", 1, "atl: keychain read failed: the keyring is locked; make sure " + KeychainHint + ", or run `atl login --profile work --insecure-storage` to keep the tokens in a private file instead"},
		{kerr, "token", "default", 1, "atl: keychain read failed: the keyring is locked; make sure " + KeychainHint + " and try again"},
		{&store.KeychainError{Op: "read", Cause: "no answer", Timeout: true}, "token", "default", 1, "atl: keychain read failed: no answer; unlock the keychain (a password prompt may be waiting) and try again"},
		{&store.LockTimeoutError{Path: "/c/profiles/default.lock", Wait: 2 * time.Minute}, "token", "default", 1,
			"atl: another atl process has held /c/profiles/default.lock for over 2m0s; it may be waiting for a keychain prompt or the network: let it finish or stop it, then try again (never delete the lock file)"},
		{fmt.Errorf("cannot listen on 127.0.0.1:27813: %w", loopback.ErrPortInUse), "login", "default", 1,
			"atl: cannot listen on 127.0.0.1:27813: the port is in use by another program; stop that program, or register another callback URL for the app and pass it with --callback-url (or ATL_CALLBACK_URL)"},
		{fmt.Errorf("cannot listen on 127.0.0.1:27814: %w", loopback.ErrPortInUse), "proxy", "default", 1,
			"atl: cannot listen on 127.0.0.1:27814: the port is in use by another program; stop that program, or pick another port with --port (--port 0 picks a free one)"},
		{auth.ErrAccessDenied, "login", "work", 1, "atl: you declined access on the consent screen; run `atl login --profile work` again to sign in"},
		{auth.ErrNoSite, "login", "default", 1, "atl: this login reaches no site; give your app access to a site you can use in the developer console, then run `atl login` again"},
		{store.ErrNoConfigDir, "token", "default", 1, "atl: " + store.ErrNoConfigDir.Error() + "; set ATL_CONFIG_DIR to a directory of your own"},
		{store.ErrBadSettings, "login", "default", 1, "atl: config file is not valid JSON; fix the file or remove it"},
	} {
		var errOut bytes.Buffer
		code := Report(tc.err, &errOut, Invocation{Command: tc.command, Profile: tc.profile})
		if code != tc.code || errOut.String() != tc.line+"\n" {
			t.Errorf("Report(%v) in %s:\n got %d %q\nwant %d %q", tc.err, tc.command, code, errOut.String(), tc.code, tc.line+"\n")
		}
	}
	var errOut bytes.Buffer
	if code := Report(nil, &errOut, Invocation{}); code != 0 || errOut.Len() != 0 {
		t.Errorf("Report(nil) = %d, %q", code, errOut.String())
	}
	if code := Report(&SilentError{Code: 3}, &errOut, Invocation{}); code != 3 || errOut.Len() != 0 {
		t.Errorf("Report(silent) = %d, %q", code, errOut.String())
	}
}
