package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testKey is made once per test binary: RSA key generation is slow.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKey(t *testing.T) {
	k := testKey()
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"PKCS#8, as the console downloads it", pemOf("PRIVATE KEY", pkcs8), ""},
		{"PKCS#1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), ""},
		{"not PEM", []byte("hello"), "is not PEM"},
		{"an EC key", pemOf("PRIVATE KEY", ecDER), "not an RSA key"},
		{"the public key", pemOf("PUBLIC KEY", pub), "pass the private key"},
		{"encrypted", pemOf("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), "is encrypted"},
		{"broken PKCS#8", pemOf("PRIVATE KEY", []byte{1, 2, 3}), "not a valid PKCS#8 key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePrivateKey("key.pem", tt.data)
			if tt.wantErr == "" {
				if err != nil || !got.Equal(k) {
					t.Fatalf("parsePrivateKey = %v", err)
				}
				return
			}
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "key.pem") {
				t.Errorf("err = %v, want a *KeyError naming key.pem with %q", err, tt.wantErr)
			}
		})
	}
}

// decodeJWT splits a JWT into its header and claims, without checking it.
func decodeJWT(t *testing.T, s string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", s)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, dst) != nil {
			t.Fatalf("part %d does not decode: %v", i, err)
		}
	}
	return header, claims
}

func TestSignJWTShape(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	a, err := signJWT(testKey(), "kid-1", "1127900106117", "https://api.coze.cn", &JWTSettings{SessionName: "user_2222"}, now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := signJWT(testKey(), "kid-1", "1127900106117", "https://api.coze.cn", &JWTSettings{}, now)
	header, claims := decodeJWT(t, a)
	if diff := cmp.Diff(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "kid-1"}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	jti, _ := claims["jti"].(string)
	delete(claims, "jti")
	want := map[string]any{
		"iss": "1127900106117", "aud": "api.coze.cn", // a plain string, not ["api.coze.cn"]
		"iat": float64(now.Unix()), "exp": float64(now.Add(jwtLifetime).Unix()), "session_name": "user_2222",
	}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	_, other := decodeJWT(t, b)
	if len(jti) < 32 || jti == other["jti"] {
		t.Errorf("jti %q must be long and fresh each time (other %v)", jti, other["jti"])
	}
	if _, has := other["session_name"]; has {
		t.Error("session_name sent without being asked for")
	}
	if _, has := other["session_context"]; has {
		t.Error("session_context sent without being asked for")
	}
}

// session_context.device_info goes in the JWT's claims, as in Coze's OAuth
// JWT documentation and coze-go's GenerateJWT.
func TestSignJWTSessionContext(t *testing.T) {
	tests := []struct {
		session *JWTSettings
		want    any
	}{
		{&JWTSettings{DeviceID: "dev-1"}, map[string]any{"device_info": map[string]any{"device_id": "dev-1"}}},
		{&JWTSettings{CustomConsumer: "app-user-7"}, map[string]any{"device_info": map[string]any{"custom_consumer": "app-user-7"}}},
		{&JWTSettings{DeviceID: "dev-1", CustomConsumer: "c"}, map[string]any{"device_info": map[string]any{"device_id": "dev-1", "custom_consumer": "c"}}},
	}
	for _, tt := range tests {
		signed, err := signJWT(testKey(), "kid-1", "1127900106117", "https://api.coze.cn", tt.session, time.Unix(1_800_000_000, 0))
		if err != nil {
			t.Fatal(err)
		}
		_, claims := decodeJWT(t, signed)
		if diff := cmp.Diff(tt.want, claims["session_context"]); diff != "" {
			t.Errorf("%+v: session_context (-want +got):\n%s", tt.session, diff)
		}
	}
}

// jwtCoze is a token endpoint for JWT grants that records what it was sent.
type jwtCoze struct {
	mu     sync.Mutex
	mints  int
	paths  []string
	bodies []map[string]any
	status int // when set, every answer is this error status
	now    func() time.Time
}

func (c *jwtCoze) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(r.Body).Decode(&body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paths = append(c.paths, r.URL.Path)
	c.bodies = append(c.bodies, body)
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ey") {
		w.WriteHeader(401)
		fmt.Fprint(w, `{"error_code":"invalid_client","error_message":"invalid jwt"}`)
		return
	}
	if c.status != 0 {
		w.WriteHeader(c.status)
		fmt.Fprint(w, `{"error_code":"invalid_client","error_message":"invalid jwt: kid not been registered"}`)
		return
	}
	c.mints++
	secs, _ := body["duration_seconds"].(float64)
	fmt.Fprintf(w, `{"access_token":"czs_%d","expires_in":%d}`, c.mints, c.now().Add(time.Duration(secs)*time.Second).Unix())
}

