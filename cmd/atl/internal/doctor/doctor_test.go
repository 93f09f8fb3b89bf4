package doctor

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
	"github.com/atl-cli/atl/store"
	"github.com/atl-cli/atl/store/storetest"
)

// A token cache that cannot be written is a warning with its reason, in
// text and in JSON; it fails nothing.
func TestDoctorWarnsOfATokenCacheThatCannotBeWritten(t *testing.T) {
	f, out, _, _ := clitest.NewFactory(t, noServers())
	cache := storetest.NewMemoryCache()
	cache.Fail(errors.New("no room"))
	f.TokenCache = cache
	clitest.Execute(f, NewCmd(f, nil))
	var line, fix string
	for l := range strings.Lines(out.String()) {
		if strings.Contains(l, "token cache:") {
			line = l
		} else if line != "" && fix == "" {
			fix = l
		}
	}
	if !strings.HasPrefix(line, "warn  token cache: ") || !strings.Contains(line, "no room") || !strings.HasPrefix(fix, "      fix: atl reads the keychain") {
		t.Fatalf("doctor:\n%s", out)
	}

	out.Reset()
	clitest.Execute(f, NewCmd(f, nil), "--json")
	var checks []check
	if err := json.Unmarshal(out.Bytes(), &checks); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Check == "token cache" && c.OK && c.Warn && strings.Contains(c.Detail, "no room") && c.Fix != "" {
			return
		}
	}
	t.Fatalf("doctor --json has no warning of the token cache:\n%s", out)
}

func TestDoctorChecksAWorkingTokenCache(t *testing.T) {
	f, out, _, _ := clitest.NewFactory(t, noServers())
	clitest.Execute(f, NewCmd(f, nil))
	if !strings.Contains(out.String(), "ok    token cache: ") {
		t.Fatalf("doctor:\n%s", out)
	}
	f.TokenCache = store.NoTokenCache{}
	out.Reset()
	clitest.Execute(f, NewCmd(f, nil))
	if !strings.Contains(out.String(), "ok    token cache: none on this platform") {
		t.Fatalf("doctor without a cache:\n%s", out)
	}
}

// noServers is an environment whose servers are a closed loopback port:
// doctor's checks of them fail at once, reaching out to nothing.
func noServers() map[string]string {
	return map[string]string{"ATL_AUTH_URL": "http://127.0.0.1:1", "ATL_API_URL": "http://127.0.0.1:1"}
}
