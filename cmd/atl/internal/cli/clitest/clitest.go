// Package clitest runs atl's commands in-process for their tests: a
// factory with fake streams, environment and keychain, a fixed clock, a
// test server, stored logins, and golden files.
package clitest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
	"github.com/spf13/cobra"
)

// Start is the fixed time an Env's clock starts at.
func Start() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }

// Env is a factory with fake streams, a memory keychain and a fixed
// clock, over a test server.
type Env struct {
	T      testing.TB
	Srv    *authtest.Server
	Clock  *authtest.Clock
	F      *cli.Factory
	Out    *bytes.Buffer
	ErrOut *bytes.Buffer
	Keys   *storetest.Memory
	Dir    string // the config directory
	Vars   map[string]string
}

// New returns an Env whose server knows client "cid" with secret
// "csecret", and whose config directory is a new private one.
func New(t testing.TB) *Env {
	t.Helper()
	e := &Env{T: t, Clock: authtest.NewClock(Start()), Keys: storetest.NewMemory(), Dir: t.TempDir(), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	e.Srv = authtest.NewServer(authtest.Options{ClientID: "cid", ClientSecret: "csecret", Now: e.Clock.Now})
	t.Cleanup(e.Srv.Close)
	if err := os.Chmod(e.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e.Vars = map[string]string{"ATL_CONFIG_DIR": e.Dir}
	e.F = &cli.Factory{
		IO:         &cli.IOStreams{In: strings.NewReader(""), Out: e.Out, ErrOut: e.ErrOut},
		Getenv:     func(k string) string { return e.Vars[k] },
		Environ:    func() []string { return nil },
		Now:        e.Clock.Now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Keychain:   e.Keys,
		TokenCache: storetest.NewMemoryCache(), // no kernel keyring in tests
		OpenURL:    func(string) error { return errors.New("no browser in tests") },
		Location:   time.UTC,
		Profile:    "default",
	}
	return e
}

// Store saves a login for profile whose access token is access (a fresh
// one from the server when empty), valid for another hour.
func (e *Env) Store(profile, access string) {
	e.T.Helper()
	issued, refresh := e.Srv.IssueTokens("offline_access", "read:jira-user", "read:jira-work")
	if access == "" {
		access = issued
	}
	m := &store.Metadata{
		ClientID: "cid", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL(),
		AccountID: authtest.DefaultAccountID, Name: authtest.DefaultUserName, Email: authtest.DefaultUserEmail,
		Site:   store.Site{ID: authtest.DefaultSiteID, URL: authtest.DefaultSiteURL, Name: authtest.DefaultSiteName},
		Scopes: []string{"offline_access", "read:jira-user", "read:jira-work"}, Storage: store.StorageKeychain,
		ExpiresAt: Start().Add(time.Hour), LoginAt: Start().Add(-time.Hour),
	}
	g := store.Grant{RefreshToken: refresh, AccessToken: access, TokenType: "Bearer", Expiry: Start().Add(time.Hour), ClientSecret: "csecret", AuthURL: e.Srv.URL(), APIURL: e.Srv.URL()}
	if err := e.Login(profile).Save(m, g); err != nil {
		e.T.Fatal(err)
	}
}

// Login is profile's stored login, read directly.
func (e *Env) Login(profile string) *store.Login {
	e.T.Helper()
	l, err := store.New(e.Dir, e.Keys).WithTokenCache(store.NoTokenCache{}).Login(profile)
	if err != nil {
		e.T.Fatal(err)
	}
	return l
}

// Report reports err as main does, for command, and returns the exit
// code.
func (e *Env) Report(err error, command string) int {
	return cli.Report(err, e.ErrOut, cli.Invocation{Command: command, Profile: e.F.Profile})
}

// Golden compares got with testdata/name, or rewrites it when update is
// set (go test -update). The config directory's id in keychain accounts
// is written as @ID.
func Golden(t testing.TB, update bool, name, got string) {
	t.Helper()
	got = MaskItemIDs(got)
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// NewFactory returns a factory with fake streams, environment (env, with
// a new config directory unless it names one) and keychain, on the real
// clock, with its stdout and stderr and the keychain.
func NewFactory(t testing.TB, env map[string]string) (f *cli.Factory, out, errOut *bytes.Buffer, keys *storetest.Memory) {
	t.Helper()
	out, errOut, keys = &bytes.Buffer{}, &bytes.Buffer{}, storetest.NewMemory()
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["ATL_CONFIG_DIR"]; !ok {
		env["ATL_CONFIG_DIR"] = t.TempDir()
	}
	f = &cli.Factory{
		IO:         &cli.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut},
		Getenv:     func(k string) string { return env[k] },
		Environ:    func() []string { return nil },
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Keychain:   keys,
		TokenCache: storetest.NewMemoryCache(), // no kernel keyring in tests
		OpenURL:    func(string) error { return errors.New("no browser in tests") },
		Profile:    "default",
	}
	return f, out, errOut, keys
}

// MaskItemIDs writes the part of keychain accounts that names a config
// directory (a temp dir in tests) as @ID.
func MaskItemIDs(s string) string {
	return regexp.MustCompile(`(profile:[A-Za-z0-9._-]+)@[0-9a-f]{12}\b`).ReplaceAllString(s, "$1@ID")
}

// Execute runs cmd (a command's NewCmd) in-process with args, as atl
// would run it, and returns its exit code; errors are reported on f's
// stderr.
func Execute(f *cli.Factory, cmd *cobra.Command, args ...string) int {
	if args == nil {
		args = []string{} // cobra reads os.Args for nil
	}
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	ran, err := cmd.ExecuteContextC(context.Background())
	return cli.Report(err, f.IO.ErrOut, cli.Invocation{Command: ran.Name(), Profile: f.Profile})
}

// LockedBuffer is a bytes.Buffer safe for one writer and one reader at
// once.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Parse builds a command with newCmd, as atl does but with a runF that
// keeps its options, runs it with args, and returns the options it would
// have run with (nil when it would not have run) and its error: a
// command's flags and arguments, tested without running it.
func Parse[O any](e *Env, newCmd func(*cli.Factory, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	var got *O
	cmd := newCmd(e.F, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(append([]string{}, args...)) // never nil, which makes cobra read os.Args
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}
