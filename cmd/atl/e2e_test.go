package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/internal/keyringtest"
	"github.com/atl-cli/atl/store"
)

// These tests run the real atl binary against authtest. With
// ATL_TEST_KEYRING=1 (as scripts/test sets inside a private D-Bus session
// with gnome-keyring) tokens go to the real keychain; without it they use
// the insecure file storage, so the flow is still covered on a laptop.

var (
	atlBin     string
	sandboxBin string
)

// TestMain builds atl and atl-sandbox and runs the tests with a kernel
// keyring of their own, failing them if they leave a key of atl's there.
func TestMain(m *testing.M) {
	if code, helper := helperMain(); helper {
		os.Exit(code)
	}
	os.Exit(keyringtest.Main(func() int { return runTests(m) }))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "atl-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	atlBin = filepath.Join(dir, "atl"+exe)
	sandboxBin = filepath.Join(dir, "atl-sandbox"+exe)
	for bin, pkg := range map[string]string{atlBin: ".", sandboxBin: "../atl-sandbox"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			return 1
		}
	}
	return m.Run()
}

func realKeychain() bool { return os.Getenv("ATL_TEST_KEYRING") == "1" }

type e2e struct {
	t        *testing.T
	srv      *authtest.Server
	dir      string
	profile  string
	callback string
	env      map[string]string
}

func newE2E(t *testing.T, opts authtest.Options) *e2e {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	e := &e2e{t: t, dir: t.TempDir(), profile: "e2e-" + hex.EncodeToString(b)}
	e.callback = fmt.Sprintf("http://127.0.0.1:%d/callback", authtest.FreePort(t))
	opts.ClientID = "e2e-client"
	opts.ClientSecret = "e2e-client-secret-value"
	if opts.RedirectURI == "" {
		opts.RedirectURI = e.callback
	}
	e.callback = opts.RedirectURI
	e.srv = authtest.NewServer(opts)
	t.Cleanup(e.srv.Close)
	e.env = map[string]string{
		"ATL_CONFIG_DIR":    e.dir,
		"ATL_PROFILE":       e.profile,
		"ATL_CLIENT_ID":     opts.ClientID,
		"ATL_CLIENT_SECRET": opts.ClientSecret,
		"ATL_CALLBACK_URL":  e.callback,
		"ATL_AUTH_URL":      e.srv.URL(),
		"ATL_API_URL":       e.srv.URL(),
		"ATL_BROWSER":       sandboxBin + " browse",
	}
	t.Cleanup(func() {
		// Leave nothing in the real keychain. (t.Context is done by now.)
		cmd := exec.Command(atlBin, "logout")
		cmd.Env = e.environ()
		_ = cmd.Run()
	})
	return e
}

func (e *e2e) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ATL_") || strings.HasPrefix(kv, "BROWSER=") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range e.env {
		env = append(env, k+"="+v)
	}
	return env
}

// command returns atl with args, killed when the test ends so that a hung
// process can never outlive (or hang) the suite.
func (e *e2e) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(e.t.Context(), atlBin, args...)
	cmd.Env = e.environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs atl and returns its stdout, stderr and exit code.
func (e *e2e) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := e.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		e.t.Fatalf("running atl %v: %v", args, err)
	}
	return out.String(), errOut.String(), code
}

func (e *e2e) login(args ...string) {
	e.t.Helper()
	args = append([]string{"login", "--timeout", "60s"}, args...)
	if !realKeychain() {
		args = append(args, "--insecure-storage")
	}
	out, errOut, code := e.run(args...)
	if code != 0 {
		e.t.Fatalf("atl login: exit %d\n%s", code, errOut)
	}
	if out != "" {
		e.t.Fatalf("atl login wrote to stdout: %q", out)
	}
}

// stored is the test's login as the atl binary stores it: through the
// same store package, in the real keychain (or the insecure file).
func (e *e2e) stored() *store.Login {
	e.t.Helper()
	l, err := store.New(e.dir, store.Keyring{}).Login(e.profile)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// notStored fails the test if a login was stored.
func (e *e2e) notStored() {
	e.t.Helper()
	if _, err := e.stored().Metadata(); !errors.Is(err, store.ErrNoLogin) {
		e.t.Fatalf("something was stored: %v", err)
	}
}

func (e *e2e) grant() store.Grant {
	e.t.Helper()
	_, g, err := e.stored().Load()
	if err != nil {
		e.t.Fatal(err)
	}
	return g
}

// expire makes the stored access token look expired, as an hour passing
// would.
func (e *e2e) expire() {
	e.t.Helper()
	m, g, err := e.stored().Load()
	if err != nil {
		e.t.Fatal(err)
	}
	g.Expiry = time.Now().Add(-time.Minute)
	if err := e.stored().SaveRefreshed(m, g); err != nil {
		e.t.Fatal(err)
	}
}

// breakSecrets replaces the stored secrets with raw, as a damaged keychain
// item or token file would hold, and empties the token cache (which keeps
// serving its access token until it expires otherwise).
func (e *e2e) breakSecrets(raw string) {
	e.t.Helper()
	if err := e.stored().DropCachedToken(); err != nil {
		e.t.Fatal(err)
	}
	m, err := e.stored().Metadata()
	if err != nil {
		e.t.Fatal(err)
	}
	loc := e.stored().Location(m.Storage)
	if loc.Storage == store.StorageFile {
		err = os.WriteFile(loc.Path, []byte(raw), 0o600)
	} else {
		err = store.Keyring{}.Set(loc.Service, loc.Account, raw)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}
