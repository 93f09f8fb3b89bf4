package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/atl-cli/atl/store"
)

// validAccountID reports whether s looks like an Atlassian account id:
// letters, digits, ':', '_' and '-'.
func validAccountID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == ':' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// WhoAmI asks Atlassian who the login belongs to (Jira's myself on the
// login's site, and /me when the grant has read:me), through Client, so
// that a success proves the login works. What Atlassian does not say
// (an email hidden by the user's privacy settings) is taken from the
// login.
func (s *Session) WhoAmI(ctx context.Context) (*User, error) {
	site, _, err := s.currentSite(ctx)
	if err != nil {
		return nil, err
	}
	scopes, stored := site.Scopes, &store.Metadata{}
	if !s.given() {
		if stored, err = s.metadata(); err != nil {
			return nil, err
		}
		scopes = stored.Scopes
	}
	api, err := s.apiURL()
	if err != nil {
		return nil, err
	}
	u, err := identify(ctx, s.Client(ctx), api, site.ID, scopes)
	if err != nil {
		return nil, err
	}
	u.Name = cmp.Or(u.Name, stored.Name)
	u.Email = cmp.Or(u.Email, stored.Email)
	return u, nil
}

// identify asks Jira's myself on the site (read:jira-user) and, when
// read:me was granted, the platform's /me, which also knows the email.
// hc authenticates its requests.
func identify(ctx context.Context, hc *http.Client, api, cloudID string, scopes []string) (*User, error) {
	var u User
	var jiraErr error
	var my struct {
		AccountID    string `json:"accountId"`
		EmailAddress string `json:"emailAddress"`
		DisplayName  string `json:"displayName"`
	}
	if jiraErr = getJSON(ctx, hc, api, "/ex/jira/"+url.PathEscape(cloudID)+"/rest/api/3/myself", &my); jiraErr == nil {
		u = User{AccountID: my.AccountID, Name: my.DisplayName, Email: my.EmailAddress}
	}
	var apiErr *APIError
	if jiraErr != nil && !errors.As(jiraErr, &apiErr) {
		return nil, jiraErr // not an answer from Atlassian: /me would fare no better
	}
	if slices.Contains(scopes, "read:me") {
		var me struct {
			AccountID string `json:"account_id"`
			Email     string `json:"email"`
			Name      string `json:"name"`
		}
		if err := getJSON(ctx, hc, api, "/me", &me); err == nil {
			u.AccountID = cmp.Or(u.AccountID, me.AccountID)
			u.Name = cmp.Or(u.Name, me.Name)
			u.Email = cmp.Or(u.Email, me.Email)
		}
	}
	switch {
	case u.AccountID == "" && jiraErr != nil:
		return nil, fmt.Errorf("cannot tell who signed in (%w): the grant needs read:jira-user (or read:me)", jiraErr)
	case u.AccountID == "": // Jira answered, naming no one
		return nil, errors.New("cannot tell who signed in: Atlassian's answer names no account")
	}
	if !validAccountID(u.AccountID) {
		return nil, fmt.Errorf("malformed account id %s in Atlassian's answer", quoteShort(u.AccountID))
	}
	return &u, nil
}
