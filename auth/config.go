// Package auth implements Coze's OAuth 2.0 flows for cozeauth: the authorize
// URL with PKCE, the loopback callback listener, the JSON token calls, the
// rotation-safe token [Store] and the refreshing [Manager] that every command,
// the wizard and other Go programs use to get a valid access token.
//
// It owns everything that speaks Coze's protocol or touches stored tokens:
// the one parser of Coze's replies ([ParseReply], [OAuthError], [APIError]),
// which profile settings apply ([Store.Resolve]), and the in-flight work a
// program must wait for before exiting ([Pending]). It is the documented Go
// API. It must not print, read flags or the terminal, keep package-level
// mutable state, or reach any host but the API base that issued a token.
package auth

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Region names one of Coze's two deployments. A token is valid only in the
// region that issued it.
type Region string

// The regions Coze runs.
const (
	RegionCOM Region = "com"
	RegionCN  Region = "cn"
)

// ParseRegion accepts "com" or "cn" (case-insensitive).
func ParseRegion(s string) (Region, error) {
	switch Region(strings.ToLower(strings.TrimSpace(s))) {
	case RegionCOM:
		return RegionCOM, nil
	case RegionCN:
		return RegionCN, nil
	}
	return "", fmt.Errorf("unknown region %q: use com (coze.com) or cn (coze.cn)", s)
}

// APIBase is the host that serves token calls and the open API.
func (r Region) APIBase() string {
	if r == RegionCN {
		return "https://api.coze.cn"
	}
	return "https://api.coze.com"
}

// WWWBase is the host that serves the consent page.
func (r Region) WWWBase() string {
	if r == RegionCN {
		return "https://www.coze.cn"
	}
	return "https://www.coze.com"
}

// AppType tells a public PKCE app from a confidential web app.
type AppType string

// The OAuth app types cozeauth supports.
const (
	AppPKCE AppType = "pkce"
	AppWeb  AppType = "web"
)

// DefaultRedirectURI is what Coze's console accepts for development and what
// a user most likely registered.
const DefaultRedirectURI = "http://localhost:8080/callback"

// DefaultRefreshMargin is how long before expiry an access token is refreshed.
const DefaultRefreshMargin = 5 * time.Minute

// RefreshTokenLifetime is how long Coze keeps a refresh token valid. Coze does
// not return it, so it is counted from when the token was issued.
const RefreshTokenLifetime = 30 * 24 * time.Hour

// Settings are the non-secret parts of a profile, saved by a login so that
// later commands need no flags.
type Settings struct {
	Region      Region `json:"region"`
	APIBase     string `json:"api_base,omitempty"`
	WWWBase     string `json:"www_base,omitempty"`
	ClientID    string `json:"client_id"`
	RedirectURI string `json:"redirect_uri,omitempty"`
	// Storage is where the secrets are kept: "file" (default) or "keyring".
	Storage string `json:"storage,omitempty"`
}

// Config is everything a [Manager] needs: the profile, its settings, the
// client secret of a web app and the refresh margin.
type Config struct {
	Profile string
	Settings
	// ClientSecret is set only for web apps; it is kept in the token store,
	// never in the settings file.
	ClientSecret  string
	RefreshMargin time.Duration
}

// AppType is web when a client secret is known, PKCE otherwise.
func (c Config) AppType() AppType {
	if c.ClientSecret != "" {
		return AppWeb
	}
	return AppPKCE
}

// API returns the API base URL without a trailing slash.
func (c Config) API() string {
	if c.APIBase != "" {
		return strings.TrimRight(c.APIBase, "/")
	}
	return c.regionOrDefault().APIBase()
}

// WWW returns the web base URL without a trailing slash.
func (c Config) WWW() string {
	if c.WWWBase != "" {
		return strings.TrimRight(c.WWWBase, "/")
	}
	return c.regionOrDefault().WWWBase()
}

// Redirect returns the redirect URI, or the default one.
func (c Config) Redirect() string {
	if c.RedirectURI != "" {
		return c.RedirectURI
	}
	return DefaultRedirectURI
}

// Margin returns the refresh margin, or the default one.
func (c Config) Margin() time.Duration {
	if c.RefreshMargin > 0 {
		return c.RefreshMargin
	}
	return DefaultRefreshMargin
}

func (c Config) regionOrDefault() Region {
	if c.Region == "" {
		return RegionCOM
	}
	return c.Region
}

// ValidateClientID returns a warning (not an error) for a client id that does
// not look like Coze's "<digits>.app.coze"; Coze may change the shape.
func ValidateClientID(id string) (warning string, err error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("client id is empty: copy it from your OAuth app in the Coze console (Settings → OAuth apps)")
	}
	digits, ok := strings.CutSuffix(id, ".app.coze")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return fmt.Sprintf("client id %q does not look like <digits>.app.coze; continuing anyway", id), nil
	}
	return "", nil
}

// ValidateRedirectURI checks that a redirect URI is http(s) on a loopback host
// with a valid port, since cozeauth must listen on it.
func ValidateRedirectURI(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return fmt.Errorf("redirect URI %q is not a URL: use something like %s", raw, DefaultRedirectURI)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("redirect URI %q must start with http:// (cozeauth listens for it on this machine)", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("redirect URI host %q is not loopback: use localhost or 127.0.0.1 so cozeauth can receive the callback", u.Hostname())
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 0 || n > 65535 || fmt.Sprint(n) != p {
			return fmt.Errorf("redirect URI port %q is not a number from 0 to 65535", p)
		}
	}
	return nil
}

func isLoopbackHost(h string) bool {
	switch strings.ToLower(h) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return strings.HasPrefix(h, "127.")
}
