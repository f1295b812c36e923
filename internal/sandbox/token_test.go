package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func oauthErrorBody(code, message string) map[string]any {
	return map[string]any{"error": code, "error_code": code, "error_message": message}
}

func TestExchangeVerifiesPKCE(t *testing.T) {
	tests := []struct {
		name      string
		challenge string
		method    string
		verifier  string
		ok        bool
	}{
		{"S256 good verifier", rfcChallenge, "S256", rfcVerifier, true},
		{"S256 bad verifier", rfcChallenge, "S256", rfcVerifier + "x", false},
		{"S256 verifier sent as the challenge", rfcChallenge, "S256", rfcChallenge, false},
		{"S256 no verifier", rfcChallenge, "S256", "", false},
		{"plain good verifier", rfcVerifier, "plain", rfcVerifier, true},
		{"plain bad verifier", rfcVerifier, "plain", rfcChallenge, false},
		{"default method is plain", rfcVerifier, "", rfcVerifier, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			status, body := e.postJSON(tokenPath, "", map[string]string{
				"grant_type":    "authorization_code",
				"client_id":     PKCEClientID,
				"code":          e.code(PKCEClientID, tt.challenge, tt.method),
				"redirect_uri":  testRedirect,
				"code_verifier": tt.verifier,
			})
			if !tt.ok {
				want := oauthErrorBody("invalid_request", "invalid request: code_verifier does not match code_challenge")
				if diff := cmp.Diff(want, body); status != http.StatusBadRequest || diff != "" {
					t.Errorf("status %d, want 400; body (-want +got):\n%s", status, diff)
				}
				return
			}
			if status != http.StatusOK || !strings.HasPrefix(body["access_token"].(string), "czu_sandbox_") {
				t.Errorf("status %d, body %v; want 200 with a czu_sandbox_ token", status, body)
			}
		})
	}
}

