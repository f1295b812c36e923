package sandbox

import (
	"fmt"
	"net/http"
	"slices"
)

// The sandbox's device and JWT (service) apps, beside the PKCE and web apps.
// Like Coze's, the JWT app's id is plain digits.
const (
	DeviceClientID = "7420000000000000003.app.coze" // TV / device / command-line program
	JWTClientID    = "7420000000000000004"          // service app, signs JWTs with the test key
)

// The app types, as the Coze console's client types.
const (
	TypePKCE   = "pkce"
	TypeWeb    = "web"
	TypeDevice = "device"
	TypeJWT    = "jwt"
)

// App is one of the sandbox's OAuth apps.
type App struct {
	ClientID string
	Type     string
	Name     string
	Secret   string // web apps only
}

// Apps lists the sandbox's apps, one of each type Coze has.
func Apps() []App {
	return []App{
		{PKCEClientID, TypePKCE, "Sandbox PKCE App", ""},
		{WebClientID, TypeWeb, "Sandbox Web App", WebClientSecret},
		{DeviceClientID, TypeDevice, "Sandbox Device App", ""},
		{JWTClientID, TypeJWT, "Sandbox Service App", ""},
	}
}

// appByID returns the app with clientID.
func appByID(clientID string) (App, bool) {
	for _, a := range Apps() {
		if a.ClientID == clientID {
			return a, true
		}
	}
	return App{}, false
}

// DefaultRedirectURIs are registered on the PKCE and web apps unless
// [Options.RedirectURIs] says otherwise: what cozeauth's documentation tells
// people to register.
var DefaultRedirectURIs = []string{"http://localhost:8080/callback", "http://127.0.0.1:8080/callback"}

// MaxRedirectURIs is how many redirect URIs Coze lets an app register.
const MaxRedirectURIs = 3

// RegisterRedirectURI registers uri on every browser app (PKCE and web), as
// a person would in the console; the in-process sandbox registers the port
// its callback listener picked. Coze checks the redirect URI of a code
// exchange against these exactly.
func (s *Server) RegisterRedirectURI(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.redirects, uri) {
		s.redirects = append(s.redirects, uri)
	}
}

// registeredLocked reports whether uri is registered exactly; s.mu must be held.
func (s *Server) registeredLocked(uri string) bool {
	return slices.Contains(s.redirects, uri)
}

// invalidAppType is Coze's refusal of a flow the app's type does not allow.
func invalidAppType() *oauthError {
	return newOAuthError(http.StatusForbidden, "access_deny", "invalid app type")
}

// requireType refuses clientID unless it is a known app of one of types:
// an unknown id is invalid_client, a known one of another type access_deny.
func requireType(clientID string, types ...string) (App, *oauthError) {
	a, ok := appByID(clientID)
	if !ok {
		return App{}, newOAuthError(http.StatusUnauthorized, "invalid_client", "invalid client: unknown client_id")
	}
	if !slices.Contains(types, a.Type) {
		return App{}, invalidAppType()
	}
	return a, nil
}

// AppsHelp is one line per app, for `cozeauth sandbox --help`.
func AppsHelp() string {
	var out string
	for _, a := range Apps() {
		line := fmt.Sprintf("  %-7s %-30s %s", a.Type, a.ClientID, a.Name)
		if a.Secret != "" {
			line += ", secret " + a.Secret
		}
		if a.Type == TypeJWT {
			line += ", public key id " + JWTPublicKeyID
		}
		out += line + "\n"
	}
	return out
}