func newJWTManager(t *testing.T, now func() time.Time, js *JWTSettings) (*Manager, *jwtCoze) {
	t.Helper()
	coze := &jwtCoze{now: now}
	srv := httptest.NewServer(coze)
	t.Cleanup(srv.Close)
	keyFile := filepath.Join(t.TempDir(), "private_key.pem")
	der, _ := x509.MarshalPKCS8PrivateKey(testKey())
	if err := os.WriteFile(keyFile, pemOf("PRIVATE KEY", der), 0o600); err != nil {
		t.Fatal(err)
	}
	js.PrivateKeyFile = keyFile
	m := newTestManager(t, t.TempDir(), srv.URL, now)
	m.Config.ClientID = "1127900106117"
	m.Config.Settings.AppType = AppJWT
	m.Config.JWT = js
	return m, coze
}

func TestJWTLoginThenTokenMintsOnlyInsideTheMargin(t *testing.T) {
	clock := fixedNow
	now := func() time.Time { return clock }
	m, coze := newJWTManager(t, now, &JWTSettings{PublicKeyID: "kid", DurationSeconds: 3600, AccountID: "42", Scope: json.RawMessage(`{"account_permission":{"permission_list":["Connector.botChat"]}}`)})
	res, err := m.LoginJWT(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.AccessToken != "czs_1" || res.Record.RefreshToken != "" || !res.Record.RefreshExpiry.IsZero() {
		t.Errorf("login record = %+v, want czs_1 and no refresh token", res.Record.Token)
	}
	set, _, _ := m.Store.LoadSettings("default")
	if set.AppType != AppJWT || set.JWT == nil || set.JWT.PrivateKeyFile == "" {
		t.Errorf("saved settings = %+v, want jwt with the key's path", set)
	}
	raw, _ := os.ReadFile(m.Store.SettingsPath())
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Error("the private key reached config.json")
	}
	wantBody := map[string]any{"grant_type": JWTGrantType, "duration_seconds": float64(3600), "client_id": "1127900106117",
		"scope": map[string]any{"account_permission": map[string]any{"permission_list": []any{"Connector.botChat"}}}}
	if diff := cmp.Diff(wantBody, coze.bodies[0]); diff != "" {
		t.Errorf("token call body (-want +got):\n%s", diff)
	}
	if coze.paths[0] != "/api/permission/oauth2/account/42/token" {
		t.Errorf("path = %s, want the account-scoped one", coze.paths[0])
	}

	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czs_1" || coze.mints != 1 {
		t.Fatalf("a valid cached token: %v %v, %d mints", rec, err, coze.mints)
	}
	clock = clock.Add(56 * time.Minute) // 4 minutes left: inside the 5m margin
	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czs_2" {
		t.Fatalf("inside the margin: %v %v", rec, err)
	}
	if rec, err := m.Refresh(context.Background()); err != nil || rec.AccessToken != "czs_3" {
		t.Fatalf("refresh mints anew: %v %v", rec, err)
	}
	st, err := m.Status()
	if err != nil || !st.LoggedIn || st.Renewal != "minted by JWT, no refresh token" || st.RefreshExpiresAt != nil || st.NextMintAt == nil {
		t.Errorf("status = %+v, %v", st, err)
	}
}

