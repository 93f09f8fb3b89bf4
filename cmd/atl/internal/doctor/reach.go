package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// reach asks server for its root page, as any client would, and returns
// the time its Date header says.
func reach(ctx context.Context, hc *http.Client, server string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server, nil)
	if err != nil {
		return time.Time{}, err
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		return time.Time{}, describeNetError(err)
	}
	resp.Body.Close()
	date, _ := http.ParseTime(resp.Header.Get("Date"))
	return date, nil
}

// reachError is a server out of reach, and the step that failed.
type reachError struct {
	Step string // "DNS", "TLS", or "" (connecting, or the request)
	Err  error
}

func (e *reachError) Error() string {
	if e.Step == "" {
		return e.Err.Error()
	}
	return e.Step + ": " + e.Err.Error()
}

func (e *reachError) Unwrap() error { return e.Err }

// describeNetError says which step of reaching a server failed.
func describeNetError(err error) error {
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	var ue *url.Error
	switch {
	case errors.As(err, &dns):
		return &reachError{Step: "DNS", Err: fmt.Errorf("cannot resolve %s", dns.Name)}
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &certInvalid), errors.As(err, &tlsRecord):
		return &reachError{Step: "TLS", Err: errors.Unwrap(err)}
	case errors.As(err, &ue) && ue.Timeout():
		return &reachError{Err: errors.New("no answer within 10s")}
	case errors.As(err, &ue):
		return &reachError{Err: ue.Err}
	}
	return &reachError{Err: err}
}

// reachFix says what to do about a server out of reach, by the step
// that failed.
func reachFix(err error) string {
	var re *reachError
	errors.As(err, &re)
	switch {
	case re != nil && re.Step == "DNS":
		return "check the network and DNS; behind a proxy, set HTTPS_PROXY (and NO_PROXY)"
	case re != nil && re.Step == "TLS":
		return "a proxy or firewall may intercept TLS: add its CA to the system's trust store, or check the server URL"
	}
	return "check the network, and HTTPS_PROXY/NO_PROXY if you use a proxy"
}
