package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

const day = 24 * time.Hour

// aged makes the stored login look consented and last refreshed that
// long ago (0: not recorded), as months passing would: the e2e clock is
// the server's, and the binary's is the real one, so days-long jumps are
// written into the metadata, as expire does for the access token.
func (e *e2e) aged(consented, refreshed time.Duration) {
	e.t.Helper()
	at := func(d time.Duration) time.Time {
		if d == 0 {
			return time.Time{}
		}
		return time.Now().Add(-d).UTC().Truncate(time.Second)
	}
	if err := e.stored().Update(func(m *store.Metadata) error {
		m.ConsentedAt, m.RefreshIssuedAt = at(consented), at(refreshed)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func TestE2EWhoamiSaysWhenTheLoginEnds(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	before := time.Now().Truncate(time.Second)
	e.login()
	out, errOut, code := e.run("whoami", "--json")
	var who struct {
		ServiceAccount bool   `json:"service_account"`
		ConsentedAt    string `json:"consented_at"`
		LoginExpiresAt string `json:"login_expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &who); err != nil || code != 0 {
		t.Fatalf("whoami --json: exit %d, %v: %s%s", code, err, out, errOut)
	}
	consented, err1 := time.Parse(time.RFC3339, who.ConsentedAt)
	ends, err2 := time.Parse(time.RFC3339, who.LoginExpiresAt)
	if err1 != nil || err2 != nil || who.ServiceAccount || consented.Before(before) || consented.After(time.Now()) || !ends.Equal(consented.Add(90*day)) {
		t.Fatalf("whoami --json: consented_at %q, login_expires_at %q: right after a login it ends in 90 days", who.ConsentedAt, who.LoginExpiresAt)
	}
	out, _, code = e.run("whoami")
	if want := "  login:   ends " + ends.Local().Format(time.RFC3339) + " unless used before"; code != 0 || !strings.Contains(out, want) {
		t.Fatalf("whoami lacks %q:\n%s", want, out)
	}
	// Metadata from an atl that did not record them: the end is not known.
	e.aged(0, 0)
	if err := e.stored().Update(func(m *store.Metadata) error { m.LoginAt = time.Time{}; return nil }); err != nil {
		t.Fatal(err)
	}
	out, _, code = e.run("whoami", "--json")
	if err := json.Unmarshal([]byte(out), &who); err != nil || code != 0 || who.ConsentedAt != "" || who.LoginExpiresAt != "" {
		t.Fatalf("whoami --json of old metadata: %s", out)
	}
	out, _, _ = e.run("whoami")
	if !strings.Contains(out, "  login:   its end is not known (stored before atl recorded it; known from its next refresh)\n") {
		t.Fatalf("whoami of old metadata:\n%s", out)
	}
}

func TestE2EDoctorWarnsOfALoginEndingWithinTwoWeeks(t *testing.T) {
	e := newE2E(t, authtest.Options{})
	e.login()
	out, errOut, _ := e.run("doctor")
	if !strings.Contains(out, "ok    login: profile \""+e.profile+"\" on ") || !strings.Contains(out, "; the login ends ") {
		t.Fatalf("doctor of a new login:\n%s%s", out, errOut)
	}
	e.aged(355*day, time.Hour)
	out, errOut, code := e.run("doctor")
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor: exit %d, a check failed:\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "\nwarn  login: profile \""+e.profile+"\" on ") || !strings.Contains(out, "; this login ends in 9 days (") ||
		!strings.Contains(out, "      fix: run `atl login --profile "+e.profile+"` before then to renew it") {
		t.Fatalf("doctor does not warn of the login's end:\n%s", out)
	}
}

// A refresh that Atlassian refuses says which of its limits probably
// ended the login, then and on every later use.
func TestE2EARefusedRefreshSaysWhichLimitEndedTheLogin(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		consented, refreshed time.Duration
		why                  string
	}{
		{"365 days after consent", 366 * day, 2 * day, "probably because it reached 365 days after its consent, Atlassian's limit"},
		{"90 days unused", 100 * day, 91 * day, "probably because it went unused for 90 days, Atlassian's limit"},
		{"revoked or reused", 10 * day, 2 * day, "and neither of Atlassian's limits (365 days after consent, 90 days unused) had passed: " +
			"it was revoked (the app removed from the account), or a refresh token was used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newE2E(t, authtest.Options{})
			e.login()
			e.expire()
			e.aged(tc.consented, tc.refreshed)
			e.srv.RevokeGrants() // the server refuses it, whatever the reason
			login := "`atl login --profile " + e.profile + "`"
			for try, first := range []string{"Atlassian rejected the stored grant (HTTP 403 invalid_grant)", "the stored login stopped working on "} {
				out, errOut, code := e.run("token")
				if code != 4 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "atl: "+first) ||
					!strings.HasSuffix(errOut, " (profile \""+e.profile+"\"), "+tc.why+"; run "+login+"\n") {
					t.Fatalf("try %d: exit %d, stdout %q, stderr %q", try+1, code, out, errOut)
				}
			}
			if n := e.srv.Count("token:refresh_token"); n != 1 {
				t.Fatalf("%d refreshes, want 1", n)
			}
		})
	}
}
