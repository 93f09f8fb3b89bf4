package auth

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/atl-cli/atl/internal/loopback"
)

// callbackResult is what the one accepted callback carries.
type callbackResult struct {
	code string
	err  error
}

// callbackHandler answers the browser's redirect. It accepts exactly one
// request with the right state; everything else gets an error page and
// leaves the login waiting, so a stray or forged request cannot end it.
type callbackHandler struct {
	cb    *loopback.Callback
	state string
	// start, if set, is the one-time address the browser is sent to.
	start *startLink

	mu      sync.Mutex
	used    bool
	results chan<- callbackResult // buffered, capacity 1
	outcome <-chan error          // the exchange's result, for the page
	// pageDone is closed once the accepted callback's page is on the wire
	// (or its request ended without one).
	pageDone chan<- struct{}
}

func (h *callbackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.hostAllowed(r.Host) {
		writePage(w, http.StatusMisdirectedRequest, pageError, "This request was not addressed to atl's sign-in listener.")
		return
	}
	if h.start != nil && r.URL.Path == h.start.path {
		h.start.serve(w, r)
		return
	}
	if r.URL.Path != h.cb.Path {
		writePage(w, http.StatusNotFound, pageError, "Not found.")
		return
	}
	if refused(w, r) {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writePage(w, http.StatusBadRequest, pageError, "The sign-in response is malformed.")
		return
	}
	for _, vs := range q {
		if len(vs) > 1 {
			writePage(w, http.StatusBadRequest, pageError, "The sign-in response repeats a parameter.")
			return
		}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(h.state)) != 1 {
		writePage(w, http.StatusBadRequest, pageError, "This sign-in response does not belong to the login atl is waiting for (state mismatch). Start again from the terminal.")
		return
	}
	code, errCode := q.Get("code"), q.Get("error")
	if code == "" && errCode == "" {
		writePage(w, http.StatusBadRequest, pageError, "The sign-in response has no authorization code.")
		return
	}

	h.mu.Lock()
	if h.used {
		h.mu.Unlock()
		writePage(w, http.StatusBadRequest, pageError, "This sign-in was already completed.")
		return
	}
	h.used = true
	h.mu.Unlock()
	defer close(h.pageDone)

	if errCode != "" {
		err := consentError(errCode, q.Get("error_description"))
		h.results <- callbackResult{err: err}
		writePage(w, http.StatusOK, pageError, "Sign-in was not completed: "+err.Error()+". You can close this tab.")
		return
	}
	h.results <- callbackResult{code: code}
	select {
	case err := <-h.outcome:
		if err != nil {
			writePage(w, http.StatusOK, pageError, "Sign-in failed. The terminal says why. You can close this tab.")
			return
		}
		writePage(w, http.StatusOK, pageSuccess, "You are signed in to atl. You can close this tab and return to the terminal.")
	case <-r.Context().Done():
	}
}

func (h *callbackHandler) hostAllowed(host string) bool {
	for _, h := range h.cb.Hosts {
		if host == h {
			return true
		}
	}
	return false
}

// pasteRefused says why a pasted address cannot complete the login; the
// login keeps waiting for the right one.
func pasteRefused(reason string) error {
	return errors.New("that address cannot complete this sign-in: " + reason)
}

// acceptPaste completes the login with the address the browser was sent
// to, pasted by the person (the whole address, or its query): it must
// carry this login's state and a code (or an error), once.
func (h *callbackHandler) acceptPaste(raw string) error {
	raw = strings.TrimSpace(raw)
	query := raw
	if u, err := url.Parse(raw); err == nil && (u.Scheme != "" || strings.HasPrefix(raw, "/")) {
		query = u.RawQuery
	}
	q, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil || len(q) == 0 {
		return pasteRefused("it is not the address your browser was sent to")
	}
	for _, vs := range q {
		if len(vs) > 1 {
			return pasteRefused("it repeats a parameter")
		}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(h.state)) != 1 {
		return pasteRefused("it belongs to another sign-in (its state does not match this one's)")
	}
	code, errCode := q.Get("code"), q.Get("error")
	if code == "" && errCode == "" {
		return pasteRefused("it holds no authorization code")
	}
	h.mu.Lock()
	if h.used {
		h.mu.Unlock()
		return pasteRefused("this sign-in is already being completed")
	}
	h.used = true
	h.mu.Unlock()
	defer close(h.pageDone) // no page will be written
	if errCode != "" {
		err := consentError(errCode, q.Get("error_description"))
		h.results <- callbackResult{err: err}
		return nil
	}
	h.results <- callbackResult{code: code}
	return nil
}

// refused answers a request that is not a browser's navigation (another
// method, or a prefetch, which must not spend a one-time address) and
// reports whether it did.
func refused(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case r.Method != http.MethodGet:
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, pageError, "Method not allowed.")
	case isPrefetch(r):
		writePage(w, http.StatusServiceUnavailable, pageError, "Prefetch is not served.")
	default:
		return false
	}
	return true
}

// isPrefetch reports a speculative request a browser makes on its own;
// answering it must not spend the one callback.
func isPrefetch(r *http.Request) bool {
	for _, h := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		if v := r.Header.Get(h); v != "" {
			return true
		}
	}
	return false
}

// consentError is the error the consent page sent in place of a code.
func consentError(code, description string) error {
	if code == "access_denied" {
		return ErrAccessDenied
	}
	return &TokenError{Consent: true, Code: oauthText(code, 64), Reason: oauthText(description, 500)}
}
