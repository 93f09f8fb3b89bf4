package doctor

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/internal/loopback"
	"github.com/atl-cli/atl/internal/settings"
	"github.com/atl-cli/atl/store"
	"github.com/spf13/cobra"
)

type doctorOptions struct {
	f    *cli.Factory
	JSON bool
}

func NewCmd(f *cli.Factory) *cobra.Command {
	opts := &doctorOptions{f: f}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that atl can sign in and serve tokens here, and say how to fix what cannot",
		Long: `Check, one by one, what atl needs: a client id, a usable callback URL with its
port free, the keychain, the config directory's ownership and permissions,
Atlassian's servers (DNS, TLS, proxy), the clock, and the stored login. Each
failed check says how to fix it. Exit code 0 only when every check passes. A
token cache that cannot be written (Linux: the kernel keyring full, or keyctl
refused) is a warning: atl works without it, reading the keychain each time.`,
		Example: `  atl doctor
  atl doctor --profile work --json`,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDoctor(cmd.Context(), opts) },
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the checks as JSON: check, ok, warn, detail, fix")
	return cmd
}

// check is one of doctor's checks: passed (OK), failed, or passed with a
// warning (OK and Warn: atl works, less well).
type check struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Warn   bool   `json:"warn,omitempty"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func runDoctor(ctx context.Context, opts *doctorOptions) error {
	f := opts.f
	var checks []check
	add := func(name string, ok bool, detail, fix string) {
		checks = append(checks, check{Check: name, OK: ok, Detail: cli.OneLine(detail), Fix: fix})
	}
	s, err := f.Session()
	if err != nil {
		return err
	}
	set, err := loginSettings(f, opts.f.Profile)
	if err != nil {
		add("settings", false, err.Error(), "fix the variable named")
	}

	if set != nil {
		if set.ClientID.Value == "" {
			add("client id", false, "no client id is set", "set ATL_CLIENT_ID, or `atl config set client-id ID`, to the client id of your app in the Atlassian developer console")
		} else {
			add("client id", true, set.ClientID.Value+" (from "+from(set.ClientID, "ATL_CLIENT_ID")+")", "")
		}
		cb := set.CallbackURL.Value
		err := loopback.Check(cb)
		switch {
		case errors.Is(err, loopback.ErrPortInUse):
			add("callback URL", false, cb+": its port is in use by another program", "stop that program, or register another callback URL for the app and set it with `atl config set callback-url URL`")
		case err != nil:
			add("callback URL", false, err.Error(), "register a loopback callback such as "+auth.DefaultCallbackURL+" for the app and set it with `atl config set callback-url URL`")
		default:
			add("callback URL", true, cb+" (from "+from(set.CallbackURL, "ATL_CALLBACK_URL")+"), port free", "")
		}
	}

	st, err := f.Store()
	if err == nil {
		err = st.Check()
	}
	if err != nil {
		add("config directory", false, err.Error(), "make it yours and private (chown, chmod 700), or set ATL_CONFIG_DIR to a directory of your own")
	} else {
		add("config directory", true, st.Dir()+": yours, private, no links", "")
	}

	info, infoErr := s.Info(ctx)
	insecure := infoErr == nil && info.InsecureStorage
	switch err := keychainCheck(st); {
	case err == nil:
		add("keychain", true, cli.KeychainName+" answers", "")
	case insecure:
		add("keychain", true, "none here ("+cli.OneLine(err.Error())+"); the login keeps its tokens in a private file (--insecure-storage)", "")
	default:
		add("keychain", false, err.Error(), "make sure "+cli.KeychainHint+"; or, on a machine without a keychain, `atl login --insecure-storage` keeps the tokens in a private file")
	}

	if st != nil {
		checks = append(checks, tokenCacheCheck(st))
	}

	if set != nil {
		for _, server := range []struct{ name, url string }{{"auth server", set.AuthURL.Value}, {"API server", set.APIURL.Value}} {
			date, err := reach(ctx, f.HTTPClient, server.url)
			if err != nil {
				add(server.name, false, server.url+": "+err.Error(), reachFix(err))
				continue
			}
			add(server.name, true, server.url+" answers", "")
			if server.name == "auth server" && !date.IsZero() {
				skew := f.Now().Sub(date).Round(time.Second)
				if skew < 0 {
					skew = -skew
				}
				if skew > 2*time.Minute {
					add("clock", false, fmt.Sprintf("this machine's clock is %s off the server's", skew), "set the clock right (NTP): tokens would look expired, or not yet valid")
				} else {
					add("clock", true, fmt.Sprintf("within %s of the server's", max(skew, time.Second)), "")
				}
			}
		}
	}

	switch {
	case infoErr != nil:
		add("login", false, infoErr.Error(), "run `"+cli.LoginCommand(s.Profile())+"`")
	case info.Dead != "":
		add("login", false, "stopped working: "+info.Dead, "run `"+cli.LoginCommand(s.Profile())+"`")
	default:
		tok, err := s.TokenSource(ctx).Token()
		if err != nil {
			_, fix := cli.Advise(err, cli.Invocation{Command: "token", Profile: s.Profile()})
			add("login", false, err.Error(), fix)
		} else if info.GivenToken {
			add("login", true, "ATL_TOKEN from the environment, on "+cli.Clean(info.Site.URL), "")
		} else {
			add("login", true, fmt.Sprintf("profile %q on %s, token valid until %s", s.Profile(), cli.Clean(info.Site.URL), f.LocalTime(tok.Expiry).Format(time.RFC3339)), "")
		}
	}

	failed := 0
	for _, c := range checks {
		if !c.OK {
			failed++
		}
	}
	if opts.JSON {
		if err := cli.PrintJSON(f.IO.Out, f.IO.OutTerminal, checks); err != nil {
			return err
		}
	} else {
		for _, c := range checks {
			mark := "ok  "
			switch {
			case !c.OK:
				mark = "FAIL"
			case c.Warn:
				mark = "warn"
			}
			fmt.Fprintf(f.IO.Out, "%s  %s: %s\n", mark, c.Check, c.Detail)
			if c.Fix != "" {
				fmt.Fprintf(f.IO.Out, "      fix: %s\n", c.Fix)
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(f.IO.ErrOut, "atl: %d of %d checks failed\n", failed, len(checks))
		return &cli.SilentError{Code: cli.ExitError}
	}
	return nil
}

// tokenCacheCheck writes and removes a probe in the token cache: one that
// cannot be written is a warning, with the reason.
func tokenCacheCheck(st *store.Store) check {
	c := check{Check: "token cache", OK: true}
	err := st.CheckTokenCache()
	var ce *store.TokenCacheError
	switch {
	case !st.HasTokenCache():
		c.Detail = "none on this platform: tokens are read from the keychain"
	case err == nil:
		c.Detail = st.TokenCacheName() + " keeps access tokens"
	case errors.As(err, &ce) && ce.Full:
		c.Warn, c.Detail = true, err.Error()
		c.Fix = "atl reads the keychain each time until then: remove keys you no longer need from your user keyring (keyctl show @u), or raise the quota (sysctl kernel.keys.maxkeys, kernel.keys.maxbytes)"
	case errors.As(err, &ce) && ce.Refused:
		c.Warn, c.Detail = true, err.Error()
		c.Fix = "atl reads the keychain each time instead; to cache tokens, allow the add_key and keyctl system calls (in a container, its seccomp profile)"
	default:
		c.Warn, c.Detail = true, err.Error()
		c.Fix = "atl reads the keychain each time instead"
	}
	c.Detail = cli.OneLine(c.Detail)
	return c
}

func keychainCheck(st *store.Store) error {
	if st == nil {
		return errors.New("no config directory")
	}
	return st.CheckKeychain()
}

// reach asks server for its root page, as any client would, and returns
// the time its Date header says.
func reach(ctx context.Context, hc *http.Client, server string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server, nil)
	if err != nil {
		return time.Time{}, err
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, describeNetError(err)
	}
	resp.Body.Close()
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	return date, nil
}

// describeNetError says which step of reaching a server failed.
func describeNetError(err error) error {
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	var ue *url.Error
	switch {
	case errors.As(err, &dns):
		return fmt.Errorf("DNS: cannot resolve %s", dns.Name)
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &certInvalid), errors.As(err, &tlsRecord):
		return fmt.Errorf("TLS: %v", errors.Unwrap(err))
	case errors.As(err, &ue) && ue.Timeout():
		return errors.New("no answer within 10s")
	case errors.As(err, &ue):
		return ue.Err
	}
	return err
}

func reachFix(err error) string {
	msg := err.Error()
	switch {
	case len(msg) > 4 && msg[:4] == "DNS:":
		return "check the network and DNS; behind a proxy, set HTTPS_PROXY (and NO_PROXY)"
	case len(msg) > 4 && msg[:4] == "TLS:":
		return "a proxy or firewall may intercept TLS: add its CA to the system's trust store, or check the server URL"
	}
	return "check the network, and HTTPS_PROXY/NO_PROXY if you use a proxy"
}

// loginSettings are the settings a new login of profile would use (see
// package settings), with its servers checked.
func loginSettings(f *cli.Factory, profile string) (*settings.Login, error) {
	o := f.Options(profile)
	st, file, err := f.Settings()
	if err != nil {
		return nil, err
	}
	stored := &store.Metadata{}
	if l, err := st.Login(cmp.Or(o.Profile, auth.DefaultProfile)); err == nil {
		if m, err := l.Metadata(); err == nil {
			stored = m
		}
	}
	set := settings.ForLogin(settings.Layer{},
		settings.Layer{ClientID: o.ClientID, CallbackURL: o.CallbackURL, AuthURL: o.AuthURL, APIURL: o.APIURL},
		stored, file,
		settings.Layer{CallbackURL: auth.DefaultCallbackURL, AuthURL: auth.DefaultAuthURL, APIURL: auth.DefaultAPIURL, Scopes: auth.DefaultScopes()})
	for _, server := range []struct {
		setting, env string
		v            *settings.Value
	}{{"auth URL", "ATL_AUTH_URL", &set.AuthURL}, {"API URL", "ATL_API_URL", &set.APIURL}} {
		u, err := settings.ServerURL(server.v.Value)
		if err != nil {
			return nil, &auth.ConfigError{Setting: server.setting, Value: server.v.Value,
				Err: fmt.Errorf("%s %q (from %s) %w", server.setting, server.v.Value, from(*server.v, server.env), err)}
		}
		server.v.Value = u
	}
	return &set, nil
}

// from names where a setting came from for a person: the environment
// variable env, rather than "the environment".
func from(v settings.Value, env string) string {
	if v.From == settings.FromEnv {
		return env
	}
	return v.From
}
