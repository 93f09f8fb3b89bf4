package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/atl-cli/atl/internal/retry"
)

// apiCall sends the requests of one atl api run and prints the answers
// (print.go). Its client is the login's: it sends the token to the API
// server only, and on a 401 refreshes it once and sends the request again.
type apiCall struct {
	*request
	opts     *Options
	hc       *http.Client
	color    bool // colour JSON: on a terminal, without NO_COLOR
	terminal bool // stdout is a terminal: server text is cleaned

	mergeLimit int // bytes of pages --paginate may hold to merge them
}

// apiStatusError is an answer of 400 or more: its body is on stdout.
type apiStatusError struct {
	method, path string
	status       int
}

func (e *apiStatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d %s", e.method, e.path, e.status, http.StatusText(e.status))
}

// apiRetries is how often a 429 or 503 is retried.
const apiRetries = 3

// maxRetryWait bounds the wait for one retry.
const maxRetryWait = 60 * time.Second

// fetch sends one request (see do) and prints the status line and headers
// with --include. An answer of 400 or more is printed whole and returned
// as an *apiStatusError.
func (c *apiCall) fetch(ctx context.Context, req pageRequest) (*http.Response, []byte, error) {
	resp, body, err := c.do(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	if err := c.printHead(resp); err != nil {
		return nil, nil, err
	}
	if resp.StatusCode >= 400 {
		c.printBody(endLine(body)) // the error line on stderr starts a line of its own
		return nil, nil, &apiStatusError{method: c.method, path: req.url.Path, status: resp.StatusCode}
	}
	return resp, body, nil
}

// do sends one request, retrying 429 and 503 answers after the wait the
// server asks for (bounded, said on stderr), at most apiRetries times.
func (c *apiCall) do(ctx context.Context, pr pageRequest) (*http.Response, []byte, error) {
	payload := c.raw
	if pr.body != nil {
		payload, _ = json.Marshal(pr.body)
	}
	for attempt := 1; ; attempt++ {
		resp, body, err := c.send(ctx, pr.url, payload)
		if err != nil {
			return nil, nil, err
		}
		retryable := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if !retryable || attempt > apiRetries {
			return resp, body, nil
		}
		wait := retryWait(resp.Header, attempt, c.opts.Now())
		fmt.Fprintf(c.opts.IO.ErrOut, "atl: %s (HTTP %d); trying again in %s (retry %d of %d)\n",
			map[bool]string{true: "rate limited by Atlassian", false: "Atlassian is unavailable"}[resp.StatusCode == 429],
			resp.StatusCode, wait, attempt, apiRetries)
		if err := c.opts.Wait(ctx, wait); err != nil {
			return nil, nil, err
		}
	}
}

// send sends the request once, with payload as its body (none when nil),
// and reads the answer whole, at most maxBodySize bytes.
func (c *apiCall) send(ctx context.Context, u *url.URL, payload []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u.String(), rd)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, unwrapURL(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	resp.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: reading the answer: %w", c.method, u.Path, err)
	}
	if len(body) > maxBodySize {
		return nil, nil, fmt.Errorf("%s %s: the answer is larger than %d bytes", c.method, u.Path, maxBodySize)
	}
	return resp, body, nil
}

// retryWait is the wait Retry-After asks for (seconds or an HTTP date),
// else a doubling one, at most maxRetryWait.
func retryWait(h http.Header, attempt int, now time.Time) time.Duration {
	d, ok := retry.After(h, now)
	if !ok {
		d = time.Duration(1<<attempt) * time.Second
	}
	return min(d, maxRetryWait)
}

// unwrapURL says what failed of a request without its query (which may
// hold what the person searched for).
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redactedPath(ue.URL), ue.Err)
	}
	return err
}

// redactedPath is the path of the address raw, without its query.
func redactedPath(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return "the request"
}
