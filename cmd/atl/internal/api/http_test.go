package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/cmd/atl/internal/cli/clitest"
)

func TestRetryWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header  string
		attempt int
		want    time.Duration
	}{
		{"", 1, 2 * time.Second},
		{"", 2, 4 * time.Second},
		{"7", 1, 7 * time.Second},
		{"0", 1, 0},
		{"600", 1, 60 * time.Second},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 1, 10 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 1, 0},
		{"soon", 3, 8 * time.Second},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if got := retryWait(h, tc.attempt, now); got != tc.want {
			t.Errorf("retryWait(%q, %d) = %v, want %v", tc.header, tc.attempt, got, tc.want)
		}
	}
}

func TestRunAPIRetries(t *testing.T) {
	retryAfter := func(v string) map[string]string { return map[string]string{"Retry-After": v} }
	slowDown := authtest.Fault{Status: 429, Header: retryAfter("0")}
	runCases(t, []runCase{
		{name: "429 and 503, retried after the wait asked for", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{{Status: 429, Header: retryAfter("1")}, {Status: 503}}, stdout: issue2,
			stderr: "atl: rate limited by Atlassian (HTTP 429); trying again in 1s (retry 1 of 3)\n" +
				"atl: Atlassian is unavailable (HTTP 503); trying again in 4s (retry 2 of 3)\n",
			waits: []time.Duration{time.Second, 4 * time.Second}, counts: map[string]int{"issue": 3}},
		{name: "a Retry-After date, and one too long", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{{Status: 503, Header: retryAfter(clitest.Start().Add(10 * time.Second).Format(http.TimeFormat))}, {Status: 429, Header: retryAfter("600")}},
			stdout: issue2,
			stderr: "atl: Atlassian is unavailable (HTTP 503); trying again in 10s (retry 1 of 3)\n" +
				"atl: rate limited by Atlassian (HTTP 429); trying again in 1m0s (retry 2 of 3)\n",
			waits: []time.Duration{10 * time.Second, time.Minute}, counts: map[string]int{"issue": 3}},
		{name: "four 429s: three retries, then the 429 as it is", opts: Options{Path: "rest/api/3/issue/P1-2"},
			faults: []authtest.Fault{slowDown, slowDown, slowDown, {Status: 429, Body: `{"message":"slow down"}`, Header: retryAfter("0")}}, code: 1,
			stdout: `{"message":"slow down"}` + "\n",
			stderr: strings.Repeat("atl: rate limited by Atlassian (HTTP 429); trying again in 0s (retry N of 3)\n", 3) + "atl: GET " + jira + "/issue/P1-2: HTTP 429 Too Many Requests\n",
			waits:  []time.Duration{0, 0, 0}, counts: map[string]int{"issue": 4}},
		{name: "a POST retried sends its body again", login: dataLogin, opts: Options{Path: "rest/api/3/issue", Fields: []string{"a=b"}, JQ: ".received"},
			faults: []authtest.Fault{{Status: 503, Header: retryAfter("2")}}, stdout: `{"a":"b"}` + "\n",
			stderr: "atl: Atlassian is unavailable (HTTP 503); trying again in 2s (retry 1 of 3)\n",
			waits:  []time.Duration{2 * time.Second}, counts: map[string]int{"create-issue": 2}, sent: &sent{method: "POST", path: jira + "/issue", body: `{"a":"b"}`}},
		{name: "interrupted while waiting", opts: Options{Path: "rest/api/3/issue/P1-2"}, wait: context.Canceled,
			faults: []authtest.Fault{{Status: 429, Header: retryAfter("5")}}, code: 130,
			stderr: "atl: rate limited by Atlassian (HTTP 429); trying again in 5s (retry 1 of 3)\natl: context canceled\n",
			waits:  []time.Duration{5 * time.Second}, counts: map[string]int{"issue": 1}},
		{name: "a 401: one refresh, one retry", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens() },
			stdout: issue2, counts: map[string]int{"issue": 2, "token:refresh_token": 1}},
		{name: "a 401 and a revoked grant", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) { e.Srv.ExpireAccessTokens(); e.Srv.RevokeGrants() },
			code: 4, stderr: "atl: Get " + jira + "/issue/P1-2: Atlassian rejected the stored grant (HTTP 403 invalid_grant); run `atl login`\n", counts: map[string]int{"issue": 1, "token:refresh_token": 1}},
		{name: "a dead login", opts: Options{Path: "rest/api/3/issue/P1-2"}, setup: func(e *clitest.Env) {
			l := e.Login("default")
			m, err := l.Metadata()
			if err != nil {
				e.T.Fatal(err)
			}
			if err := l.MarkDead(m, "invalid_grant", e.Clock.Now()); err != nil {
				e.T.Fatal(err)
			}
		}, code: 4, stderr: "atl: the stored login stopped working on 2026-11-29T12:00:00Z (invalid_grant); run `atl login`\n", counts: map[string]int{"issue": 0, "token": 0}},
	})
}
