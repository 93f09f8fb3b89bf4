package main

import (
	"net/http"
	"time"
)

// httpClient is a plain client that does not follow redirects.
type httpClient struct{}

func (httpClient) get(url string) (int, error) {
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
