package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func testPrivateKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode([]byte(JWTPrivateKeyPEM))
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// signTestJWT signs claims as a service app would, built by hand here so
// that the sandbox is checked against Coze's documentation, not cozeauth.
func signTestJWT(t *testing.T, key *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestJWTGrant(t *testing.T) {
	key := testPrivateKey(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	type mod struct {
		key    *rsa.PrivateKey
		kid    string
		claims func(c jwt.MapClaims)
		body   func(b map[string]any)
		path   string
	}
	tests := []struct {
		name       string
		mod        mod
		wantStatus int
		wantInMsg  string
	}{
		{"valid", mod{}, http.StatusOK, ""},
		{"longest duration", mod{body: func(b map[string]any) { b["duration_seconds"] = 86399 }}, http.StatusOK, ""},
		// coze-py sends "scope": null and no client_id; its jti is "<iat>:<hex>:<hex>".
		{"coze-py's body", mod{claims: func(c jwt.MapClaims) { c["jti"] = "1732950000:0a1b2c3d:0011223344556677" }, body: func(b map[string]any) { b["scope"] = nil; delete(b, "client_id"); b["duration_seconds"] = 900 }}, http.StatusOK, ""},
		// coze-go signs exp = iat + the token's duration, up to 24 h.
		{"coze-go's JWT for the longest token", mod{claims: func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) + 86399 }, body: func(b map[string]any) { b["duration_seconds"] = 86399 }}, http.StatusOK, ""},
		{"duration over the limit", mod{body: func(b map[string]any) { b["duration_seconds"] = 86400 }}, http.StatusBadRequest, "duration_seconds"},
		{"wrong kid", mod{kid: "another-kid"}, http.StatusUnauthorized, "kid not been registered"},
		{"signed with another key", mod{key: other}, http.StatusUnauthorized, "signature"},
		{"aud as an array", mod{claims: func(c jwt.MapClaims) { c["aud"] = []string{c["aud"].(string)} }}, http.StatusUnauthorized, "aud"},
		{"aud of another host", mod{claims: func(c jwt.MapClaims) { c["aud"] = "api.coze.com" }}, http.StatusUnauthorized, "aud"},
		{"iss of a PKCE app", mod{claims: func(c jwt.MapClaims) { c["iss"] = PKCEClientID }, body: func(b map[string]any) { b["client_id"] = PKCEClientID }}, http.StatusForbidden, "invalid app type"},
		{"expired", mod{claims: func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) - 1 }}, http.StatusUnauthorized, "exp"},
		{"no jti", mod{claims: func(c jwt.MapClaims) { delete(c, "jti") }}, http.StatusUnauthorized, "jti"},
		{"account path", mod{path: "/api/permission/oauth2/account/" + AccountID + "/token"}, http.StatusOK, ""},
		{"unknown account", mod{path: "/api/permission/oauth2/account/1/token"}, http.StatusBadRequest, "account_id"},
		{"enterprise path", mod{path: "/api/permission/oauth2/enterprise_id/" + EnterpriseID + "/token"}, http.StatusOK, ""},
		{"account path takes only the JWT grant", mod{path: "/api/permission/oauth2/account/" + AccountID + "/token", body: func(b map[string]any) { b["grant_type"] = "refresh_token" }}, http.StatusBadRequest, "not supported grant type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			u, _ := url.Parse(e.url)
			now := e.clock.Now()
			claims := jwt.MapClaims{"iss": JWTClientID, "aud": u.Host, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-" + tt.name}
			if tt.mod.claims != nil {
				tt.mod.claims(claims)
			}
			k, kid, path := key, JWTPublicKeyID, tokenPath
			if tt.mod.key != nil {
				k = tt.mod.key
			}
			if tt.mod.kid != "" {
				kid = tt.mod.kid
			}
			if tt.mod.path != "" {
				path = tt.mod.path
			}
			body := map[string]any{"grant_type": jwtGrantType, "client_id": JWTClientID}
			if tt.mod.body != nil {
				tt.mod.body(body)
			}
			status, got := e.postJSON(path, "Bearer "+signTestJWT(t, k, kid, claims), body)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %v", status, tt.wantStatus, got)
			}
			if tt.wantStatus != http.StatusOK {
				if msg, _ := got["error_message"].(string); !strings.Contains(msg, tt.wantInMsg) || got["error_code"] == nil {
					t.Errorf("error %v, want error_code and a message with %q", got, tt.wantInMsg)
				}
				return
			}
			if tok, _ := got["access_token"].(string); !strings.HasPrefix(tok, "czs_") {
				t.Errorf("access_token = %v, want czs_…", got["access_token"])
			}
			if _, has := got["refresh_token"]; has {
				t.Errorf("a JWT grant returned a refresh token: %v", got)
			}
			if exp, _ := got["expires_in"].(float64); int64(exp) <= now.Unix() {
				t.Errorf("expires_in = %v, want an absolute time after %d", got["expires_in"], now.Unix())
			}
		})
	}
}

