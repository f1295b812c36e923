package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWTGrantType is the grant type of a service app's token call.
const JWTGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// JWT token lifetimes: Coze issues 900 s by default and at most 86399 s.
const (
	DefaultJWTDuration = 15 * time.Minute
	MaxJWTDuration     = 86399 * time.Second
)

// jwtLifetime is how long a signed JWT is valid. It is sent at once and
// Coze accepts it once, so it needs only to survive the round trip and a
// little clock skew.
const jwtLifetime = 10 * time.Minute

// JWTSettings are a service app's non-secret settings. The private key is
// never here: a path to it, or the key itself in the token store.
type JWTSettings struct {
	PublicKeyID    string `json:"public_key_id"`
	PrivateKeyFile string `json:"private_key_file,omitempty"`
	// DurationSeconds is the access token's life asked of Coze (0: 900 s).
	DurationSeconds int    `json:"duration_seconds,omitempty"`
	SessionName     string `json:"session_name,omitempty"`
	// AccountID and EnterpriseID select Coze's scoped token endpoints.
	AccountID    string `json:"account_id,omitempty"`
	EnterpriseID string `json:"enterprise_id,omitempty"`
	// Scope is the token call's scope object, passed as it is.
	Scope json.RawMessage `json:"scope,omitempty"`
	// DeviceID and CustomConsumer are sent as the JWT's
	// session_context.device_info, by which Coze (enterprise editions)
	// counts usage and applies quotas per device or per consumer.
	DeviceID       string `json:"device_id,omitempty"`
	CustomConsumer string `json:"custom_consumer,omitempty"`
}

// sessionContext is the session_context claim of j's DeviceID and
// CustomConsumer, nil when neither is set.
func (j *JWTSettings) sessionContext() map[string]any {
	info := map[string]any{}
	if j.DeviceID != "" {
		info["device_id"] = j.DeviceID
	}
	if j.CustomConsumer != "" {
		info["custom_consumer"] = j.CustomConsumer
	}
	if len(info) == 0 {
		return nil
	}
	return map[string]any{"device_info": info}
}

// Duration is the access token life to ask for.
func (j *JWTSettings) Duration() time.Duration {
	if j == nil || j.DurationSeconds <= 0 {
		return DefaultJWTDuration
	}
	return time.Duration(j.DurationSeconds) * time.Second
}

// TokenPath is the token endpoint for these settings: the account- or
// enterprise-scoped one when asked for, as in coze-go.
func (j *JWTSettings) TokenPath() string {
	switch {
	case j == nil:
	case j.AccountID != "":
		return "/api/permission/oauth2/account/" + url.PathEscape(j.AccountID) + "/token"
	case j.EnterpriseID != "":
		return "/api/permission/oauth2/enterprise_id/" + url.PathEscape(j.EnterpriseID) + "/token"
	}
	return TokenPath
}

// KeyError is a private key that cannot sign Coze's JWTs.
type KeyError struct {
	Source string // where the key came from: a path or an environment variable
	Reason string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("the private key in %s %s", e.Source, e.Reason)
}

// parsePrivateKey reads an RSA private key from PEM, PKCS#1 ("RSA PRIVATE
// KEY") or PKCS#8 ("PRIVATE KEY", what the Coze console downloads). source
// names where it came from, for the error.
func parsePrivateKey(source string, data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(string(data))))
	if block == nil {
		return nil, &KeyError{source, "is not PEM: expected the private_key.pem the Coze console downloaded when the key pair was created (-----BEGIN PRIVATE KEY-----)"}
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, &KeyError{source, "is encrypted: decrypt it first (openssl pkey -in key.pem -out plain.pem) and keep the result 0600"}
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, &KeyError{source, "is not a valid PKCS#1 RSA key: " + err.Error()}
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, &KeyError{source, "is not a valid PKCS#8 key: " + err.Error()}
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, &KeyError{source, fmt.Sprintf("is a %T, not an RSA key: Coze's JWT apps sign with RS256", k)}
		}
		return rk, nil
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, &KeyError{source, "is a " + strings.ToLower(block.Type) + ": pass the private key (private_key.pem), whose public half is registered on the app"}
	}
	return nil, &KeyError{source, fmt.Sprintf("is a %q block: expected an RSA private key (PRIVATE KEY or RSA PRIVATE KEY)", block.Type)}
}

// jwtAudience is the aud claim for an API base: its host name, as coze-go
// sends it (api.coze.com, api.coze.cn).
func jwtAudience(apiBase string) string {
	u, err := url.Parse(apiBase)
	if err != nil {
		return apiBase
	}
	return u.Host
}

