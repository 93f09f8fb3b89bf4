package auth

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// errMalformed marks a token response that parsed but cannot be used.
var errMalformed = errors.New("malformed token response")

// checkTokenResponse rejects what x/oauth2 lets through but atl cannot use.
func checkTokenResponse(tok *oauth2.Token, needRefresh bool) error {
	switch {
	case tok.AccessToken == "":
		return &TokenEndpointError{Reason: "the response has no access token", Err: errMalformed}
	case tok.ExpiresIn <= 0:
		return &TokenEndpointError{Reason: "the response has no valid expires_in", Err: errMalformed}
	case needRefresh && tok.RefreshToken == "":
		return &TokenEndpointError{Reason: "no refresh token was granted: add the offline_access scope (and enable it for the app)", Err: errMalformed}
	case tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer"):
		return &TokenEndpointError{Reason: "the token type is not Bearer", Err: errMalformed}
	}
	return nil
}

// deadGrantError is a token-endpoint answer meaning the refresh token (or
// code) is no longer valid.
type deadGrantError struct {
	status int
	code   string
}

func (e *deadGrantError) Error() string {
	return "Atlassian rejected the stored grant (HTTP " + strconv.Itoa(e.status) + " " + e.code + ")"
}

// retryableError is a failure worth another try: rate limits, server
// errors, timeouts and dropped connections. after is the server's
// Retry-After, if any.
type retryableError struct {
	err   error
	after time.Duration
}

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// classifyTokenError maps an error from x/oauth2 to atl's types, without
// keeping the response body (RetrieveError.Error includes it, and a body
// can carry secrets).
func classifyTokenError(err error, clientID string) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		var header http.Header
		if re.Response != nil {
			status, header = re.Response.StatusCode, re.Response.Header
		}
		code := CleanText(re.ErrorCode, 64)
		switch {
		case code == "invalid_client" || status == http.StatusUnauthorized:
			return &ClientError{ClientID: clientID, Status: status}
		case code == "invalid_grant" || code == "unauthorized_client":
			return &deadGrantError{status: status, code: code}
		case status == http.StatusTooManyRequests:
			return &retryableError{
				err:   &TokenEndpointError{Status: status, Code: code, Reason: "rate limited by Atlassian"},
				after: retryAfter(header),
			}
		case status >= 500:
			return &retryableError{err: &TokenEndpointError{Status: status, Code: code, Reason: "Atlassian's token endpoint failed"}}
		case status/100 == 2:
			return &TokenEndpointError{Status: status, Code: code, Reason: "the response carries an error"}
		default:
			return &TokenEndpointError{Status: status, Code: code, Reason: "Atlassian refused the request"}
		}
	}
	var te *TokenEndpointError
	if errors.As(err, &te) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		reason := "could not reach Atlassian's token endpoint"
		if errors.As(ue.Err, &ne) && ne.Timeout() {
			reason = "Atlassian's token endpoint did not answer in time"
		}
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &retryableError{err: &TokenEndpointError{Reason: reason, Err: ue.Err}}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// x/oauth2 reports unparseable bodies and read failures as plain
	// errors; their text may quote the body, so it is not kept.
	return &TokenEndpointError{Reason: "the token endpoint's response could not be read", Err: errMalformed}
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// RetryPolicy bounds how a refresh is retried. A refresh token may be
// replayed within Atlassian's 10-minute leeway; the defaults stay well
// inside it.
type RetryPolicy struct {
	Attempts      int                                              // total tries, default 4
	Base          time.Duration                                    // first backoff, default 500ms, doubling
	MaxRetryAfter time.Duration                                    // longest Retry-After honoured, default 30s
	Sleep         func(ctx context.Context, d time.Duration) error // default: a timer
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 30 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return p
}

// delay returns how long to wait before try number attempt+1, or false
// when the server asks for longer than the policy allows.
func (p RetryPolicy) delay(attempt int, after time.Duration) (time.Duration, bool) {
	if after > 0 {
		return after, after <= p.MaxRetryAfter
	}
	d := p.Base << (attempt - 1)
	return d/2 + rand.N(d/2+1), true // jitter
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func splitScopes(s string) []string { return strings.Fields(s) }
