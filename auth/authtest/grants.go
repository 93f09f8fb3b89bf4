package authtest

// What the server issues: grants (one per consent or client-credentials
// request), the access and refresh tokens they carry, and the codes and
// pending sign-ins of the authorization code flow.

import (
	"crypto/rand"
	"time"
)

type grant struct {
	clientID string
	scopes   []string
	revoked  bool
	created  time.Time // the consent that made it
	service  bool      // a client-credentials grant: it acts as Options.ServiceAccount
}

type accessToken struct {
	g       *grant
	expiry  time.Time
	expired bool
}

type refreshToken struct {
	g      *grant
	issued time.Time
	used   bool
	usedAt time.Time
}

type pendingAuth struct {
	clientID, redirectURI, state, challenge string
	scopes                                  []string
	expiry                                  time.Time
}

type authCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	expiry                           time.Time
	used                             bool
}

// randomToken returns n random characters of the base64url alphabet.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails
	for i := range b {
		b[i] = tokenAlphabet[b[i]&63]
	}
	return string(b)
}
