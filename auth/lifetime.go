package auth

import (
	"time"

	"github.com/atl-cli/atl/store"
)

// Atlassian's limits on a person's login: its refresh tokens are refused
// 365 days after the consent that made the grant, and once one went
// unused (no refresh) for 90 days. A service account's has neither.
const (
	consentLife = 365 * 24 * time.Hour
	unusedLife  = 90 * 24 * time.Hour
)

// The causes LoginRequiredError.Ended names.
const (
	endedConsent = "consent"
	endedUnused  = "unused"
	endedRevoked = "revoked"
)

// consentedAt is when the person consented to the login m describes: as
// recorded, else (metadata from before it was) the time of the login,
// which is when atl's consent page was answered (every atl login asks
// for consent); zero for a service account, or when neither is known.
func consentedAt(m *store.Metadata) time.Time {
	switch {
	case m.Kind == store.KindServiceAccount:
		return time.Time{}
	case !m.ConsentedAt.IsZero():
		return m.ConsentedAt
	}
	return m.LoginAt
}

// loginEnds is when Atlassian will end the login m describes, unless it
// is refreshed before: 365 days after its consent, or 90 days after its
// refresh token was last issued if sooner. Zero when that is not known
// (metadata from before it was recorded, until the next refresh), and
// for a service account.
func loginEnds(m *store.Metadata) time.Time {
	consented := consentedAt(m)
	if consented.IsZero() || m.RefreshIssuedAt.IsZero() {
		return time.Time{}
	}
	end := consented.Add(consentLife)
	if unused := m.RefreshIssuedAt.Add(unusedLife); unused.Before(end) {
		end = unused
	}
	return end.UTC()
}

// endedBy says which limit probably ended the login m describes, whose
// refresh Atlassian refused at: endedConsent, endedUnused, endedRevoked
// when neither had passed, or "" when the times are not known.
func endedBy(m *store.Metadata, at time.Time) string {
	consented := consentedAt(m)
	switch {
	case !consented.IsZero() && !at.Before(consented.Add(consentLife)):
		return endedConsent
	case m.RefreshIssuedAt.IsZero() || consented.IsZero():
		return ""
	case !at.Before(m.RefreshIssuedAt.Add(unusedLife)):
		return endedUnused
	}
	return endedRevoked
}