func TestVerifyPKCE(t *testing.T) {
	tests := []struct {
		name, challenge, method, verifier string
		want                              bool
	}{
		{"RFC 7636 vector", rfcChallenge, "S256", rfcVerifier, true},
		{"S256 mismatch", rfcChallenge, "S256", "x", false},
		{"plain", "abc", "plain", "abc", true},
		{"plain mismatch", "abc", "plain", "abd", false},
		{"no challenge needs no verifier", "", "", "", true},
		{"empty verifier", "abc", "plain", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verifyPKCE(tt.challenge, tt.method, tt.verifier); got != tt.want {
				t.Errorf("verifyPKCE = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExchangeChecksWebSecret(t *testing.T) {
	tests := []struct {
		name          string
		authorization string
		wantStatus    int
	}{
		{"right secret", "Bearer " + WebClientSecret, http.StatusOK},
		{"wrong secret", "Bearer nope", http.StatusUnauthorized},
		{"missing secret (a web app used as PKCE)", "", http.StatusBadRequest},
		{"secret without scheme", WebClientSecret, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			status, body := e.postJSON(tokenPath, tt.authorization, map[string]string{
				"grant_type":   "authorization_code",
				"client_id":    WebClientID,
				"code":         e.code(WebClientID, "", ""),
				"redirect_uri": testRedirect,
			})
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %v", status, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusUnauthorized {
				want := oauthErrorBody("invalid_client", "invalid client: missing or wrong client secret")
				if diff := cmp.Diff(want, body); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExchangeRejects(t *testing.T) {
	codeError := oauthErrorBody("invalid_request", "invalid request: code is invalid, expired or has been used")
	tests := []struct {
		name       string
		setup      func(e *env, req map[string]string)
		wantStatus int
		want       map[string]any
	}{
		{"used code", func(e *env, req map[string]string) {
			if status, _ := e.postJSON(tokenPath, "", req); status != http.StatusOK {
				t.Fatalf("first exchange = %d", status)
			}
		}, http.StatusBadRequest, codeError},
		{"expired code", func(e *env, _ map[string]string) { e.clock.Add(codeTTL) }, http.StatusBadRequest, codeError},
		{"unknown code", func(_ *env, req map[string]string) { req["code"] = "nope" }, http.StatusBadRequest, codeError},
		{"code of another client", func(e *env, req map[string]string) {
			req["code"] = e.code(WebClientID, rfcChallenge, "S256")
		}, http.StatusBadRequest, codeError},
		{"redirect_uri mismatch", func(_ *env, req map[string]string) {
			req["redirect_uri"] = "http://127.0.0.1:38081/callback"
		}, http.StatusBadRequest, oauthErrorBody("invalid_request", "invalid request: redirect_uri")},
		{"unknown client", func(_ *env, req map[string]string) {
			req["client_id"] = "1.app.coze"
		}, http.StatusUnauthorized, oauthErrorBody("invalid_client", "invalid client: unknown client_id")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			req := map[string]string{
				"grant_type":    "authorization_code",
				"client_id":     PKCEClientID,
				"code":          e.code(PKCEClientID, rfcChallenge, "S256"),
				"redirect_uri":  testRedirect,
				"code_verifier": rfcVerifier,
			}
			tt.setup(e, req)
			status, body := e.postJSON(tokenPath, "", req)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpiresInIsAbsolute(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		want time.Duration
	}{
		{"default 15 minutes", 0, 15 * time.Minute},
		{"configured", 90 * time.Second, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{AccessTTL: tt.ttl})
			_, body := e.postJSON(tokenPath, "", map[string]string{
				"grant_type":    "authorization_code",
				"client_id":     PKCEClientID,
				"code":          e.code(PKCEClientID, rfcChallenge, "S256"),
				"redirect_uri":  testRedirect,
				"code_verifier": rfcVerifier,
			})
			want := float64(e.clock.Now().Add(tt.want).Unix())
			if diff := cmp.Diff(want, body["expires_in"]); diff != "" {
				t.Errorf("expires_in (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokenBodyMustBeJSON(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name, contentType, body string
	}{
		{"form body", "application/x-www-form-urlencoded", "grant_type=authorization_code&code=x&client_id=" + PKCEClientID},
		{"no content type", "", `{"grant_type":"authorization_code"}`},
		{"malformed JSON", "application/json", `{"grant_type":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(http.MethodPost, tokenPath, tt.contentType, "", tt.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
			if diff := cmp.Diff(oauthErrorBody("invalid_request", "body must be JSON"), decode(t, body)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("charset parameter is fine", func(t *testing.T) {
		resp, _ := e.do(http.MethodPost, tokenPath, "application/json; charset=utf-8", "", `{"grant_type":"password"}`)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", resp.StatusCode)
		}
	})
}

func TestUnsupportedGrant(t *testing.T) {
	e := newEnv(t, Options{})
	status, body := e.postJSON(tokenPath, "", map[string]string{"grant_type": "password", "client_id": PKCEClientID})
	if status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", status)
	}
	if diff := cmp.Diff(oauthErrorBody("unsupported_grant_type", `unsupported grant_type "password"`), body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t, Options{})
	_, oldRefresh := e.login()
	refresh := func(token string) (int, map[string]any) {
		return e.postJSON(tokenPath, "", map[string]string{
			"grant_type": "refresh_token", "refresh_token": token, "client_id": PKCEClientID,
		})
	}

	status, body := refresh(oldRefresh)
	if status != http.StatusOK {
		t.Fatalf("first refresh = %d: %v", status, body)
	}
	newRefresh := body["refresh_token"].(string)
	if newRefresh == oldRefresh {
		t.Fatal("refresh token did not rotate")
	}
	resp, _ := e.do(http.MethodGet, "/v1/users/me", "", "Bearer "+body["access_token"].(string), "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("new access token: /v1/users/me = %d, want 200", resp.StatusCode)
	}

	status, body = refresh(oldRefresh)
	if status != http.StatusBadRequest {
		t.Errorf("reused refresh token: status = %d, want 400", status)
	}
	if diff := cmp.Diff(oauthErrorBody("invalid_request", "refresh token is invalid or has been used"), body); diff != "" {
		t.Errorf("reused refresh token: body (-want +got):\n%s", diff)
	}

	if status, body := refresh(newRefresh); status != http.StatusOK {
		t.Errorf("new refresh token = %d: %v", status, body)
	}
	want := Stats{Exchanges: 1, Refreshes: 2, RejectedRefreshes: 1}
	if diff := cmp.Diff(want, e.s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestRefreshRejects(t *testing.T) {
	tests := []struct {
		name          string
		clientID      string
		authorization string
		advance       time.Duration
		wantStatus    int
	}{
		{"expired after 30 days", PKCEClientID, "", refreshTTL, http.StatusBadRequest},
		{"issued to another client", WebClientID, "Bearer " + WebClientSecret, 0, http.StatusBadRequest},
		{"web app without secret", WebClientID, "", 0, http.StatusBadRequest},
		{"unknown client", "1.app.coze", "", 0, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			_, refresh := e.login()
			e.clock.Add(tt.advance)
			status, body := e.postJSON(tokenPath, tt.authorization, map[string]string{
				"grant_type": "refresh_token", "refresh_token": refresh, "client_id": tt.clientID,
			})
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d: %v", status, tt.wantStatus, body)
			}
			if got := e.s.Stats().RejectedRefreshes; got != 1 {
				t.Errorf("RejectedRefreshes = %d, want 1", got)
			}
		})
	}
}

func TestRefreshWebApp(t *testing.T) {
	e := newEnv(t, Options{})
	_, body := e.postJSON(tokenPath, "Bearer "+WebClientSecret, map[string]string{
		"grant_type": "authorization_code", "client_id": WebClientID,
		"code": e.code(WebClientID, "", ""), "redirect_uri": testRedirect,
	})
	status, body := e.postJSON(tokenPath, "Bearer "+WebClientSecret, map[string]string{
		"grant_type": "refresh_token", "refresh_token": body["refresh_token"].(string), "client_id": WebClientID,
	})
	if status != http.StatusOK {
		t.Errorf("status = %d, want 200: %v", status, body)
	}
}
