package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/coze"
)

func TestAuthRequestURL(t *testing.T) {
	tests := []struct {
		name       string
		secret     string
		wantPKCE   bool
		wantPrefix string
	}{
		{"pkce app sends an S256 challenge", "", true, "https://www.coze.cn/api/permission/oauth2/authorize?"},
		{"web app sends no challenge", "s", false, "https://www.coze.cn/api/permission/oauth2/authorize?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Settings: Settings{Region: coze.RegionCN, ClientID: "1.app.coze"}, ClientSecret: tt.secret}
			r, err := NewAuthRequest(cfg, "http://localhost:8080/callback")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(r.URL)
			if got := u.Scheme + "://" + u.Host + u.Path + "?"; got != tt.wantPrefix {
				t.Errorf("URL starts %q, want %q", got, tt.wantPrefix)
			}
			q := u.Query()
			if q.Get("response_type") != "code" || q.Get("client_id") != "1.app.coze" || q.Get("redirect_uri") != "http://localhost:8080/callback" || q.Get("state") != r.State {
				t.Errorf("query = %v", q)
			}
			if q.Has("scope") {
				t.Error("coze has no scope parameter")
			}
			if raw, _ := base64.RawURLEncoding.DecodeString(r.State); len(raw) < 16 {
				t.Errorf("state has %d bytes of randomness, want at least 16", len(raw))
			}
			if !tt.wantPKCE {
				if q.Has("code_challenge") || r.Verifier != "" {
					t.Errorf("web app got a challenge: %v", q)
				}
				return
			}
			sum := sha256.Sum256([]byte(r.Verifier))
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") != base64.RawURLEncoding.EncodeToString(sum[:]) {
				t.Errorf("challenge %q method %q do not match the verifier", q.Get("code_challenge"), q.Get("code_challenge_method"))
			}
		})
	}
}

func TestAuthRequestStatesDiffer(t *testing.T) {
	cfg := Config{Settings: Settings{ClientID: "1.app.coze"}}
	a, _ := NewAuthRequest(cfg, DefaultRedirectURI)
	b, _ := NewAuthRequest(cfg, DefaultRedirectURI)
	if a.State == b.State || a.Verifier == b.Verifier {
		t.Error("two requests share a state or verifier")
	}
}

func TestCodeFromURL(t *testing.T) {
	r := &AuthRequest{State: "st8"}
	tests := []struct {
		name     string
		pasted   string
		wantCode string
		wantErr  func(error) bool
	}{
		{"whole address", "http://localhost:8080/callback?code=abc&state=st8", "abc", nil},
		{"with spaces around", "  http://localhost:8080/callback?state=st8&code=abc \n", "abc", nil},
		{"bare query", "code=abc&state=st8", "abc", nil},
		{"wrong state", "http://localhost:8080/callback?code=abc&state=evil", "", func(err error) bool { return errors.Is(err, ErrStateMismatch) }},
		{"refusal", "http://localhost:8080/callback?error=access_denied&state=st8", "", func(err error) bool { var ce *ConsentError; return errors.As(err, &ce) }},
		{"garbage", "hello there", "", func(err error) bool { return errors.Is(err, ErrStateMismatch) }},
		{"empty", "", "", func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := r.CodeFromURL(tt.pasted)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("error = %v", err)
			}
			if diff := cmp.Diff(tt.wantCode, code); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"http://localhost:8080/callback": true,
		"http://127.0.0.1:0/cb":          true,
		"http://[::1]:9000/cb":           true,
		"http://example.com/cb":          false,
		"localhost:8080":                 false,
		"http://localhost:80x/cb":        false,
		"http://localhost:70000/cb":      false,
		"":                               false,
	} {
		if err := ValidateRedirectURI(uri); (err == nil) != ok {
			t.Errorf("ValidateRedirectURI(%q) = %v, want ok=%v", uri, err, ok)
		}
	}
}
