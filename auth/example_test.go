package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/atl-cli/atl/auth"
)

// A program that calls Jira as the user who ran `atl login`.
func ExampleOpen() {
	ctx := context.Background()
	s, err := auth.Open("") // ATL_PROFILE, else the default profile
	if err != nil {
		log.Fatal(err)
	}
	site, err := s.Site()
	if err != nil {
		log.Fatal(err) // a *auth.LoginRequiredError if nobody logged in
	}
	resp, err := s.Client(ctx).Get(site.JiraURL() + "/rest/api/3/myself")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct{ DisplayName string }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Hello, %s, on %s\n", me.DisplayName, site.URL)
}

// Requests with a body are retried after a refresh when the API refuses
// the token, as long as the body can be read again: bytes.Reader,
// bytes.Buffer and strings.Reader bodies can.
func ExampleSession_Client() {
	ctx := context.Background()
	s, err := auth.Open("work")
	if err != nil {
		log.Fatal(err)
	}
	site, err := s.Site()
	if err != nil {
		log.Fatal(err)
	}
	issue := []byte(`{"fields":{"project":{"key":"OPS"},"summary":"Disk full","issuetype":{"name":"Task"}}}`)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		site.JiraURL()+"/rest/api/3/issue", bytes.NewReader(issue))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client(ctx).Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// TokenSource serves libraries that take an oauth2.TokenSource, or a
// bearer token to put in a header by hand.
func ExampleSession_TokenSource() {
	s, err := auth.Open("")
	if err != nil {
		log.Fatal(err)
	}
	tok, err := s.TokenSource(context.Background()).Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("Authorization: Bearer", tok.AccessToken[:8]+"…", "until", tok.Expiry)
}

// A missing, removed or rejected login is a *LoginRequiredError: tell the
// user how to sign in again.
func ExampleLoginRequiredError() {
	s, err := auth.Open("")
	if err != nil {
		log.Fatal(err)
	}
	_, err = s.TokenSource(context.Background()).Token()
	var lr *auth.LoginRequiredError
	if errors.As(err, &lr) {
		fmt.Fprintf(os.Stderr, "%v: run `atl login --profile %s`\n", err, lr.Profile)
		os.Exit(4)
	}
}

// A bot in CI with a service account's OAuth 2.0 credential and nothing
// stored: each access token is minted from the client credentials (and,
// on Linux, kept in the kernel keyring for the next process).
func ExampleOpenWith_serviceAccount() {
	ctx := context.Background()
	s, err := auth.OpenWith(auth.Options{
		Grant:        "client_credentials",
		ClientID:     os.Getenv("BOT_CLIENT_ID"),
		ClientSecret: os.Getenv("BOT_CLIENT_SECRET"),
		Site:         "https://example.atlassian.net", // or its cloud id
	})
	if err != nil {
		log.Fatal(err)
	}
	site, err := s.Site()
	if err != nil {
		log.Fatal(err)
	}
	resp, err := s.Client(ctx).Get(site.JiraURL() + "/rest/api/3/myself")
	if err != nil {
		log.Fatal(err) // a *auth.LoginRequiredError naming the service account if its secret is refused
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// A person's login ends 365 days after the consent, or after 90 days
// unused: a program can say so before it happens.
func ExampleSession_Info() {
	s, err := auth.Open("")
	if err != nil {
		log.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if left := time.Until(info.LoginExpiresAt); !info.LoginExpiresAt.IsZero() && left < 14*24*time.Hour {
		fmt.Fprintf(os.Stderr, "the login ends in %s: run atl login\n", left.Round(time.Hour))
	}
}
