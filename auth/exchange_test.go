package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth/authtest"
)

func TestLoginExchangeRejectedClient(t *testing.T) {
	t.Parallel()
	const bodySecret = "BODY-TEXT-MUST-NOT-LEAK"
	l := startLogin(t, loginSetup{
		srvOpts: authtest.Options{ClientSecret: loginSecret},
		opts: func(o *flow) {
			o.clientSecret = loginSecret
		},
	})
	l.srv.InjectTokenFaults(authtest.Fault{
		Status: http.StatusUnauthorized,
		Body:   `{"error":"invalid_client","error_description":"` + bodySecret + `"}`,
	})
	status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
	if err != nil {
		t.Fatalf("Browse: %v", err)
	}
	if !strings.Contains(body, "Sign-in failed") || strings.Contains(body, "signed in") {
		t.Errorf("callback page: %d %q, want one saying sign-in failed", status, body)
	}
	if strings.Contains(body, bodySecret) || strings.Contains(body, loginSecret) {
		t.Errorf("the page leaks the token response or the secret: %q", body)
	}
	_, err = l.wait(t)
	var ce *TokenError
	if !errors.As(err, &ce) || !ce.BadClient() {
		t.Fatalf("Login error = %T %v, want a bad-client *TokenError", err, err)
	}
	if ce.Status != http.StatusUnauthorized || ce.Code != "invalid_client" {
		t.Errorf("TokenError = %d %s, want 401 invalid_client", ce.Status, ce.Code)
	}
	for _, s := range []string{bodySecret, loginSecret, "error_description"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains %q", err, s)
		}
	}
	if n := l.srv.Count("token:authorization_code"); n != 1 {
		t.Errorf("token:authorization_code requests = %d, want 1 (no retry of a spent code)", n)
	}
}

func TestLoginExchangeFailures(t *testing.T) {
	t.Parallel()
	const bodySecret = "BODY-TEXT-MUST-NOT-LEAK"
	cases := []struct {
		name  string
		fault authtest.Fault
		check func(t *testing.T, err error)
	}{
		{
			name:  "invalid_grant",
			fault: authtest.Fault{Status: http.StatusForbidden, Body: `{"error":"invalid_grant","error_description":"` + bodySecret + `"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != http.StatusForbidden || te.Code != "invalid_grant" {
					t.Errorf("error = %T %v, want a *TokenError with 403 invalid_grant", err, err)
				}
				// A login has no stored grant; the code was refused.
				if strings.Contains(err.Error(), "stored") || strings.Contains(err.Error(), "refresh") {
					t.Errorf("error %q blames a stored grant", err)
				}
			},
		},
		{
			name:  "server error",
			fault: authtest.Fault{Status: http.StatusInternalServerError, Body: `{"error":"server_error","error_description":"` + bodySecret + `"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != http.StatusInternalServerError {
					t.Errorf("error = %T %v, want a *TokenError with 500", err, err)
				}
			},
		},
		{
			name:  "no refresh token",
			fault: authtest.Fault{Status: http.StatusOK, Body: `{"access_token":"` + bodySecret + `","expires_in":3600,"token_type":"Bearer"}`},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.MissingScope != "offline_access" || te.Retryable() {
					t.Errorf("error = %T %v, want a *TokenError naming offline_access", err, err)
				}
			},
		},
		{
			name:  "not JSON",
			fault: authtest.Fault{Status: http.StatusOK, ContentType: "text/html", Body: "<html>" + bodySecret + "</html>"},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) {
					t.Errorf("error = %T %v, want a *TokenError", err, err)
				}
			},
		},
		{
			name:  "connection reset",
			fault: authtest.Fault{Reset: true},
			check: func(t *testing.T, err error) {
				var te *TokenError
				if !errors.As(err, &te) || te.Status != 0 {
					t.Errorf("error = %T %v, want a *TokenError without status", err, err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLogin(t, loginSetup{})
			l.srv.InjectTokenFaults(tc.fault)
			status, body, err := authtest.Browse(context.Background(), nil, l.authURL(t))
			if err != nil {
				t.Fatalf("Browse: %v", err)
			}
			if !strings.Contains(body, "Sign-in failed") || strings.Contains(body, bodySecret) {
				t.Errorf("callback page: %d %q, want one saying sign-in failed", status, body)
			}
			res, err := l.wait(t)
			if err == nil {
				t.Fatalf("Login = %+v, want an error", res)
			}
			if strings.Contains(err.Error(), bodySecret) {
				t.Errorf("error %q quotes the response body", err)
			}
			tc.check(t, err)
			if n := l.srv.Count("token"); n != 1 {
				t.Errorf("token requests = %d, want 1 (a code is spent by any attempt)", n)
			}
		})
	}
}

func TestLoginSecondCallbackWhileExchanging(t *testing.T) {
	t.Parallel()
	// The token endpoint answers slowly, so a second, identical callback
	// arrives while the first one's exchange is in flight.
	l := startLogin(t, loginSetup{})
	l.srv.InjectTokenFaults(authtest.Fault{PassThrough: true, Delay: 300 * time.Millisecond})
	cbLink := consentToCallback(t, l.authURL(t), l.port)

	first := make(chan response, 1)
	c1, c2 := rawClient(t), rawClient(t)
	go func() {
		r, _ := send(t, c1, http.MethodGet, cbLink, "", nil)
		first <- r
	}()
	deadline := time.Now().Add(2 * time.Second)
	for l.srv.Count("token") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The listener is still up, so the duplicate gets an answer: a 400
	// sent at once, not the outcome of the first one's exchange.
	sent := time.Now()
	r, err := send(t, c2, http.MethodGet, cbLink, "", nil)
	if err != nil || r.status != http.StatusBadRequest {
		t.Errorf("second callback: %d %v, want 400", r.status, err)
	}
	if d := time.Since(sent); d > 200*time.Millisecond {
		t.Errorf("second callback took %v to be refused", d)
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d after the duplicate, want 1", n)
	}
	if got := <-first; got.status != http.StatusOK || !strings.Contains(got.body, "signed in") {
		t.Errorf("first callback: %d %q, want the success page", got.status, got.body)
	}
	if _, err := l.wait(t); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if n := l.srv.Count("token"); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}
