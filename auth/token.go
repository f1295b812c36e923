package auth

import (
	"time"

	"golang.org/x/oauth2"
)

// Token is a Coze token pair as cozeauth keeps it: Coze returns the access
// token's expiry as an absolute time and says nothing of the refresh token's,
// so RefreshExpiry is counted from when the pair was issued.
type Token struct {
	AccessToken   string    `json:"access_token"`
	RefreshToken  string    `json:"refresh_token,omitempty"`
	Expiry        time.Time `json:"expiry"`
	RefreshExpiry time.Time `json:"refresh_expiry,omitempty"`
	IssuedAt      time.Time `json:"issued_at"`
}

// OAuth2 converts the token for use with golang.org/x/oauth2.
func (t *Token) OAuth2() *oauth2.Token {
	return &oauth2.Token{
		AccessToken:  t.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
}

// ValidFor reports whether the access token is still valid for at least d at now.
func (t *Token) ValidFor(now time.Time, d time.Duration) bool {
	return t != nil && t.AccessToken != "" && now.Add(d).Before(t.Expiry)
}

// Refreshable reports whether a refresh token is present and not past its
// 30-day life at now.
func (t *Token) Refreshable(now time.Time) bool {
	return t != nil && t.RefreshToken != "" && (t.RefreshExpiry.IsZero() || now.Before(t.RefreshExpiry))
}

// Mask hides all but the first and last few characters of a secret, so that
// a person can tell two tokens apart without the secret being shown.
func Mask(s string) string {
	switch {
	case s == "":
		return ""
	case len(s) <= 12:
		return "****"
	}
	return s[:4] + "…" + s[len(s)-4:]
}