func TestJWTRefusedIsLoginRequired(t *testing.T) {
	now := func() time.Time { return fixedNow }
	m, coze := newJWTManager(t, now, &JWTSettings{PublicKeyID: "kid"})
	if _, err := m.LoginJWT(context.Background()); err != nil {
		t.Fatal(err)
	}
	coze.status = http.StatusUnauthorized
	_, err := m.Refresh(context.Background())
	if !IsLoginRequired(err) || !strings.Contains(err.Error(), "kid not been registered") {
		t.Errorf("a refused JWT: %v", err)
	}
	// The refusal is remembered: logged out, and no JWT is sent again
	// until a login.
	if st, err := m.Status(); err != nil || st.LoggedIn || st.LoggedOutReason == "" {
		t.Errorf("status after a refused JWT: %+v, %v", st, err)
	}
	calls := len(coze.paths)
	if _, err := m.Token(context.Background()); !IsLoginRequired(err) || len(coze.paths) != calls {
		t.Errorf("token after a refused JWT: %v, %d more calls", err, len(coze.paths)-calls)
	}
}

func TestJWTKeyFromEnvironmentIsKeptInTheStore(t *testing.T) {
	now := func() time.Time { return fixedNow }
	m, _ := newJWTManager(t, now, &JWTSettings{PublicKeyID: "kid"})
	der, _ := x509.MarshalPKCS8PrivateKey(testKey())
	m.Config.JWT.PrivateKeyFile = ""
	m.Config.PrivateKeyPEM = string(pemOf("PRIVATE KEY", der))
	if _, err := m.LoginJWT(context.Background()); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(m.Store.SettingsPath())
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Error("the private key reached config.json")
	}
	// A later run without the environment mints with the stored key.
	m.Config.PrivateKeyPEM = ""
	if _, err := m.Refresh(context.Background()); err != nil {
		t.Fatalf("mint with the stored key: %v", err)
	}
}

// A service app's id is often plain digits (it is on the sandbox's too):
// that is not worth a warning on every JWT login; other shapes still are.
func TestValidateClientIDShapes(t *testing.T) {
	tests := []struct {
		id       string
		wantWarn bool
		wantErr  bool
	}{
		{"7420000000000000001.app.coze", false, false},
		{"7420000000000000004", false, false},
		{"my-app", true, false},
		{".app.coze", true, false},
		{"12ab.app.coze", true, false},
		{"  ", false, true},
	}
	for _, tt := range tests {
		warn, err := ValidateClientID(tt.id)
		if (warn != "") != tt.wantWarn || (err != nil) != tt.wantErr {
			t.Errorf("ValidateClientID(%q) = %q, %v; want warning %v, error %v", tt.id, warn, err, tt.wantWarn, tt.wantErr)
		}
	}
}

// A JWT app may ask for tokens shorter than the default 5-minute margin
// (--duration 2m): they must not be minted anew on every call, and the
// next mint is within the token's life, not before it was issued.
func TestShortJWTTokenIsNotMintedOnEveryCall(t *testing.T) {
	clock := fixedNow
	now := func() time.Time { return clock }
	m, coze := newJWTManager(t, now, &JWTSettings{PublicKeyID: "kid", DurationSeconds: 120})
	if _, err := m.LoginJWT(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czs_1" {
			t.Fatalf("token with 2 minutes left of 2: %v %v, want the cached czs_1", rec, err)
		}
	}
	st, err := m.Status()
	if err != nil || st.NextMintAt == nil || !st.NextMintAt.After(fixedNow) || !st.NextMintAt.Before(fixedNow.Add(2*time.Minute)) {
		t.Errorf("status next mint = %v, %v; want within the token's 2 minutes", st.NextMintAt, err)
	}
	clock = clock.Add(100 * time.Second) // 20 s left: now it is time
	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czs_2" || coze.mints != 2 {
		t.Errorf("token with 20 s left: %v %v, %d mints; want a new one", rec, err, coze.mints)
	}
}

// A key file that went away says how to give the key again: refresh and
// token take no --private-key-file, so the way is a login with it.
func TestJWTKeyFileGoneSaysHowToGiveItAgain(t *testing.T) {
	m, _ := newJWTManager(t, func() time.Time { return fixedNow }, &JWTSettings{PublicKeyID: "kid"})
	m.Config.Profile = "work"
	if _, err := m.LoginJWT(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(m.Config.JWT.PrivateKeyFile); err != nil {
		t.Fatal(err)
	}
	_, err := m.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cozeauth login --profile work --private-key-file") || !strings.Contains(err.Error(), "$COZE_JWT_PRIVATE_KEY") {
		t.Errorf("err = %v, want the login that gives the key again", err)
	}
}
