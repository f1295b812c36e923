package sandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"time"
)

const tokenPath = "/api/permission/oauth2/token"

// tokenRequest is the union of the JSON bodies Coze's token endpoint takes.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	Code         string `json:"code"`
	RedirectURI  string `json:"redirect_uri"`
	CodeVerifier string `json:"code_verifier"`
	RefreshToken string `json:"refresh_token"`
	DeviceCode   string `json:"device_code"`
	// The JWT grant's (jwt.go).
	DurationSeconds *int            `json:"duration_seconds"`
	Scope           json.RawMessage `json:"scope"`
}

// tokenResponse is Coze's success body. ExpiresIn is an absolute Unix time in
// seconds, not a duration: that quirk is the point of the sandbox.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
}

// oauthError is a token-endpoint failure. Most use error_message; device
// polling uses error_description. error_code repeats error in both, because
// clients read error_code first.
type oauthError struct {
	status      int
	Error       string `json:"error"`
	ErrorCode   string `json:"error_code"`
	Message     string `json:"error_message,omitempty"`
	Description string `json:"error_description,omitempty"`
}

func newOAuthError(status int, code, message string) *oauthError {
	return &oauthError{status: status, Error: code, ErrorCode: code, Message: message}
}

func invalidRequest(message string) *oauthError {
	return newOAuthError(http.StatusBadRequest, "invalid_request", message)
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, e)
}

// isJSON reports whether the request says its body is JSON. Coze rejects
// form bodies, which is what a stock OAuth 2.0 client sends.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) {
		writeOAuthError(w, invalidRequest("body must be JSON"))
		return
	}
	var req tokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeOAuthError(w, invalidRequest("body must be JSON"))
		return
	}
	if req.GrantType == jwtGrantType {
		tok, oerr := s.jwtToken(r, req)
		if oerr != nil {
			writeOAuthError(w, oerr)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, tok)
		return
	}
	var (
		tok  tokenResponse
		oerr *oauthError
	)
	switch req.GrantType {
	case "authorization_code":
		tok, oerr = s.exchangeCode(r, req)
	case "refresh_token":
		tok, oerr = s.refreshToken(r, req)
	case deviceGrantType:
		tok, oerr = s.deviceToken(r, req)
	default:
		oerr = newOAuthError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("unsupported grant_type %q", req.GrantType))
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, tok)
}

// checkClient authenticates the app, which must be of one of types: the
// PKCE and device apps are public, the web app must send its secret as a
// bearer token, as Coze's web apps do. An app of another type is refused
// with access_deny "invalid app type".
func checkClient(r *http.Request, clientID string, types ...string) *oauthError {
	a, oerr := requireType(clientID, types...)
	if oerr != nil {
		return oerr
	}
	if a.Secret == "" {
		return nil
	}
	got := r.Header.Get("Authorization")
	if got == "" {
		return invalidRequest("invalid request: client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+a.Secret)) != 1 {
		return newOAuthError(http.StatusUnauthorized, "invalid_client", "invalid client: missing or wrong client secret")
	}
	return nil
}

func (s *Server) exchangeCode(r *http.Request, req tokenRequest) (tokenResponse, *oauthError) {
	if oerr := checkClient(r, req.ClientID, TypePKCE, TypeWeb); oerr != nil {
		return tokenResponse{}, oerr
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.registeredLocked(req.RedirectURI) { // Coze matches the registered URIs exactly
		return tokenResponse{}, invalidRequest("invalid request: redirect_uri")
	}
	c, ok := s.codes[req.Code]
	// A code is burnt by its first use, even a failed one (RFC 6749 §10.5).
	delete(s.codes, req.Code)
	if !ok || !now.Before(c.expires) || c.clientID != req.ClientID {
		return tokenResponse{}, invalidRequest("invalid request: code is invalid, expired or has been used")
	}
	if req.RedirectURI != c.redirectURI {
		return tokenResponse{}, invalidRequest("invalid request: redirect_uri")
	}
	if !verifyPKCE(c.challenge, c.method, req.CodeVerifier) {
		return tokenResponse{}, invalidRequest("invalid request: code_verifier does not match code_challenge")
	}
	s.stats.Exchanges++
	return s.issueLocked(req.ClientID, now), nil
}

// verifyPKCE checks a code verifier against the challenge the code was
// issued for (RFC 7636 §4.6). A code issued without a challenge needs none.
func verifyPKCE(challenge, method, verifier string) bool {
	if challenge == "" {
		return true
	}
	if verifier == "" {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// refreshToken rotates: the sent refresh token stops working and a new one
// comes back. Every refusal is counted, so an end-to-end test can assert that
// cozeauth never lost a rotated token.
func (s *Server) refreshToken(r *http.Request, req tokenRequest) (tokenResponse, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if oerr := checkClient(r, req.ClientID, TypePKCE, TypeWeb, TypeDevice); oerr != nil {
		s.stats.RejectedRefreshes++
		return tokenResponse{}, oerr
	}
	g, ok := s.refresh[req.RefreshToken]
	if !ok || g.clientID != req.ClientID || !now.Before(g.expires) {
		s.stats.RejectedRefreshes++
		return tokenResponse{}, invalidRequest("refresh token is invalid or has been used")
	}
	delete(s.refresh, req.RefreshToken)
	s.stats.Refreshes++
	return s.issueLocked(req.ClientID, now), nil
}

// refreshGrant is who may use a refresh token, and until when.
type refreshGrant struct {
	clientID string
	expires  time.Time
}

// issueLocked mints a token pair; s.mu must be held.
func (s *Server) issueLocked(clientID string, now time.Time) tokenResponse {
	access := "czu_sandbox_" + randHex(24)
	refresh := randHex(32)
	expires := now.Add(s.opts.AccessTTL)
	s.access[access] = expires
	s.refresh[refresh] = refreshGrant{clientID: clientID, expires: now.Add(refreshTTL)}
	return tokenResponse{
		AccessToken:  access,
		ExpiresIn:    expires.Unix(),
		RefreshToken: refresh,
		TokenType:    "Bearer",
	}
}
