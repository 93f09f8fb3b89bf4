package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/internal/termtext"
	"github.com/atl-cli/atl/store"
)

// Exit codes, documented in the README.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitLogin       = 4
	ExitInterrupted = 130
)

// Invocation is what Report needs to know of how atl was called.
type Invocation struct {
	Command string // the subcommand that ran, e.g. "token"
	Profile string // the profile it ran for
}

// Report prints err as one line on stderr (what happened, then what to
// type about it) and returns atl's exit code. It is the only place that
// decides exit codes and gives advice: the library packages say what
// happened, and only here is it known which flags the person used.
func Report(err error, stderr io.Writer, inv Invocation) int {
	if err == nil {
		return ExitOK
	}
	var silent *SilentError
	if errors.As(err, &silent) {
		return silent.Code
	}
	code, advice := Advise(err, inv)
	msg := describe(err)
	if advice != "" {
		msg += "; " + advice
	}
	fmt.Fprintln(stderr, "atl: "+OneLine(msg))
	return code
}

// Advise maps err to an exit code and says what to do about it.
func Advise(err error, inv Invocation) (code int, advice string) {
	var (
		usage    *UsageError
		config   *auth.ConfigError
		login    *auth.LoginRequiredError
		token    *auth.TokenError
		keychain *store.KeychainError
		lock     *store.LockTimeoutError
		trust    *store.TrustError
	)
	switch {
	case errors.As(err, &usage):
		return ExitUsage, ""
	case errors.As(err, &config):
		return ExitUsage, configAdvice(config, inv)
	case errors.As(err, &login):
		return ExitLogin, loginAdvice(login, inv)
	case errors.Is(err, context.Canceled):
		return ExitInterrupted, ""
	case errors.As(err, &token):
		return ExitError, tokenAdvice(token, inv)
	case errors.As(err, &keychain):
		if keychain.Timeout {
			return ExitError, "unlock the keychain (a password prompt may be waiting) and try again"
		}
		if inv.Command == "login" {
			return ExitError, "make sure " + KeychainHint + ", or run `" + LoginCommand(inv.Profile) + " --insecure-storage` to keep the tokens in a private file instead"
		}
		return ExitError, "make sure " + KeychainHint + " and try again"
	case errors.As(err, &trust):
		return ExitError, "atl changes nothing there: fix its owner and mode yourself, or set ATL_CONFIG_DIR to a directory of your own"
	case errors.Is(err, auth.ErrLinkReused):
		return ExitError, "if that was you, run `" + LoginCommand(inv.Profile) + "` again; if not, another program on this machine read the link"
	case errors.As(err, &lock):
		return ExitError, "it may be waiting for a keychain prompt or the network: let it finish or stop it, then try again (never delete the lock file)"
	case errors.Is(err, loopback.ErrPortInUse) && inv.Command == "proxy":
		return ExitError, "stop that program, or pick another port with --port (--port 0 picks a free one)"
	case errors.Is(err, loopback.ErrPortInUse):
		return ExitError, "stop that program, or register another callback URL for the app and pass it with --callback-url (or ATL_CALLBACK_URL)"
	case errors.Is(err, auth.ErrSignInTimeout):
		return ExitError, "run `" + LoginCommand(inv.Profile) + "` again (with a longer --timeout if you need more time)"
	case errors.Is(err, auth.ErrAccessDenied):
		return ExitError, "run `" + LoginCommand(inv.Profile) + "` again to sign in"
	case errors.Is(err, auth.ErrNoSite):
		return ExitError, "give your app access to a site you can use in the developer console, then run `" + LoginCommand(inv.Profile) + "` again"
	case errors.Is(err, store.ErrNoConfigDir):
		return ExitError, "set ATL_CONFIG_DIR to a directory of your own"
	case errors.Is(err, store.ErrBadSettings):
		return ExitError, "fix the file or remove it"
	}
	return ExitError, ""
}

// loginAdvice says what repairs a login that is required.
func loginAdvice(e *auth.LoginRequiredError, inv Invocation) string {
	switch {
	case e.ServiceAccount != "" && inv.Command == "login":
		return "check the client id and secret of the service account's OAuth 2.0 credential (Atlassian Administration, Directory, Service accounts)"
	case e.ServiceAccount != "" && e.Profile == "":
		return "set ATL_CLIENT_ID and ATL_CLIENT_SECRET to the service account's current credential"
	case e.ServiceAccount != "":
		return "if its secret changed, run `" + LoginCommand(e.Profile) + " --service-account` with the new one"
	}
	return "run `" + LoginCommand(e.Profile) + "`"
}

// endedWords says which of Atlassian's limits probably ended a login
// whose refresh it refused.
func endedWords(e *auth.LoginRequiredError) string {
	switch e.Ended {
	case "consent":
		return "probably because it reached 365 days after its consent, Atlassian's limit"
	case "unused":
		return "probably because it went unused for 90 days, Atlassian's limit"
	}
	return "and neither of Atlassian's limits (365 days after consent, 90 days unused) had passed: it was revoked (the app removed from the account), or a refresh token was used twice"
}

