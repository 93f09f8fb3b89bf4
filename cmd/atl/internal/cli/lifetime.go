package cli

import (
	"fmt"
	"time"

	"github.com/atl-cli/atl/auth"
)

// consentLife is how long after its consent Atlassian ends a login.
const consentLife = 365 * 24 * time.Hour

// LoginEnd says when the login info describes will end, for a person,
// times in the zone local gives: a service account's never does, and
// one stored before atl recorded it has an end not known yet.
func LoginEnd(info *auth.Info, local func(time.Time) time.Time) string {
	at := func(t time.Time) string { return local(t).Format(time.RFC3339) }
	switch {
	case info.ServiceAccount:
		return "a service account's (OAuth 2.0 client credentials): no refresh token, no end"
	case info.LoginExpiresAt.IsZero() && info.ConsentedAt.IsZero():
		return "its end is not known (stored before atl recorded it; known from its next refresh)"
	case info.LoginExpiresAt.IsZero():
		return fmt.Sprintf("consented %s; its end is known from its next refresh", at(info.ConsentedAt))
	case !info.LoginExpiresAt.Before(info.ConsentedAt.Add(consentLife)):
		return fmt.Sprintf("ends %s, 365 days after its consent", at(info.LoginExpiresAt))
	}
	return fmt.Sprintf("ends %s unless used before (90 days unused; at the latest %s, 365 days after its consent)", at(info.LoginExpiresAt), at(info.ConsentedAt.Add(consentLife)))
}

// EndsWithin reports whether the login info describes ends within d of
// now, as far as is known.
func EndsWithin(info *auth.Info, now time.Time, d time.Duration) bool {
	return !info.ServiceAccount && !info.LoginExpiresAt.IsZero() && info.LoginExpiresAt.Sub(now) < d
}

// EndingSoon says, for a warning, when a login that ends soon ends.
func EndingSoon(info *auth.Info, now time.Time, local func(time.Time) time.Time) string {
	left := info.LoginExpiresAt.Sub(now)
	in := "in less than a day"
	switch days := int(left / (24 * time.Hour)); {
	case left <= 0:
		in = "now"
	case days == 1:
		in = "in 1 day"
	case days > 1:
		in = fmt.Sprintf("in %d days", days)
	}
	why := "after 90 days unused"
	if !info.LoginExpiresAt.Before(info.ConsentedAt.Add(consentLife)) {
		why = "365 days after its consent"
	}
	return fmt.Sprintf("this login ends %s (%s, %s)", in, local(info.LoginExpiresAt).Format(time.RFC3339), why)
}
