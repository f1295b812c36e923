package auth

import "strings"

// oauthHint says what to do about the token-endpoint and callback errors
// that Coze documents, given the error code, Coze's message and the
// redirect URI that was sent (empty when none was).
func oauthHint(code, message, redirectURI string) string {
	lower := strings.ToLower(message)
	switch {
	case code == "access_deny":
		return "Coze refused the app itself, not you: check in the Coze console that the app is enabled, that its client type fits this login (" +
			"\"invalid app type\": a device login needs a device app, a browser login a PKCE or web app, a JWT a service app; see --app-type), " +
			"and that you are signed in to Coze in the browser (\"login session invalid\"); a retry alone will not help"
	case code == "invalid_request" && strings.Contains(lower, "redirect_uri"):
		sent := "the redirect URI sent"
		if redirectURI != "" {
			sent = "the redirect URI sent, " + redirectURI + ","
		}
		return sent + " must exactly match one registered on the app in the Coze console (scheme, host, port and path): register it there, or pass a registered one with --redirect-uri"
	case code == "invalid_request" && strings.Contains(lower, "client_secret"):
		return "this looks like a web app used without its secret: pass --client-secret (or $COZE_CLIENT_SECRET) with --app-type web, or use a PKCE app"
	case code == "invalid_client" && strings.Contains(lower, "jwt"), code == "invalid_client" && strings.Contains(lower, "kid"):
		return "check the public key id (--public-key-id, the fingerprint on the app's page), that the private key is the one of that pair, the client id, and the region (a coze.cn app needs --region cn)"
	case code == "invalid_client":
		return "check the client id, and for a web app pass its secret with --client-secret"
	}
	return ""
}