func configAdvice(e *auth.ConfigError, inv Invocation) string {
	switch {
	case e.Stored != "":
		return "unset " + settingEnv(e.Setting) + ", or run `" + LoginCommand(inv.Profile) + "` to sign in with it"
	case e.Setting == "client id" && e.Value == "":
		return "set ATL_CLIENT_ID (or pass --client-id) to your app's client id from the Atlassian developer console"
	case e.Setting == "callback URL":
		return "use the callback URL registered for the app, with --callback-url or ATL_CALLBACK_URL"
	case e.Setting == "profile":
		return ""
	case e.Setting == "site" && e.Value != "":
		return "pick one with --site NAME|URL|ID (`atl sites` lists them)"
	case e.Setting == "site":
		return "pick one with --site NAME|URL|ID or ATL_SITE"
	case e.Setting == "token":
		return "unset ATL_TOKEN to use the stored login"
	case e.Setting == "client secret":
		return "set ATL_CLIENT_SECRET (or pass --client-secret-stdin to atl login) to the secret of the client id"
	case e.Setting == "grant":
		return "set ATL_GRANT to client_credentials (with ATL_CLIENT_ID and ATL_CLIENT_SECRET, and no ATL_TOKEN), or unset it"
	}
	return "fix " + settingEnv(e.Setting)
}

// settingEnv is the environment variable of a setting a
// *auth.ConfigError names.
func settingEnv(setting string) string {
	switch setting {
	case "profile":
		return "ATL_PROFILE"
	case "client id":
		return "ATL_CLIENT_ID"
	case "callback URL":
		return "ATL_CALLBACK_URL"
	case "auth URL":
		return "ATL_AUTH_URL"
	case "API URL":
		return "ATL_API_URL"
	case "site":
		return "ATL_SITE"
	case "token":
		return "ATL_TOKEN"
	case "client secret":
		return "ATL_CLIENT_SECRET"
	case "grant":
		return "ATL_GRANT"
	}
	return "the " + setting
}

// Describe says what went wrong, for a person, as Report does before its
// advice.
func Describe(err error) string { return describe(err) }

// describe says what went wrong, for a person: the library's words, but
// for settings, which are named as the person set them.
func describe(err error) string {
	var lock *store.LockTimeoutError
	if errors.As(err, &lock) {
		return fmt.Sprintf("another atl process has held %s for over %s", lock.Path, lock.Wait)
	}
	var login *auth.LoginRequiredError
	if errors.As(err, &login) && login.Ended != "" {
		return err.Error() + ", " + endedWords(login)
	}
	var config *auth.ConfigError
	if !errors.As(err, &config) {
		return err.Error()
	}
	env := settingEnv(config.Setting)
	switch {
	case config.Stored != "":
		what := config.Setting
		if what == "auth URL" {
			what = "auth server"
		}
		return fmt.Sprintf("%s is %s, but this login was made with %s %s", env, config.Value, what, config.Stored)
	case config.Setting == "token" && config.Err != nil:
		return "ATL_TOKEN: " + config.Err.Error()
	}
	return err.Error()
}

func tokenAdvice(e *auth.TokenError, inv Invocation) string {
	switch {
	case e.MissingScope != "":
		return "add " + e.MissingScope + " to --scopes and to the app's permissions in the developer console"
	case e.BadClient() && inv.Command == "login":
		return "check ATL_CLIENT_ID and ATL_CLIENT_SECRET against the app in the developer console"
	case e.BadClient():
		return "if the app's secret changed, set ATL_CLIENT_SECRET to the new one or run `" + LoginCommand(inv.Profile) + "`"
	case e.DeadGrant():
		return "run `" + LoginCommand(inv.Profile) + "` again"
	case e.Retryable():
		return "Atlassian is busy or out of reach: try again in a minute"
	}
	return ""
}

// LoginCommand is the command that logs profile in.
func LoginCommand(profile string) string {
	if profile == "" || profile == auth.DefaultProfile {
		return "atl login"
	}
	return "atl login --profile " + profile
}

// UsageError is a mistake in how atl was called: exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf is a *UsageError with a formatted message.
func UsageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// SilentError carries an exit code for a failure already reported.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return fmt.Sprintf("exit %d", e.Code) }

// OneLine keeps an error message on one line, free of control characters.
func OneLine(s string) string { return termtext.OneLine(s, 2000) }

// Clean makes a name or address from a server safe to print on a
// terminal, cut to 200 characters.
func Clean(s string) string { return termtext.Clean(s, 200) }

// DescribeUser is a user as people write them: Name <email>.
func DescribeUser(u *auth.User) string {
	s := u.Name
	if u.Email != "" {
		s += " <" + u.Email + ">"
	}
	return s
}
