package auth

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/input"
)

// DefaultRedirectURI is what Coze's console accepts for development and what
// a user most likely registered.
const DefaultRedirectURI = "http://localhost:8080/callback"

// DefaultRefreshMargin is how long before expiry an access token is refreshed.
const DefaultRefreshMargin = 5 * time.Minute

// RefreshTokenLifetime is how long Coze keeps a refresh token valid. Coze does
// not return it, so it is counted from when the token was issued.
const RefreshTokenLifetime = 30 * 24 * time.Hour

// Where [Settings.Storage] keeps a profile's secrets.
const (
	StorageFile    = "file"    // a 0600 file in the config directory
	StorageKeyring = "keyring" // the system keyring
)

// UsesKeyring reports whether the profile keeps its secrets in the system
// keyring.
func (c Config) UsesKeyring() bool { return c.Storage == StorageKeyring }

// Settings are the non-secret parts of a profile, saved by a login so that
// later commands need no flags.
type Settings struct {
	Region      coze.Region `json:"region"`
	APIBase     string      `json:"api_base,omitempty"`
	WWWBase     string      `json:"www_base,omitempty"`
	ClientID    string      `json:"client_id"`
	RedirectURI string      `json:"redirect_uri,omitempty"`
	// AppType is the app's client type in the Coze console; empty means
	// inferred (see [Config.AppType]).
	AppType AppType `json:"app_type,omitempty"`
	// WorkspaceID scopes the authorize page and the device code to one
	// workspace (Coze's workspace_id paths).
	WorkspaceID string `json:"workspace_id,omitempty"`
	// JWT holds a service app's settings; never its private key.
	JWT *JWTSettings `json:"jwt,omitempty"`
	// Storage is where the secrets are kept: [StorageFile] (default) or
	// [StorageKeyring].
	Storage string `json:"storage,omitempty"`
}

// Config is everything a [Manager] needs: the profile, its settings, the
// client secret of a web app and the refresh margin.
type Config struct {
	Profile string
	Settings
	// ClientSecret is set only for web apps; it is kept in the token store,
	// never in the settings file.
	ClientSecret string
	// PrivateKeyPEM is a JWT app's private key when it came from the
	// environment or a config file rather than a key file; it is kept in the
	// token store (or keyring), never in the settings file.
	PrivateKeyPEM string
	RefreshMargin time.Duration
}

// explicitSettings are the settings a login saves: the region and app type
// written out, so that later logins (and machines that adopt a shared
// profile) keep them rather than infer them again.
func (c Config) explicitSettings() Settings {
	set := c.Settings
	set.Region, set.AppType = c.regionOrDefault(), c.AppType()
	return set
}

// API returns the API base URL without a trailing slash.
func (c Config) API() string {
	if c.APIBase != "" {
		return strings.TrimRight(c.APIBase, "/")
	}
	return c.regionOrDefault().APIBase()
}

// WWW returns the web base URL (the consent page's) without a trailing
// slash: the one given, else the one that goes with the API base given
// ([coze.WWWForAPI]), else the region's.
func (c Config) WWW() string {
	switch {
	case c.WWWBase != "":
		return strings.TrimRight(c.WWWBase, "/")
	case c.APIBase != "":
		return coze.WWWForAPI(c.API())
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

func (c Config) regionOrDefault() coze.Region {
	if c.Region == "" {
		return coze.RegionCOM
	}
	return c.Region
}

// RenewMargin is how long before rec's expiry it is renewed, the margin
// [Manager.Token] and [Manager.Status] use; screens that show or schedule
// renewals use it too, so they never disagree with auth. A margin set by
// hand that is not shorter than the token's whole life would refresh on
// every call (a refresh storm): it is clamped to a third of the life. The
// default (5 minutes of Coze's 15) is not clamped, except for a JWT app
// whose --duration is 5 minutes or less: it chose that life.
func (c Config) RenewMargin(rec *Record) time.Duration {
	margin, _ := c.renewMargin(rec)
	return margin
}

func (c Config) renewMargin(rec *Record) (margin time.Duration, clamped bool) {
	margin = c.Margin()
	life := rec.Expiry.Sub(rec.IssuedAt)
	byHand := c.RefreshMargin > 0
	if !byHand && c.AppType() != AppJWT || rec.IssuedAt.IsZero() || life <= 0 || margin < life {
		return margin, false
	}
	return life / 3, true
}

// keyFileProblem says why c's JWT app cannot mint the next token of rec:
// its private key file cannot be read (a [*KeyError]'s text, naming the file
// and the login that fixes it). It is "" for other apps, for a key given in
// the environment or kept in the store or keyring, and for a readable file.
// It reads the file, never the network.
func (c Config) keyFileProblem(rec *Record) string {
	if c.AppType() != AppJWT || !c.keyFileSigns(rec) {
		return ""
	}
	if _, err := c.readKeyFile(); err != nil {
		return err.Error()
	}
	return ""
}

// keyFileSigns reports whether the JWT app signs with the key file: no key
// was given in the environment, kept in the store or in the keyring.
func (c Config) keyFileSigns(rec *Record) bool {
	return c.PrivateKeyPEM == "" && rec.PrivateKey == "" && !rec.InKeyring() &&
		c.JWT != nil && c.JWT.PrivateKeyFile != ""
}

// readKeyFile reads the JWT app's key file, a [*KeyError] naming it and the
// login that fixes it when it cannot be read.
func (c Config) readKeyFile() ([]byte, error) {
	path := c.JWT.PrivateKeyFile
	data, err := input.ReadFile(path)
	if err != nil {
		return nil, &KeyError{path, fmt.Sprintf("cannot be read (%v): put it back, run `%s --private-key-file <its path>`, or set $COZE_JWT_PRIVATE_KEY to the PEM", err, loginCommand(c.Profile))}
	}
	return data, nil
}

// ValidateClientID returns a warning (not an error) for a client id that does
// not look like Coze's "<digits>.app.coze" or, as service apps' often are,
// plain digits; Coze may change the shape.
func ValidateClientID(id string) (warning string, err error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("client id is empty: copy it from your app in the Coze console (API & SDK → Authorization → OAuth apps)")
	}
	digits, _ := strings.CutSuffix(id, ".app.coze") // a service (JWT) app's id is often the digits alone
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return fmt.Sprintf("client id %q does not look like <digits>.app.coze; continuing anyway", id), nil
	}
	return "", nil
}

