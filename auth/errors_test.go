package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestConfigErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  *ConfigError
		want string
	}{
		{&ConfigError{Setting: "auth server", Env: "ATL_AUTH_URL", Value: "https://a.example", Stored: "https://auth.atlassian.com"},
			"ATL_AUTH_URL is https://a.example, but this login was made with auth server https://auth.atlassian.com"},
		{&ConfigError{Setting: "API URL", Env: "ATL_API_URL", Value: "x", Err: errors.New("ATL_API_URL must use https")}, "ATL_API_URL must use https"},
		{&ConfigError{Setting: "client id", Env: "ATL_CLIENT_ID"}, "no client id is set"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestGetJSONSizeLimit(t *testing.T) {
	size := maxBody
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A JSON list padded with spaces to size bytes.
		_, _ = io.WriteString(w, "[]"+strings.Repeat(" ", size-2))
	}))
	defer srv.Close()
	var v []any
	if err := getJSON(context.Background(), srv.Client(), srv.URL, "/x", &v); err != nil {
		t.Fatalf("a body of %d bytes: %v", maxBody, err)
	}
	size = maxBody + 1
	err := getJSON(context.Background(), srv.Client(), srv.URL, "/x", &v)
	if err == nil || err.Error() != "GET /x: response larger than 1048576 bytes" {
		t.Fatalf("a body of %d bytes: %v", maxBody+1, err)
	}
}
