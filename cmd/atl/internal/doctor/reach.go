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
		return fmt.Errorf("DNS: cannot resolve %s", dns.Name)
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &certInvalid), errors.As(err, &tlsRecord):
		return fmt.Errorf("TLS: %v", errors.Unwrap(err))
	case errors.As(err, &ue) && ue.Timeout():
		return errors.New("no answer within 10s")
	case errors.As(err, &ue):
		return ue.Err
	}
	return err
}

func reachFix(err error) string {
	msg := err.Error()
	switch {
	case len(msg) > 4 && msg[:4] == "DNS:":
		return "check the network and DNS; behind a proxy, set HTTPS_PROXY (and NO_PROXY)"
	case len(msg) > 4 && msg[:4] == "TLS:":
		return "a proxy or firewall may intercept TLS: add its CA to the system's trust store, or check the server URL"
	}
	return "check the network, and HTTPS_PROXY/NO_PROXY if you use a proxy"
}
