package sandbox

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The JWT grant as Coze's OAuth JWT documentation and coze-go describe it.
const (
	jwtGrantType       = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	defaultJWTDuration = 900   // seconds, when duration_seconds is absent
	maxJWTDuration     = 86399 // seconds, Coze's upper bound
)

// The scopes the sandbox knows: one enterprise account and one enterprise
// (coze-go's enterprise_id path). Other ids are refused, so a test can
// tell that the scoped path was used.
const (
	AccountID    = "7490000000000000001"
	EnterpriseID = "sandbox-enterprise"
)

// jwtPublicKey is the sandbox JWT app's registered public key.
func jwtPublicKey() *rsa.PublicKey {
	block, _ := pem.Decode([]byte(JWTPublicKeyPEM))
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		panic("sandbox: the embedded test public key does not parse: " + err.Error())
	}
	return k.(*rsa.PublicKey)
}

func invalidJWT(what string) *oauthError {
	return newOAuthError(http.StatusUnauthorized, "invalid_client", "invalid jwt: "+what)
}

var errUnknownKid = errors.New("kid not been registered")

// handleScopedToken serves the account- and enterprise-scoped token paths,
// which take only the JWT grant.
func (s *Server) handleScopedToken(w http.ResponseWriter, r *http.Request) {
	id, isAccount := r.PathValue("account"), true
	if id == "" {
		id, isAccount = r.PathValue("enterprise"), false
	}
	if isAccount && id != AccountID || !isAccount && id != EnterpriseID {
		field := map[bool]string{true: "account_id", false: "enterprise_id"}[isAccount]
		writeOAuthError(w, invalidRequest("invalid request: "+field))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var req tokenRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		writeOAuthError(w, invalidRequest("body must be JSON"))
		return
	}
	if req.GrantType != jwtGrantType {
		writeOAuthError(w, newOAuthError(http.StatusBadRequest, "unsupported_grant_type", "not supported grant type: "+req.GrantType))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.handleToken(w, r)
}

// jwtToken answers a JWT bearer grant: the JWT in the Authorization header
// is checked (RS256 signature with the kid's key, iss a service app, aud
// this host, iat and exp, a jti never seen before) and traded for an
// access token of duration_seconds, with no refresh token.
func (s *Server) jwtToken(r *http.Request, req tokenRequest) (jwtResponse, *oauthError) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return jwtResponse{}, invalidJWT("missing: send it as Authorization: Bearer <jwt>")
	}
	claims, oerr := s.parseJWT(raw)
	if oerr != nil {
		return jwtResponse{}, oerr
	}
	iss, _ := claims["iss"].(string)
	if _, oerr := requireType(iss, TypeJWT); oerr != nil {
		if oerr.ErrorCode == "invalid_client" {
			return jwtResponse{}, invalidJWT("iss is not a registered app")
		}
		return jwtResponse{}, oerr
	}
	if req.ClientID != "" && req.ClientID != iss {
		return jwtResponse{}, invalidRequest("invalid request: client_id")
	}
	if aud, ok := claims["aud"].(string); !ok || aud != r.Host {
		return jwtResponse{}, invalidJWT("aud must be the API host name as a string")
	}
	duration := defaultJWTDuration
	if req.DurationSeconds != nil {
		duration = *req.DurationSeconds
	}
	if duration <= 0 || duration > maxJWTDuration {
		return jwtResponse{}, invalidRequest("invalid request: duration_seconds")
	}
	return s.spendJWT(claims, time.Duration(duration)*time.Second)
}

// parseJWT checks the header and signature and returns the claims.
func (s *Server) parseJWT(raw string) (jwt.MapClaims, *oauthError) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != JWTPublicKeyID {
			return nil, errUnknownKid
		}
		return jwtPublicKey(), nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	switch {
	case errors.Is(err, errUnknownKid):
		return nil, invalidJWT("kid not been registered")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, invalidJWT("signature is invalid")
	case err != nil:
		return nil, invalidJWT("malformed or not RS256")
	}
	return claims, nil
}

// spendJWT checks the times and the jti, burns the jti and issues a token.
func (s *Server) spendJWT(claims jwt.MapClaims, life time.Duration) (jwtResponse, *oauthError) {
	now := s.now()
	iat, errIat := claims.GetIssuedAt()
	exp, errExp := claims.GetExpirationTime()
	switch {
	case errIat != nil || iat == nil:
		return jwtResponse{}, invalidJWT("iat is missing")
	case errExp != nil || exp == nil || !exp.After(iat.Time):
		return jwtResponse{}, invalidJWT("exp is missing or not after iat")
	case !now.Before(exp.Time):
		return jwtResponse{}, invalidJWT("it has expired")
	}
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return jwtResponse{}, invalidJWT("jti is missing")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.jtis[jti]; used {
		return jwtResponse{}, invalidJWT("jti has been used: a JWT is single-use")
	}
	s.jtis[jti] = exp.Time
	s.recordSessionLocked(claims)
	for j, until := range s.jtis { // forget what can no longer be replayed
		if !now.Before(until) {
			delete(s.jtis, j)
		}
	}
	access := "czs_sandbox_" + randHex(24)
	expires := now.Add(life)
	s.access[access] = expires
	s.stats.JWTTokens++
	return jwtResponse{AccessToken: access, ExpiresIn: expires.Unix()}, nil
}

// jwtResponse is Coze's answer to a JWT grant: no refresh token.
type jwtResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// JWTSession is what an accepted JWT said of its session: session_name and
// session_context.device_info, which Coze uses for conversation isolation
// and per-device usage.
type JWTSession struct {
	Name           string
	DeviceID       string
	CustomConsumer string
}

// maxSessions bounds how many accepted JWTs' sessions are remembered.
const maxSessions = 64

// recordSessionLocked remembers claims' session; s.mu must be held.
func (s *Server) recordSessionLocked(claims jwt.MapClaims) {
	js := JWTSession{}
	js.Name, _ = claims["session_name"].(string)
	if sc, ok := claims["session_context"].(map[string]any); ok {
		if info, ok := sc["device_info"].(map[string]any); ok {
			js.DeviceID, _ = info["device_id"].(string)
			js.CustomConsumer, _ = info["custom_consumer"].(string)
		}
	}
	s.sessions = append(s.sessions, js)
	if len(s.sessions) > maxSessions {
		s.sessions = s.sessions[len(s.sessions)-maxSessions:]
	}
}

// JWTSessions returns the sessions of the JWTs accepted so far, oldest
// first (at most the last 64), so a test can check what the client signed.
func (s *Server) JWTSessions() []JWTSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]JWTSession(nil), s.sessions...)
}
