package auth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atl-cli/atl/auth"
	"github.com/atl-cli/atl/auth/authtest"
	"github.com/atl-cli/atl/store"
)

// apiRecorder is an API server that records what it is sent and answers
// each request with the next queued status (200 when none is queued).
type apiRecorder struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	seen     []seenRequest
}

type seenRequest struct {
	method, path, auth, body string
}

func newAPIRecorder(t *testing.T, statuses ...int) *apiRecorder {
	a := &apiRecorder{statuses: statuses}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.seen = append(a.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(b)})
		status := http.StatusOK
		if len(a.statuses) > 0 {
			status, a.statuses = a.statuses[0], a.statuses[1:]
		}
		a.mu.Unlock()
		if status/100 == 3 {
			w.Header().Set("Location", r.URL.Query().Get("to"))
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *apiRecorder) requests() []seenRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]seenRequest(nil), a.seen...)
}

func TestClientSendsTheTokenToTheAPI(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	s := f.session()
	site, err := s.Site()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client(context.Background()).Get(f.srv.URL() + "/ex/jira/" + site.ID + "/rest/api/3/myself")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), authtest.DefaultAccountID) {
		t.Fatalf("myself: %d %s", resp.StatusCode, body)
	}
	if n := f.srv.Count("token"); n != 0 {
		t.Fatalf("token requests = %d, want 0", n)
	}
}

func TestClientRefreshesOnceAfterA401AndRetries(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.srv.ExpireAccessTokens() // the API refuses the stored, unexpired token
	s := f.session()
	resp, err := s.Client(context.Background()).Get(f.srv.URL() + "/ex/jira/" + authtest.DefaultSiteID + "/rest/api/3/myself")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d after the retry", resp.StatusCode)
	}
	if f.srv.Count("token:refresh_token") != 1 || f.srv.Count("myself") != 2 {
		t.Fatalf("refreshes %d, myself calls %d; want 1 and 2", f.srv.Count("token:refresh_token"), f.srv.Count("myself"))
	}
	// Another process whose token was refused too finds the new one
	// stored: no second refresh.
	f2 := f.session()
	resp, err = f2.Client(context.Background()).Get(f.srv.URL() + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.srv.Count("token:refresh_token") != 1 {
		t.Fatalf("refreshes = %d, want 1", f.srv.Count("token:refresh_token"))
	}
}