// redirectErr is a redirect URI cozeauth cannot use. It is the user's to
// fix (a flag, the environment or the saved profile): a [UsageError].
func redirectErr(uri, reason string) *UsageError {
	return &UsageError{Msg: fmt.Sprintf("redirect URI %q %s", uri, reason)}
}

// ValidateRedirectURI checks that cozeauth can receive the callback of raw
// on this machine, and only here: plain http (a loopback listener has no
// certificate a browser trusts) on localhost, an IPv4 address in
// 127.0.0.0/8 or [::1]. Anything else, even a name that resolves to
// loopback today, could make the listener answer beyond this machine. No
// port means port 80, as it does for the browser; port 0 (a free port) is
// accepted here and refused by [CheckRegistrable].
func ValidateRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return redirectErr(raw, "is not a URL: use something like "+DefaultRedirectURI+" (registered on the app)")
	case u.Scheme == "https":
		return redirectErr(raw, "uses https, but cozeauth receives the callback on this machine over plain http (a loopback listener has no certificate a browser trusts): register an http:// loopback URI on the app, like "+DefaultRedirectURI+", "+orPaste)
	case u.Scheme != "http":
		return redirectErr(raw, "must start with http:// (cozeauth listens for it on this machine): register one like "+DefaultRedirectURI+", "+orPaste)
	case u.User != nil || u.Fragment != "":
		return redirectErr(raw, "must not carry a user name or a #fragment")
	case !isLoopbackHost(u.Hostname()) || strings.Contains(u.Host, "%"):
		// Worded as before: the wizard's form shows it.
		return &UsageError{Msg: fmt.Sprintf("redirect URI host %q is not loopback: use localhost or 127.0.0.1 so cozeauth can receive the callback, %s", u.Hostname(), orPaste)}
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 || strconv.Itoa(n) != p {
			return &UsageError{Msg: fmt.Sprintf("redirect URI port %q is not a number from 0 to 65535", p)}
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return redirectErr(raw, "has an empty port")
	}
	return nil
}

// orPaste ends the refusals of a listener's redirect URI: a paste-back
// login has no listener and takes any URI Coze does.
const orPaste = "or use --paste (`cozeauth login --paste` takes any redirect URI registered on the app, https included)"

// CheckPasteRedirect checks a redirect URI for a login whose address is
// pasted back by hand: nothing listens on it, so any http or https URI that
// Coze could have registered will do (a web app's production callback,
// say). It is sent exactly as given, since Coze matches it as a string.
// Port 0 is refused: it can never match a registered URI.
func CheckPasteRedirect(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "" || u.Hostname() == "":
		return redirectErr(raw, "is not a URL: pass the redirect URI registered on the app exactly, like https://example.com/oauth/callback or "+DefaultRedirectURI)
	case u.Scheme != "http" && u.Scheme != "https":
		return redirectErr(raw, "must start with https:// or http://, as the one registered on the app does")
	case u.User != nil || u.Fragment != "":
		return redirectErr(raw, "must not carry a user name or a #fragment")
	case u.Port() == "0":
		return redirectErr(raw, "has port 0, a random port, but Coze only accepts a redirect URI registered on the app exactly: pass the registered one")
	}
	return nil
}

// CheckRegistrable is [ValidateRedirectURI] for a URI sent to Coze, which
// matches redirect URIs exactly against the (at most 3) registered on the
// app: port 0 would be replaced by a random port that can never match.
func CheckRegistrable(raw string) error {
	if err := ValidateRedirectURI(raw); err != nil {
		return err
	}
	if u, _ := url.Parse(raw); u.Port() == "0" {
		return redirectErr(raw, "has port 0, a random port, but Coze only accepts a redirect URI registered on the app exactly: register a fixed port, like "+DefaultRedirectURI+", and pass that")
	}
	return nil
}

// isLoopbackHost reports whether h (a URL's host name, without brackets) is
// localhost, an IPv4 literal in 127.0.0.0/8 or ::1. Other names are refused
// even when they resolve to loopback: their resolution is not ours to trust.
func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err != nil || ip.Zone() != "" {
		return false
	}
	if ip.Is4() {
		return ip.As4()[0] == 127
	}
	return ip == netip.IPv6Loopback()
}