func TestJWTIsSingleUse(t *testing.T) {
	e := newEnv(t, Options{})
	u, _ := url.Parse(e.url)
	now := e.clock.Now()
	signed := signTestJWT(t, testPrivateKey(t), JWTPublicKeyID, jwt.MapClaims{"iss": JWTClientID, "aud": u.Host, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "once"})
	body := map[string]any{"grant_type": jwtGrantType}
	if status, got := e.postJSON(tokenPath, "Bearer "+signed, body); status != http.StatusOK {
		t.Fatalf("first use: %d %v", status, got)
	}
	status, got := e.postJSON(tokenPath, "Bearer "+signed, body)
	if msg, _ := got["error_message"].(string); status != http.StatusUnauthorized || !strings.Contains(msg, "jti") {
		t.Errorf("replay: %d %v, want 401 naming the jti", status, got)
	}
	if n := e.s.Stats().JWTTokens; n != 1 {
		t.Errorf("JWTTokens = %d, want 1", n)
	}
}

func TestJWTSessionsRecorded(t *testing.T) {
	e := newEnv(t, Options{})
	u, _ := url.Parse(e.url)
	now := e.clock.Now()
	claims := jwt.MapClaims{"iss": JWTClientID, "aud": u.Host, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "with-session",
		"session_name": "user_2222", "session_context": map[string]any{"device_info": map[string]any{"device_id": "1234567890", "custom_consumer": "c-1"}}}
	if status, got := e.postJSON(tokenPath, "Bearer "+signTestJWT(t, testPrivateKey(t), JWTPublicKeyID, claims), map[string]any{"grant_type": jwtGrantType}); status != http.StatusOK {
		t.Fatalf("%d %v", status, got)
	}
	want := []JWTSession{{Name: "user_2222", DeviceID: "1234567890", CustomConsumer: "c-1"}}
	if got := e.s.JWTSessions(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("JWTSessions = %+v, want %+v", got, want)
	}
}

func TestWrongFlowForAppType(t *testing.T) {
	e := newEnv(t, Options{})
	// A device app has no browser flow: Coze sends access_deny back.
	redirect, err := e.s.Approve(e.url + authorizePath + "?" + url.Values{
		"response_type": {"code"}, "client_id": {DeviceClientID}, "redirect_uri": {testRedirect}, "state": {"s"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	q := mustQuery(t, redirect)
	if q.Get("error") != "access_deny" || q.Get("error_description") != "invalid app type" || q.Get("state") != "s" {
		t.Errorf("authorize for a device app sent the browser to %s", redirect)
	}
	// A JWT app cannot refresh or poll a device code.
	status, got := e.postJSON(tokenPath, "", map[string]string{"grant_type": deviceGrantType, "device_code": "x", "client_id": PKCEClientID})
	if status != http.StatusForbidden || got["error_code"] != "access_deny" {
		t.Errorf("device grant for a PKCE app: %d %v", status, got)
	}
}

func TestRedirectURIMustBeRegistered(t *testing.T) {
	e := newEnv(t, Options{})
	const other = "http://127.0.0.1:38099/callback"
	redirect, err := e.s.Approve(e.url + authorizePath + "?" + url.Values{
		"response_type": {"code"}, "client_id": {WebClientID}, "redirect_uri": {other}, "state": {"s"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"grant_type": "authorization_code", "client_id": WebClientID, "code": mustQuery(t, redirect).Get("code"), "redirect_uri": other}
	status, got := e.postJSON(tokenPath, "Bearer "+WebClientSecret, body)
	if status != http.StatusBadRequest || got["error_message"] != "invalid request: redirect_uri" {
		t.Errorf("unregistered redirect URI: %d %v", status, got)
	}
	// Once registered, the same URI works.
	e.s.RegisterRedirectURI(other)
	redirect, _ = e.s.Approve(e.url + authorizePath + "?" + url.Values{
		"response_type": {"code"}, "client_id": {WebClientID}, "redirect_uri": {other}, "state": {"s"},
	}.Encode())
	body["code"] = mustQuery(t, redirect).Get("code")
	if status, got := e.postJSON(tokenPath, "Bearer "+WebClientSecret, body); status != http.StatusOK {
		t.Errorf("registered redirect URI: %d %v", status, got)
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}