func TestClientRetriesWithTheSameBody(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := newAPIRecorder(t, 401, 200)
	f.setenv("ATL_API_URL", api.URL)
	stored := f.grant().AccessToken
	resp, err := f.session().Client(context.Background()).Post(api.URL+"/ex/jira/x/rest/api/3/issue", "application/json", bytes.NewReader([]byte(`{"fields":{}}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seen := api.requests()
	if resp.StatusCode != 200 || len(seen) != 2 {
		t.Fatalf("status %d after %d requests", resp.StatusCode, len(seen))
	}
	if seen[0].auth != "Bearer "+stored || seen[1].auth != "Bearer "+f.grant().AccessToken || seen[1].auth == seen[0].auth {
		t.Fatalf("Authorization: %q then %q", seen[0].auth, seen[1].auth)
	}
	if seen[0].body != `{"fields":{}}` || seen[1].body != seen[0].body || seen[1].method != "POST" {
		t.Fatalf("bodies %q then %q", seen[0].body, seen[1].body)
	}
}

func TestClientDoesNotRetryABodyItCannotReplay(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := newAPIRecorder(t, 401, 200)
	f.setenv("ATL_API_URL", api.URL)
	// An io.Reader that is not a bytes/strings reader: no GetBody.
	resp, err := f.session().Client(context.Background()).Post(api.URL+"/upload", "text/plain", io.MultiReader(strings.NewReader("once")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(api.requests()) != 1 || f.srv.Count("token") != 0 {
		t.Fatalf("status %d, %d requests, %d token requests; want the 401 as it is", resp.StatusCode, len(api.requests()), f.srv.Count("token"))
	}
}

func TestClientRetriesOnlyOnce(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := newAPIRecorder(t, 401, 401, 200)
	f.setenv("ATL_API_URL", api.URL)
	resp, err := f.session().Client(context.Background()).Get(api.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || len(api.requests()) != 2 || f.srv.Count("token:refresh_token") != 1 {
		t.Fatalf("status %d after %d requests and %d refreshes; want 401, 2, 1", resp.StatusCode, len(api.requests()), f.srv.Count("token:refresh_token"))
	}
}

func TestClientSendsTheTokenNowhereElse(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := newAPIRecorder(t)
	other := newAPIRecorder(t)
	f.setenv("ATL_API_URL", api.URL+"/base")
	hc := f.session().Client(context.Background())
	plainHost := strings.Replace(api.URL, "127.0.0.1", "localhost", 1)
	for _, target := range []string{
		other.URL + "/ex/jira/x",   // another server
		plainHost + "/base/x",      // the same server under another name
		api.URL + "/elsewhere",     // outside the API's base path
		api.URL + "/basement",      // a path that only starts like it
		api.URL + "/base/../other", // cleaned by the server, not by atl
	} {
		resp, err := hc.Get(target)
		if err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		resp.Body.Close()
	}
	for _, r := range append(api.requests(), other.requests()...) {
		if r.auth != "" && r.path != "/base/../other" {
			t.Errorf("%s got Authorization %q", r.path, r.auth)
		}
	}
	if resp, err := hc.Get(api.URL + "/base/x"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if seen := api.requests(); seen[len(seen)-1].auth == "" {
		t.Fatal("the API itself got no token")
	}
}

func TestClientDoesNotFollowRedirectsWithTheToken(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	other := newAPIRecorder(t)
	api := newAPIRecorder(t, http.StatusTemporaryRedirect)
	f.setenv("ATL_API_URL", api.URL)
	resp, err := f.session().Client(context.Background()).Get(api.URL + "/x?to=" + other.URL + "/landing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	seen := other.requests()
	if len(seen) != 1 || seen[0].auth != "" {
		t.Fatalf("the redirect target saw %+v", seen)
	}
}

func TestClientMapsAtlassiansAPIHostOntoTheLoginsAPI(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	resp, err := f.session().Client(context.Background()).Get(auth.DefaultAPIURL + "/ex/jira/" + authtest.DefaultSiteID + "/rest/api/3/myself")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || f.srv.Count("myself") != 1 {
		t.Fatalf("status %d, myself calls %d", resp.StatusCode, f.srv.Count("myself"))
	}
}

func TestClientReportsAMissingLogin(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	f.removeMetadata()
	_, err := f.session().Client(context.Background()).Get(f.srv.URL() + "/me")
	var lr *auth.LoginRequiredError
	if !errors.As(err, &lr) {
		t.Fatalf("err = %v, want LoginRequiredError", err)
	}
}

func TestWhoAmI(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	u, err := f.session().WhoAmI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := auth.User{AccountID: authtest.DefaultAccountID, Name: authtest.DefaultUserName, Email: authtest.DefaultUserEmail}
	if *u != want {
		t.Fatalf("WhoAmI = %+v, want %+v", *u, want)
	}
	if f.srv.Count("myself") != 1 || f.srv.Count("me") != 0 {
		t.Fatalf("myself %d, me %d: /me needs read:me", f.srv.Count("myself"), f.srv.Count("me"))
	}
}

func TestInfoAndSite(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	before, _ := f.keys.Calls()
	s := f.session()
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Profile != "default" || info.ClientID != "client-1" || info.AuthURL != f.srv.URL() || info.APIURL != f.srv.URL() ||
		info.Site.ID != authtest.DefaultSiteID || info.User.AccountID != authtest.DefaultAccountID ||
		info.Storage != f.login().Location(store.StorageKeychain).String() || !info.Expiry.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("Info = %+v", info)
	}
	site, err := s.Site()
	if err != nil || site.ID != authtest.DefaultSiteID || site.URL != authtest.DefaultSiteURL || site.Name != authtest.DefaultSiteName {
		t.Fatalf("Site = %+v, %v", site, err)
	}
	if gets, _ := f.keys.Calls(); gets != before {
		t.Fatalf("Info and Site read the keychain (%d reads)", gets-before)
	}
	f.setenv("ATL_API_URL", "https://api.example.test/")
	if info, _ := f.session().Info(context.Background()); info.APIURL != "https://api.example.test" {
		t.Fatalf("APIURL = %q, want ATL_API_URL's", info.APIURL)
	}
}

func TestClientFollowsAtMostTenRedirects(t *testing.T) {
	f := newFixture(t, authtest.Options{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		if n == 0 {
			_, _ = io.WriteString(w, "landed")
			return
		}
		http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), http.StatusFound)
	}))
	defer api.Close()
	f.setenv("ATL_API_URL", api.URL)
	hc := f.session().Client(context.Background())
	resp, err := hc.Get(api.URL + "/r/9")
	if err != nil {
		t.Fatalf("9 redirects: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "landed" {
		t.Fatalf("9 redirects: %q", b)
	}
	if _, err := hc.Get(api.URL + "/r/10"); err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("10 redirects: %v", err)
	}
}