// signJWT builds and signs the JWT that a service app trades for an access
// token: header kid, claims iss (the app id), aud (the API host), iat, exp,
// a fresh jti and, when js sets them, session_name and
// session_context.device_info. Like coze-go it uses jwt.MapClaims, so aud
// is a plain string.
func signJWT(key *rsa.PrivateKey, kid, clientID, apiBase string, js *JWTSettings, now time.Time) (string, error) {
	jti := make([]byte, 32)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("could not make a jti: %w", err)
	}
	claims := jwt.MapClaims{
		"iss": clientID,
		"aud": jwtAudience(apiBase),
		"iat": now.Unix(),
		"exp": now.Add(jwtLifetime).Unix(),
		"jti": hex.EncodeToString(jti),
	}
	if js.SessionName != "" {
		claims["session_name"] = js.SessionName
	}
	if sc := js.sessionContext(); sc != nil {
		claims["session_context"] = sc
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = "JWT"
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("could not sign the JWT: %w", err)
	}
	return s, nil
}

// MintJWT trades a freshly signed JWT for an access token. There is no
// refresh token: the next one is minted the same way.
func (c *Client) MintJWT(ctx context.Context, key *rsa.PrivateKey, js *JWTSettings) (*Token, error) {
	if js == nil || js.PublicKeyID == "" {
		return nil, errors.New("no public key id: pass --public-key-id with the key's fingerprint from the app's page in the Coze console")
	}
	signed, err := signJWT(key, js.PublicKeyID, c.ClientID, c.APIBase, js, c.now())
	if err != nil {
		return nil, err
	}
	body := map[string]any{
		"grant_type":       JWTGrantType,
		"duration_seconds": int(js.Duration() / time.Second),
		"client_id":        c.ClientID,
	}
	if len(js.Scope) > 0 {
		body["scope"] = js.Scope
	}
	bearer := *c
	bearer.ClientSecret = signed // postJSON sends it as Authorization: Bearer
	tok, err := bearer.tokenCallAt(ctx, js.TokenPath(), body)
	if err != nil {
		return nil, fmt.Errorf("could not get a token with the JWT: %w", err)
	}
	tok.RefreshToken, tok.RefreshExpiry = "", time.Time{}
	return tok, nil
}

// signingKey finds the JWT app's private key: the one given now (from the
// environment), else the one kept in the store at login, else the key file.
func (m *Manager) signingKey(rec *Record) (*rsa.PrivateKey, error) {
	switch {
	case m.Config.PrivateKeyPEM != "":
		return parsePrivateKey("$COZE_JWT_PRIVATE_KEY", []byte(m.Config.PrivateKeyPEM))
	case rec != nil && rec.PrivateKey != "":
		return parsePrivateKey("the token store", []byte(rec.PrivateKey))
	case m.Config.JWT != nil && m.Config.JWT.PrivateKeyFile != "":
		data, err := m.Config.readKeyFile()
		if err != nil {
			return nil, err
		}
		return parsePrivateKey(m.Config.JWT.PrivateKeyFile, data)
	}
	return nil, errors.New("no private key for this JWT app: pass --private-key-file key.pem or set $COZE_JWT_PRIVATE_KEY to the PEM")
}

// LoginJWT checks a service app's key and kid by minting one token, then
// saves the profile with it; later tokens are minted by [Manager.Token].
func (m *Manager) LoginJWT(ctx context.Context) (*LoginResult, error) {
	if m.Config.Settings.AppType == "" {
		m.Config.Settings.AppType = AppJWT
	}
	if err := m.Config.CheckFlow(FlowJWT); err != nil {
		return nil, err
	}
	key, err := m.signingKey(nil)
	if err != nil {
		return nil, err
	}
	return m.finishLogin(ctx, func(ctx context.Context, c *Client) (*Token, error) {
		return c.MintJWT(ctx, key, m.Config.JWT)
	})
}

// jwtGrant is a JWT app's renewal, the [grant] the refresh steps use for
// it: each call signs a new JWT (a JWT is single-use) and nothing rotates,
// so a retry is safe.
func (m *Manager) jwtGrant(ctx context.Context, c *Client, rec *Record) (*Token, error) {
	key, err := m.signingKey(rec)
	if err != nil {
		return nil, err
	}
	return c.MintJWT(ctx, key, m.Config.JWT)
}

// jwtStatus fills what is special about a JWT profile: no refresh token,
// and the next token minted before the access token's margin.
func (m *Manager) jwtStatus(st *Status, rec *Record) {
	st.Renewal = "minted by JWT, no refresh token"
	st.RefreshExpiresAt = nil
	st.KeyProblem = m.Config.keyFileProblem(rec) // a local read: status stays instant
	if !rec.Expiry.IsZero() {
		st.NextMintAt = timePtr(rec.Expiry.Add(-m.margin(rec)))
	}
}

// canSign reports whether a JWT profile has a key to sign its next JWT
// with: in the keyring, the store, the environment, or a key file.
func (m *Manager) canSign(rec *Record) bool {
	return rec.InKeyring() || rec.PrivateKey != "" || m.Config.PrivateKeyPEM != "" ||
		m.Config.JWT != nil && m.Config.JWT.PrivateKeyFile != ""
}
