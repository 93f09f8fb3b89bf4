package httpdebug

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestTraceRedactsSecretsAndKeepsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=COOKIE-SECRET")
		w.Header().Set("X-Plain", "visible")
		_, _ = io.WriteString(w, `{"access_token":"AT-SECRET","nested":{"Refresh_Token":"RT-SECRET","list":[{"id_token":"ID-SECRET"}]},"acce\u017fs_token":"FOLD-SECRET","scope":"read:me"}`)
	}))
	defer srv.Close()
	var trace bytes.Buffer
	c := &http.Client{Transport: &Transport{Out: &trace}}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"FORM-RT"}, "client_secret": {"FORM-CS"}, "client_id": {"cid"}}
	req, _ := http.NewRequest("POST", srv.URL+"/oauth/token?code=QUERY-CODE&x=1", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer HEADER-SECRET")
	req.Header.Set("Cookie", "a=REQ-COOKIE; b=REQ-COOKIE2")
	req.Header.Set("Proxy-Authorization", "PROXYSECRET")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "AT-SECRET") {
		t.Fatalf("the caller lost the body: %q", body)
	}
	got := trace.String()
	for _, secret := range []string{"AT-SECRET", "RT-SECRET", "ID-SECRET", "FORM-RT", "FORM-CS", "QUERY-CODE", "HEADER-SECRET", "REQ-COOKIE", "COOKIE-SECRET", "PROXYSECRET", "FOLD-SECRET"} {
		if strings.Contains(got, secret) {
			t.Errorf("trace shows %s:\n%s", secret, got)
		}
	}
	for _, want := range []string{
		"> POST " + srv.URL + "/oauth/token?code=%5BREDACTED%5D&x=1\n",
		"> Authorization: Bearer [REDACTED]\n",
		"> Cookie: a=[REDACTED]; b=[REDACTED]\n",
		"> Proxy-Authorization: [REDACTED]\n",
		"< Set-Cookie: session=[REDACTED]\n",
		"> client_id=cid&client_secret=%5BREDACTED%5D&grant_type=refresh_token&refresh_token=%5BREDACTED%5D\n",
		"< 200 OK (",
		"< X-Plain: visible\n",
		`< {"access_token":"[REDACTED]","acceſs_token":"[REDACTED]","nested":{"Refresh_Token":"[REDACTED]","list":[{"id_token":"[REDACTED]"}]},"scope":"read:me"}` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}

func TestTraceSummarisesOtherBodiesAndCleansServerText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("X-Evil", "a\u202eb")
		w.WriteHeader(502)
		_, _ = io.WriteString(w, "<html>\x1b[2J secret page</html>")
	}))
	defer srv.Close()
	var trace bytes.Buffer
	resp, err := (&http.Client{Transport: &Transport{Out: &trace}}).Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := trace.String()
	if !strings.Contains(got, "< [29 bytes of text/html not shown]\n") {
		t.Errorf("body not summarised:\n%q", got)
	}
	if strings.Contains(got, "secret page") || strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("server text reached the trace raw:\n%q", got)
	}
	if !strings.Contains(got, "< X-Evil: ab\n") || !strings.Contains(got, "< 502 Bad Gateway (") {
		t.Errorf("trace:\n%q", got)
	}
}

func TestTraceOfAFailedRequest(t *testing.T) {
	var trace bytes.Buffer
	boom := errors.New("dial tcp: connection refused\nsecond line")
	tr := &Transport{Out: &trace, Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, &url.Error{Op: "Get", URL: "http://u:pw@x/", Err: boom}
	})}
	req, _ := http.NewRequest("GET", "http://user:PASSWORD@example.test/p?token=T", nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	got := trace.String()
	if strings.Contains(got, "PASSWORD") || strings.Contains(got, "pw@") || strings.Contains(got, "token=T") {
		t.Errorf("trace shows credentials:\n%s", got)
	}
	if !strings.Contains(got, "> GET http://example.test/p?token=%5BREDACTED%5D\n") ||
		!strings.Contains(got, ": dial tcp: connection refused second line\n") {
		t.Errorf("trace:\n%s", got)
	}
}

func TestTraceUsesTheDefaultTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var trace bytes.Buffer
	resp, err := (&Transport{Out: &trace}).RoundTrip(httptest.NewRequest("GET", srv.URL, nil).WithContext(t.Context()))
	if err == nil {
		resp.Body.Close()
	}
	// httptest.NewRequest makes a server-side request, which a client
	// transport refuses; a client request works.
	req, _ := http.NewRequest("GET", srv.URL, nil)
	resp, err = (&Transport{Out: &trace}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(trace.String(), "< 200 OK") {
		t.Fatalf("trace:\n%s", trace.String())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestURLValuedHeadersAreRedactedAsRequestURLsAre(t *testing.T) {
	for _, tc := range []struct{ header, value, want string }{
		{"Location", "https://api.media.atlassian.com/file/f1/binary?client=c1&token=JWT-SECRET", "https://api.media.atlassian.com/file/f1/binary?client=c1&token=%5BREDACTED%5D"},
		{"Location", "/file/f1/binary?TOKEN=JWT-SECRET&x=1", "/file/f1/binary?TOKEN=%5BREDACTED%5D&x=1"},
		{"Location", "https://user:PW-SECRET@example.test/?code=CODE-SECRET&state=s", "https://example.test/?code=%5BREDACTED%5D&state=s"},
		{"Location", "https://example.test/plain", "https://example.test/plain"},
		{"Location", "http://[bad host/?token=JWT-SECRET", Redacted},
		{"Content-Location", "/rest/api/3/attachment/content/1?access_token=AT-SECRET", "/rest/api/3/attachment/content/1?access_token=%5BREDACTED%5D"},
		{"Refresh", "0; url=https://example.test/a?token=JWT-SECRET", "0; url=https://example.test/a?token=%5BREDACTED%5D"},
		{"Refresh", "5;URL='/a?token=JWT-SECRET'", "5;URL='/a?token=%5BREDACTED%5D'"},
		{"Refresh", `1, url = "/a?token=JWT-SECRET" trailing`, `1, url = "/a?token=%5BREDACTED%5D"`},
		{"Refresh", `1;url="/a?token=JWT-SECRET`, `1;url="/a?token=%5BREDACTED%5D`},
		{"Refresh", "0 /a?token=JWT-SECRET", "0 /a?token=%5BREDACTED%5D"},
		{"Refresh", "5", "5"},
		{"Refresh", "0; https://example.test/a?token=JWT-SECRET", "0; https://example.test/a?token=%5BREDACTED%5D"},
		{"Link", `<https://example.test/p?token=JWT-SECRET&page=2>; rel="next", </p?page=1>; rel="first"`, `<https://example.test/p?page=2&token=%5BREDACTED%5D>; rel="next", </p?page=1>; rel="first"`},
		{"Referer", "https://example.test/start?code=CODE-SECRET", "https://example.test/start?code=%5BREDACTED%5D"},
	} {
		if got := headerValue(tc.header, tc.value); got != tc.want {
			t.Errorf("%s: %s\n got %s\nwant %s", tc.header, tc.value, got, tc.want)
		}
	}
}

func TestTraceOfARedirectHidesItsToken(t *testing.T) {
	// Jira's attachment download redirects to the media API with a
	// token in the query; the client follows it.
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/attachment" {
			http.Redirect(w, r, srv.URL+"/binary?client=c&token=MEDIA-SECRET", http.StatusSeeOther)
			return
		}
		w.Header().Set("Content-Location", "/binary?token="+r.URL.Query().Get("token"))
		w.Header().Set("Link", "</binary?token=LINK-SECRET>; rel=\"self\"")
	}))
	defer srv.Close()
	var trace bytes.Buffer
	resp, err := (&http.Client{Transport: &Transport{Out: &trace}}).Get(srv.URL + "/attachment?token=FIRST-SECRET")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := trace.String()
	for _, secret := range []string{"MEDIA-SECRET", "FIRST-SECRET", "LINK-SECRET"} {
		if strings.Contains(got, secret) {
			t.Errorf("trace shows %s:\n%s", secret, got)
		}
	}
	for _, want := range []string{
		"< Location: " + srv.URL + "/binary?client=c&token=%5BREDACTED%5D\n",
		"> Referer: " + srv.URL + "/attachment?token=%5BREDACTED%5D\n",
		"< Content-Location: /binary?token=%5BREDACTED%5D\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, got)
		}
	}
}
