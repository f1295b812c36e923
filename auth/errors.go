package auth

import (
	"errors"
	"fmt"
	"time"
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
		msg += ": " + Sanitize(e.Code)
	}
	if e.Message != "" {
		msg += ": " + Sanitize(e.Message)
	}
	if e.LogID != "" {
		msg += " (log id " + Sanitize(e.LogID) + ")"
	}
	if h := oauthHint(e.Code, e.Message, e.RedirectURI); h != "" {
		msg += "; " + h
	}
	return msg
}

// APIError is an open API failure: {"code":<int>,"msg":…} with a non-zero
// code, or a non-2xx status.
type APIError struct {
	StatusCode int
	Code       int
	Msg        string
	LogID      string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("coze API answered HTTP %d", e.StatusCode)
	if e.Code != 0 {
		msg += fmt.Sprintf(", code %d", e.Code)
	}
	if e.Msg != "" {
		msg += ": " + Sanitize(e.Msg)
	}
	if e.LogID != "" {
		msg += " (log id " + Sanitize(e.LogID) + ")"
	}
	if h := e.Hint(); h != "" {
		msg += "; " + h
	}
	return msg
}

// Hint says what to do about the codes users meet most.
func (e *APIError) Hint() string {
	switch e.Code {
	case 4100, 4101, 700012006:
		return "the token was refused: check that it was issued by the same region (use --region cn for coze.cn, com for coze.com) and that the app has the permission"
	case 4013:
		return "rate limited: wait a little and try again"
	}
	return ""
}

// TokenInvalid reports whether Coze's code says the access token itself is
// no good (4100, 700012006), rather than, say, lacking a permission or
// belonging to the other region.
func (e *APIError) TokenInvalid() bool { return e.Code == 4100 || e.Code == 700012006 }

// FreshFor is how recently a token must have been minted or refreshed for
// a refusal not to be blamed on it: a new token refused is refused for
// another reason (the region, the path, a permission), which a refresh
// cannot fix.
const FreshFor = time.Minute

// RefreshMayFix reports whether renewing the access token could change
// Coze's refusal e of a token minted or refreshed at issuedAt (zero when
// unknown): only a 401 whose code says the token is invalid, for a token
// older than [FreshFor] — it was revoked, or rotated by another machine.
func (e *APIError) RefreshMayFix(issuedAt, now time.Time) bool {
	return e.StatusCode == 401 && e.TokenInvalid() && (issuedAt.IsZero() || now.Sub(issuedAt) >= FreshFor)
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
		msg += ": " + Sanitize(e.Reason)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg + "; run `" + loginCommand(e.Profile) + "`"
}

// loginCommand is the login to suggest for profile.
func loginCommand(profile string) string {
	if profile != "" && profile != "default" {
		return "cozeauth login --profile " + Sanitize(profile) // a name read from the store may hold anything
	}
	return "cozeauth login"
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// IsLoginRequired reports whether err means the user must log in again.
func IsLoginRequired(err error) bool {
	var lr *LoginRequiredError
	return errors.As(err, &lr)
}
