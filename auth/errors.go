package auth

import (
	"errors"
	"fmt"
	"time"
)

// LoginRequiredError reports that there is no usable stored login: none was
// made, it was removed, its data is unreadable, or Atlassian rejected the
// grant. Only a new login repairs it.
type LoginRequiredError struct {
	Profile string // the profile whose login is missing
	Reason  string // what is wrong, e.g. "not logged in"
	Err     error
}

func (e *LoginRequiredError) Error() string {
	if e.Profile == "" || e.Profile == DefaultProfile {
		return e.Reason
	}
	return fmt.Sprintf("%s (profile %q)", e.Reason, e.Profile)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// ConfigError reports a setting that is missing or malformed, or that
// contradicts the stored login: a mistake in how atl is set up rather than
// a failure.
type ConfigError struct {
	Setting string // the setting at fault: "client id", "callback URL", "auth URL", "API URL" or "profile"
	Env     string // the environment variable that sets it, if any
	Value   string // the value at fault; "" when the setting is missing
	// Stored is the stored login's value when Value contradicts it: a
	// grant is only ever used with the client and server that issued it.
	Stored string
	Err    error // what is wrong with Value, if it is malformed
}

func (e *ConfigError) Error() string {
	switch {
	case e.Stored != "":
		return fmt.Sprintf("%s is %s, but this login was made with %s %s", e.Env, e.Value, e.Setting, e.Stored)
	case e.Err != nil:
		return e.Err.Error()
	default:
		return "no " + e.Setting + " is set"
	}
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ErrAccessDenied reports that the user declined the consent screen.
var ErrAccessDenied = errors.New("you declined access on the consent screen")

// AuthorizeError is an error the authorization server sent to the callback
// instead of a code (other than access_denied).
type AuthorizeError struct {
	Code        string
	Description string
}

func (e *AuthorizeError) Error() string {
	msg := "authorization failed: " + e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// SignInTimeoutError reports that no sign-in reached the callback within
// LoginOptions.Timeout.
type SignInTimeoutError struct {
	Wait time.Duration
}

func (e *SignInTimeoutError) Error() string { return fmt.Sprintf("no sign-in within %s", e.Wait) }

// ErrNoSite reports a grant that reaches no Atlassian site.
var ErrNoSite = errors.New("this login reaches no site")

// APIError is a non-2xx answer from the Atlassian API.
type APIError struct {
	Method string
	Path   string
	Status int
}

func (e *APIError) Error() string {
	hint := ""
	switch e.Status {
	case 401:
		hint = ": the access token was not accepted"
	case 403:
		hint = ": the grant lacks a scope this call needs"
	case 404:
		hint = ": not found, or not visible to this app"
	case 429:
		hint = ": rate limited"
	}
	return fmt.Sprintf("%s %s: HTTP %d%s", e.Method, e.Path, e.Status, hint)
}
