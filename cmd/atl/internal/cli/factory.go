package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/internal/retry"
	"github.com/atl-cli/atl/internal/testhooks"
	"github.com/atl-cli/atl/store"
	"github.com/pkg/browser"
	"golang.org/x/term"
)

// IOStreams are the command's standard streams, injected so tests can read
// what a command prints.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Interactive reports whether a person can answer a prompt: stdin and
	// stderr are terminals.
	Interactive bool
	// ReadPassword, when stdin is a terminal, shows prompt on stderr and
	// reads a line from stdin without echo; nil otherwise.
	ReadPassword func(prompt string) ([]byte, error)
	// LongLines, when stdin is a terminal, lets it pass lines longer than
	// its line discipline allows, until restore; nil otherwise.
	LongLines func() (restore func(), err error)
	// ErrTerminal reports whether stderr is a terminal (for live status).
	ErrTerminal bool
	// OutTerminal reports whether stdout is a terminal (for colour and
	// for cleaning server text).
	OutTerminal bool
}

// Factory holds everything a command needs from the outside world. main
// builds the real one; tests build one with fakes.
type Factory struct {
	IO         *IOStreams
	Getenv     func(string) string
	Environ    func() []string
	Now        func() time.Time
	HTTPClient *http.Client
	Keychain   store.Backend
	// TokenCache keeps access tokens; nil is the platform's.
	TokenCache store.TokenCache
	// OpenURL opens the system browser when neither ATL_BROWSER nor
	// BROWSER is set.
	OpenURL  func(url string) error
	LockWait time.Duration
	Retry    testhooks.Retry
	// Location is the time zone times are shown in; nil is the local one.
	Location *time.Location
	// Sleep waits before a retry; nil waits on the clock.
	Sleep func(ctx context.Context, d time.Duration) error

	// Profile is the stored login the command works with (--profile).
	Profile string
}

// sleep waits d, or until ctx ends.
func (f *Factory) Wait(ctx context.Context, d time.Duration) error {
	if f.Sleep != nil {
		return f.Sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}

func NewSystemFactory(env Environment) *Factory {
	io := &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd())),
	}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		io.ReadPassword = func(prompt string) ([]byte, error) { return readPassword(int(os.Stdin.Fd()), os.Stderr, prompt) }
		io.LongLines = func() (func(), error) { return LongLineMode(int(os.Stdin.Fd())) }
	}
	io.ErrTerminal = term.IsTerminal(int(os.Stderr.Fd()))
	io.OutTerminal = term.IsTerminal(int(os.Stdout.Fd()))
	return &Factory{
		IO:         io,
		Getenv:     env.Get,
		Environ:    os.Environ,
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Keychain:   store.Keyring{},
		OpenURL:    func(url string) error { return openSystemBrowser(url, env.Get) },
	}
}

// options are the Session options every command uses: the
// environment's, and profile when one is named.
func (f *Factory) Options(profile string) auth.Options {
	o := auth.FromEnv(f.Getenv)
	if profile != "" {
		o.Profile = profile
	}
	o.HTTPClient = f.HTTPClient
	o.Tightened = f.tightened
	o.Hooks = &testhooks.Hooks{Keychain: f.Keychain, TokenCache: f.TokenCache, Now: f.Now, LockWait: f.LockWait, Retry: f.Retry}
	return o
}

// tightened warns of a file or directory whose mode the store tightened.
func (f *Factory) tightened(path string, was, now fs.FileMode) {
	fmt.Fprintf(f.IO.ErrOut, "warning: %s was readable by others (mode %04o); fixed to %04o\n", path, was, now)
}

// Session opens the stored login of the command's profile, as every
// command does, with options changed by each mod.
func (f *Factory) Session(mods ...func(*auth.Options)) (*auth.Session, error) {
	return f.SessionFor(f.Profile, mods...)
}

// SessionFor is Session for another profile.
func (f *Factory) SessionFor(profile string, mods ...func(*auth.Options)) (*auth.Session, error) {
	o := f.Options(profile)
	for _, mod := range mods {
		mod(&o)
	}
	return auth.OpenWith(o)
}

// WithSite is the session option of a --site flag: when given, it
// comes before ATL_SITE.
func WithSite(site string) func(*auth.Options) {
	return func(o *auth.Options) {
		if site != "" {
			o.Site = site
		}
	}
}

// localTime is t in the time zone times are shown in.
func (f *Factory) LocalTime(t time.Time) time.Time {
	if f.Location != nil {
		return t.In(f.Location)
	}
	return t.Local()
}

// openBrowser opens url with ATL_BROWSER, else BROWSER (a command line whose
// last argument becomes the URL), else the system's default browser. The
// browser gets the URL and an environment without atl's secrets; its output
// never reaches atl's stdout. atl does not wait for it.
func (f *Factory) OpenBrowser(url string) error {
	args := strings.Fields(f.Getenv("ATL_BROWSER"))
	if len(args) == 0 { // unset or blank
		args = strings.Fields(f.Getenv("BROWSER"))
	}
	if len(args) == 0 {
		return f.OpenURL(url)
	}
	cmd := exec.Command(args[0], append(args[1:], url)...)
	cmd.Env = childEnv(f.Environ())
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }() // reap it; its exit status is not ours
	return nil
}

// childEnv drops atl's secrets from the environment a child inherits.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if name, _, _ := strings.Cut(kv, "="); isSecretVar(name) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// isSecretVar reports whether an environment variable holds a secret no
// child process may see: the client secret, ATL_TOKEN, an access token
// as good as the login, and ATL_PROXY_KEY, the key to atl proxy, which is
// as good. This is the one list: a new secret setting goes
// here. The name is compared without case, as Windows compares the names
// of environment variables.
func isSecretVar(name string) bool {
	for _, secret := range [...]string{"ATL_CLIENT_SECRET", "ATL_TOKEN", "ATL_PROXY_KEY"} {
		if strings.EqualFold(name, secret) {
			return true
		}
	}
	return false
}

// Environment is atl's environment as it was when atl started.
type Environment map[string]string

// TakeEnvironment reads the environment once and then removes the secrets
// from the process's own, so that no child process (the browser opener,
// whatever it starts) inherits them, however it is started.
func TakeEnvironment() Environment {
	env := Environment{}
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if name == "" {
			continue // Windows' per-drive "=C:" entries
		}
		env[envKey(name)] = value
		if isSecretVar(name) {
			_ = os.Unsetenv(name)
		}
	}
	return env
}

func (e Environment) Get(name string) string { return e[envKey(name)] }

// openSystemBrowser opens url in the system's browser (pkg/browser), and
// on Linux under WSL, when no Linux browser exists, in Windows' (see
// windowsBrowser). Its output never reaches atl's.
func openSystemBrowser(url string, getenv func(string) string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	err := browser.OpenURL(url)
	if err != nil && underWSL(getenv) {
		return windowsBrowser(url)
	}
	return err
}
