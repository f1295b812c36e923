package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// OAuthError is a token-endpoint failure in Coze's shape
// {"error","error_code","error_message"} or, from device polling,
// {"error","error_description"}.
type OAuthError struct {
	StatusCode int
	Code       string // error_code, else error
	Message    string // error_message, else error_description
	LogID      string
	// RetryAfter is the answer's Retry-After, 0 when it had none.
	RetryAfter time.Duration
	// RedirectURI is the redirect URI sent with a code exchange, for the hint.
	RedirectURI string
}

// Error says what Coze answered, with its text made safe for a terminal.
func (e *OAuthError) Error() string {
	msg := fmt.Sprintf("coze answered HTTP %d", e.StatusCode)
	if e.Code != "" {
		msg += ": " + coze.Sanitize(e.Code)
	}
	if e.Message != "" {
		msg += ": " + coze.Sanitize(e.Message)
	}
	if e.LogID != "" {
		msg += " (log id " + coze.Sanitize(e.LogID) + ")"
	}
	if h := oauthHint(e.Code, e.Message, e.RedirectURI); h != "" {
		msg += "; " + h
	}
	return msg
}

// LoginRequiredError means no usable token is stored, or Coze refused the
// refresh token: the only way on is `cozeauth login`.
type LoginRequiredError struct {
	Profile string
	Reason  string
	Err     error
}

func (e *LoginRequiredError) Error() string {
	msg := fmt.Sprintf("login required for profile %q", e.Profile)
	if e.Reason != "" {
		msg += ": " + coze.Sanitize(e.Reason)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; run `" + loginCommand(e.Profile) + "`"
}

// loginCommand is the login to suggest for profile.
func loginCommand(profile string) string { return "cozeauth login" + profileFlag(profile) }

// profileFlag is what a suggested command needs to reach profile: nothing
// for the default one. A name read from the store may hold anything: it is
// sanitized.
func profileFlag(profile string) string {
	if profile == "" || profile == "default" {
		return ""
	}
	return " --profile " + coze.Sanitize(profile)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// IsLoginRequired reports whether err means the user must log in again.
func IsLoginRequired(err error) bool {
	var lr *LoginRequiredError
	return errors.As(err, &lr)
}
