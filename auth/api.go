package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// maxBody bounds every response body atl reads.
const maxBody = 1 << 20

// API is a small client of the Atlassian platform API.
type API struct {
	BaseURL string // e.g. DefaultAPIURL
	HTTP    *http.Client
}

// Resource is a site the grant can reach, from accessible-resources.
type Resource struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	AvatarURL string   `json:"avatarUrl"`
}

// Me is the user as {api}/me describes them (needs read:me).
type Me struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
}

// Myself is the user as Jira's /rest/api/3/myself describes them (needs
// read:jira-user).
type Myself struct {
	AccountID    string `json:"accountId"`
	EmailAddress string `json:"emailAddress"`
	DisplayName  string `json:"displayName"`
}

// AccessibleResources lists the sites the access token can reach.
func (a *API) AccessibleResources(ctx context.Context, accessToken string) ([]Resource, error) {
	var rs []Resource
	if err := a.get(ctx, accessToken, "/oauth/token/accessible-resources", &rs); err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if r.ID == "" {
			continue
		}
		r.Name = CleanText(r.Name, 100)
		r.URL = CleanText(r.URL, 200)
		out = append(out, r)
	}
	return out, nil
}

// Me returns the user behind the access token.
func (a *API) Me(ctx context.Context, accessToken string) (*Me, error) {
	var m Me
	if err := a.get(ctx, accessToken, "/me", &m); err != nil {
		return nil, err
	}
	m.Name, m.Email = CleanText(m.Name, 200), CleanText(m.Email, 200)
	return &m, nil
}

// Myself returns the Jira user behind the access token on site cloudID.
func (a *API) Myself(ctx context.Context, accessToken, cloudID string) (*Myself, error) {
	var m Myself
	if err := a.get(ctx, accessToken, "/ex/jira/"+url.PathEscape(cloudID)+"/rest/api/3/myself", &m); err != nil {
		return nil, err
	}
	m.DisplayName, m.EmailAddress = CleanText(m.DisplayName, 200), CleanText(m.EmailAddress, 200)
	return &m, nil
}

func (a *API) get(ctx context.Context, accessToken, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.BaseURL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return &APIError{Method: http.MethodGet, Path: path, Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the response: %w", path, err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("GET %s: response larger than %d bytes", path, maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: the response is not the JSON expected", path)
	}
	return nil
}

// stripURL removes the request URL from a transport error: it is long and
// adds nothing to a message that already names the path.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
