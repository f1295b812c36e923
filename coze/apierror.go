package coze

import (
	"fmt"
	"time"
)

// Coze's codes that cozeauth acts on (coze-sdk-gen's error table; 700012006
// is in no SDK or document: coze.cn answers it for an expired or revoked
// access token).
const (
	CodeAuthInvalid  = 4100      // authentication is invalid
	CodeNoPermission = 4101      // no permission, or a token of the other region
	CodeRateLimited  = 4013      // too many requests
	CodeTokenInvalid = 700012006 // the access token is invalid
)

// TokenRefused reports whether code says Coze turned the token down: it is
// invalid, expired, of the other region or lacks the permission.
func TokenRefused(code int) bool {
	return code == CodeNoPermission || TokenInvalid(code)
}

// TokenInvalid reports whether code says the access token itself is no good
// (rather than, say, lacking a permission): the codes a refresh may mend.
func TokenInvalid(code int) bool { return code == CodeAuthInvalid || code == CodeTokenInvalid }

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
	switch {
	case TokenRefused(e.Code):
		return "the token was refused: check that it was issued by the same region (use --region cn for coze.cn, com for coze.com) and that the app has the permission"
	case e.Code == CodeRateLimited:
		return "rate limited: wait a little and try again"
	}
	return ""
}

// TokenInvalid reports whether Coze's code says the access token itself is
// no good, rather than, say, lacking a permission or belonging to the other
// region: [TokenInvalid] of e.Code.
func (e *APIError) TokenInvalid() bool { return TokenInvalid(e.Code) }

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
