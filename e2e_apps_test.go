package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// The app types end to end: the real binary against a sandbox process that
// models Coze's device and JWT apps, exact redirect URIs and access_deny.

func (e *e2e) writeFile(name, content string) string {
	p := filepath.Join(e.t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *e2e) statusJSON(extraEnv ...string) map[string]any {
	r := e.run(extraEnv, "status", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		e.t.Fatalf("status --json exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	return got
}

// ageToken rewrites a profile's record, through the store as cozeauth
// would, so that its access token has left of its life and no more.
func (e *e2e) ageToken(profile string, left time.Duration) {
	st := auth.NewStore(e.configDir())
	l, err := st.Lock(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	defer l.Unlock()
	rec, err := l.Load(profile)
	if err != nil || rec == nil {
		e.t.Fatalf("no record to age: %v", err)
	}
	life := rec.Expiry.Sub(rec.IssuedAt)
	rec.Expiry = time.Now().Add(left)
	rec.IssuedAt = rec.Expiry.Add(-life)
	if err := l.Save(profile, rec); err != nil {
		e.t.Fatal(err)
	}
}

func jwtLoginArgs(keyFile string, more ...string) []string {
	return append([]string{"login", "--app-type", "jwt", "--client-id", sandbox.JWTClientID,
		"--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", keyFile}, more...)
}

func TestEndToEndJWTApp(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	login := e.run(nil, jwtLoginArgs(key)...)
	if login.code != 0 || !strings.Contains(login.stderr, "jwt app") || !strings.Contains(login.stderr, "mints a new one") {
		t.Fatalf("jwt login exit %d\n%s", login.code, login.stderr)
	}
	if n := e.stats().JWTTokens; n != 1 {
		t.Fatalf("the login minted %d tokens, want 1", n)
	}
	first := e.run(nil, "token")
	if first.code != 0 || !strings.HasPrefix(first.stdout, "czs_") || e.stats().JWTTokens != 1 {
		t.Fatalf("token with a fresh JWT token: exit %d %q, %d mints", first.code, first.stdout, e.stats().JWTTokens)
	}

	// Age the cached token to 3 minutes left of its 15, inside the 5-minute
	// margin: 32 processes at once find it there, one mints a new token
	// under the lock and the others use that one.
	e.ageToken("default", 3*time.Minute)
	inMargin := e.tokensAtOnce(32)
	for i, r := range inMargin {
		if r.code != 0 || r.stdout != inMargin[0].stdout || r.stdout == first.stdout {
			t.Errorf("token process %d: exit %d stdout %q stderr %q, want the one new token", i, r.code, r.stdout, r.stderr)
		}
	}
	if n := e.stats().JWTTokens; n != 2 {
		t.Errorf("32 processes inside the margin minted %d times, want once", n-1)
	}

	if r := e.run(nil, "refresh"); r.code != 0 || e.stats().JWTTokens != 3 {
		t.Errorf("refresh: exit %d, %d mints, want a new mint\n%s", r.code, e.stats().JWTTokens, r.stderr)
	}
	st := e.statusJSON()
	for k, want := range map[string]any{"app_type": "jwt", "client_id": sandbox.JWTClientID, "logged_in": true, "source": "store", "renewal": "minted by JWT, no refresh token"} {
		if st[k] != want {
			t.Errorf("status %s = %v, want %v", k, st[k], want)
		}
	}
	if _, has := st["refresh_token_expires_at"]; has && st["refresh_token_expires_at"] != nil {
		t.Errorf("a JWT profile shows a refresh token expiry: %v", st["refresh_token_expires_at"])
	}
	settings, _ := os.ReadFile(filepath.Join(e.configDir(), "config.json"))
	if strings.Contains(string(settings), "PRIVATE KEY") || !strings.Contains(string(settings), key) {
		t.Errorf("config.json must keep the key's path, never the key:\n%s", settings)
	}
	// The API takes the minted service token.
	if r := e.run(nil, "api", "/v1/users/me"); r.code != 0 || !strings.Contains(r.stdout, sandbox.UserName) {
		t.Errorf("api with a JWT token: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestEndToEndJWTKeyFromEnvironmentAndConfigFile(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	env := []string{"COZE_JWT_PRIVATE_KEY=" + sandbox.JWTPrivateKeyPEM}
	r := e.run(env, "login", "--app-type", "jwt", "--client-id", sandbox.JWTClientID, "--public-key-id", sandbox.JWTPublicKeyID)
	if r.code != 0 {
		t.Fatalf("login with the key in the environment: exit %d\n%s", r.code, r.stderr)
	}
	// The next run has no key in its environment: the store kept it (0600).
	if r := e.run(nil, "refresh"); r.code != 0 {
		t.Fatalf("refresh without the environment: exit %d\n%s", r.code, r.stderr)
	}
	tokens := filepath.Join(e.configDir(), "tokens.json")
	if fi, err := os.Stat(tokens); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens.json: %v %v, want 0600", err, fi.Mode())
	}

	cfg, _ := json.Marshal(map[string]string{
		"client_type": "jwt", "client_id": sandbox.JWTClientID, "private_key": sandbox.JWTPrivateKeyPEM,
		"public_key_id": sandbox.JWTPublicKeyID, "coze_api_base": e.base, "coze_www_base": e.base, "extra": "x",
	})
	path := e.writeFile("coze_oauth_config.json", string(cfg))
	r = e.run(nil, "login", "--profile", "imported", "--config", path)
	if r.code != 0 || !strings.Contains(r.stderr, `unknown field "extra"`) {
		t.Fatalf("login --config: exit %d\n%s", r.code, r.stderr)
	}
	settings, _ := os.ReadFile(filepath.Join(e.configDir(), "config.json"))
	if strings.Contains(string(settings), "PRIVATE KEY") {
		t.Errorf("the imported key reached config.json:\n%s", settings)
	}
	if r := e.run(nil, "token", "--profile", "imported"); r.code != 0 || !strings.HasPrefix(r.stdout, "czs_") {
		t.Errorf("token of the imported profile: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// Each refusal, as a user meets it: usage errors (exit 2) before anything
// is sent, Coze's own refusals (exit 1) with what to check.
func TestEndToEndAppTypeRefusals(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	good := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	bad := e.writeFile("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	missing := e.writeFile("coze_oauth_config.json", `{"client_type":"web","client_id":"`+sandbox.WebClientID+`"}`)
	elsewhere := "http://" + freeLoopbackAddr(t) + "/elsewhere" // a port no other test is listening on
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		want     []string
	}{
		{"device code for a PKCE app", nil, []string{"login", "--app-type", "pkce", "--client-id", sandbox.PKCEClientID, "--device"}, 2,
			[]string{"only allows a device-code login for a device app", "TV/device/command-line program"}},
		{"browser login for a JWT app", nil, append(jwtLoginArgs(good), "--browser"), 2, []string{"pkce or web app"}},
		{"access_deny from Coze for a device code of a PKCE app", nil, []string{"login", "--client-id", sandbox.PKCEClientID, "--device"}, 1,
			[]string{"access_deny: invalid app type", "log id", "this is not a device app; if it is a pkce app, use `--app-type pkce`"}},
		{"access_deny from Coze for a browser login of a device app", nil, []string{"login", "--client-id", sandbox.DeviceClientID, "--browser", "--timeout", "60s"}, 1,
			[]string{"access_deny", "invalid app type", "this is not a pkce app; if it is a device app, use `--app-type device`"}},
		{"unregistered redirect URI", []string{"COZE_REDIRECT_URI=" + elsewhere}, []string{"login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s"}, 1,
			[]string{"invalid request: redirect_uri", elsewhere, "exactly match"}},
		{"port 0", []string{"COZE_REDIRECT_URI=http://127.0.0.1:0/callback"}, []string{"login", "--client-id", sandbox.PKCEClientID}, 2, []string{"port 0"}},
		{"https redirect", []string{"COZE_REDIRECT_URI=https://localhost:8443/callback"}, []string{"login", "--client-id", sandbox.PKCEClientID}, 2, []string{"https"}},
		{"a name that starts with 127.", []string{"COZE_REDIRECT_URI=http://127.attacker.example:18776/callback"}, []string{"login", "--client-id", sandbox.PKCEClientID}, 2, []string{"not loopback"}},
		{"bad key", nil, jwtLoginArgs(bad), 2, []string{"bad.pem", "pass the private key"}},
		{"wrong kid", nil, []string{"login", "--app-type", "jwt", "--client-id", sandbox.JWTClientID, "--public-key-id", "nope", "--private-key-file", good}, 1,
			[]string{"kid not been registered", "--public-key-id"}},
		{"duration over the limit", nil, jwtLoginArgs(good, "--duration", "24h"), 2, []string{"86399"}},
		{"config file missing a field", nil, []string{"login", "--config", missing}, 2, []string{`"client_secret"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(tt.env, tt.args...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.wantCode, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	if s := e.run(nil, "status"); s.code != 4 {
		t.Errorf("status after only refusals exits %d, want 4", s.code)
	}
}

func TestEndToEndStaticToken(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	if r := e.run(nil, jwtLoginArgs(key, "--profile", "svc")...); r.code != 0 {
		t.Fatalf("login: %d\n%s", r.code, r.stderr)
	}
	minted := strings.TrimSpace(e.run(nil, "token", "--profile", "svc").stdout)
	env := []string{"COZE_API_TOKEN=" + minted}
	// The default profile has never logged in: the token is used as it is.
	if r := e.run(env, "token"); r.code != 0 || strings.TrimSpace(r.stdout) != minted {
		t.Errorf("token with COZE_API_TOKEN: exit %d %q", r.code, r.stdout)
	}
	st := e.statusJSON(env...)
	if st["source"] != "env" || st["logged_in"] != true || strings.Contains(st["access_token"].(string), minted) {
		t.Errorf("status with COZE_API_TOKEN: %v", st)
	}
	if r := e.run(env, "api", "/v1/users/me"); r.code != 0 || !strings.Contains(r.stdout, sandbox.UserName) {
		t.Errorf("api with COZE_API_TOKEN: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(e.configDir(), "tokens.json")); err != nil {
		t.Fatal(err) // the svc profile's
	}
}

// The JWT options reach Coze: the account-scoped path (the sandbox knows
// one account and refuses others), the scope object and the session name,
// all saved in the profile; none of them is a secret.
func TestEndToEndJWTScopedOptions(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	scope := e.writeFile("scope.json", `{"account_permission":{"permission_list":["Connector.botChat"]}}`)
	if r := e.run(nil, jwtLoginArgs(key, "--account-id", "1")...); r.code != 1 || !strings.Contains(r.stderr, "account_id") {
		t.Fatalf("an unknown account: exit %d\n%s", r.code, r.stderr)
	}
	r := e.run(nil, jwtLoginArgs(key, "--account-id", sandbox.AccountID, "--scope-file", scope, "--session-name", "user_2222", "--duration", "2h")...)
	if r.code != 0 {
		t.Fatalf("scoped login: exit %d\n%s", r.code, r.stderr)
	}
	settings, _ := os.ReadFile(filepath.Join(e.configDir(), "config.json"))
	for _, want := range []string{`"account_id": "` + sandbox.AccountID + `"`, `"session_name": "user_2222"`, `"duration_seconds": 7200`, `Connector.botChat`} {
		if !strings.Contains(string(settings), want) {
			t.Errorf("config.json lacks %s:\n%s", want, settings)
		}
	}
	// The saved options apply to the next mint, with no flags.
	if r := e.run(nil, "refresh"); r.code != 0 || e.stats().JWTTokens != 2 {
		t.Errorf("refresh with the saved options: exit %d, %d mints\n%s", r.code, e.stats().JWTTokens, r.stderr)
	}
	if r := e.run(nil, jwtLoginArgs(key, "--account-id", "1", "--enterprise-id", "e")...); r.code != 2 {
		t.Errorf("--account-id with --enterprise-id: exit %d, want 2", r.code)
	}
}

func TestEndToEndJWTFlagsNeedAJWTApp(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	r := e.run(nil, "login", "--client-id", sandbox.PKCEClientID, "--public-key-id", "kid")
	if r.code != 2 || !strings.Contains(r.stderr, "--public-key-id is for a jwt (service) app") {
		t.Errorf("--public-key-id for a PKCE app: exit %d\n%s", r.code, r.stderr)
	}
	loose := e.writeFile("loose.pem", sandbox.JWTPrivateKeyPEM)
	os.Chmod(loose, 0o644)
	r = e.run(nil, jwtLoginArgs(loose)...)
	if r.code != 0 || !strings.Contains(r.stderr, "readable by other users") {
		t.Errorf("a key file others can read: exit %d\n%s", r.code, r.stderr)
	}
}

// Secrets in the environment meant for other apps (a service app's key, a
// web app's secret, as CI sets them) are not copied into the token store of
// a profile of another app type, which has no use for them.
func TestEndToEndEnvironmentSecretsStayOutOfOtherProfiles(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	const webSecret = "web-secret-of-another-app"
	env := []string{"COZE_JWT_PRIVATE_KEY=" + sandbox.JWTPrivateKeyPEM, "COZE_CLIENT_SECRET=" + webSecret}
	if r := e.run(env, "login", "--app-type", "pkce", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s"); r.code != 0 {
		t.Fatalf("pkce login: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run(env, "refresh"); r.code != 0 {
		t.Fatalf("refresh: exit %d\n%s", r.code, r.stderr)
	}
	// A jwt profile keeps its key as a path here, so the store should hold no PEM at all.
	if r := e.run(env[1:], jwtLoginArgs(e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM), "--profile", "svc")...); r.code != 0 {
		t.Fatalf("jwt login: exit %d\n%s", r.code, r.stderr)
	}
	tokens, err := os.ReadFile(filepath.Join(e.configDir(), "tokens.json"))
	if err != nil || strings.Contains(string(tokens), "PRIVATE KEY") || strings.Contains(string(tokens), webSecret) {
		t.Errorf("the environment's JWT key or web secret reached a pkce or jwt profile's token store (%v)", err)
	}
}

// --private-key-file beats a $COZE_JWT_PRIVATE_KEY (meant for another
// service app, say), as flags beat the environment everywhere; the key
// from the environment is then not kept in the store either.
func TestEndToEndKeyFileBeatsAnotherKeyInTheEnvironment(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(other)
	env := []string{"COZE_JWT_PRIVATE_KEY=" + string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	if r := e.run(env, jwtLoginArgs(key)...); r.code != 0 {
		t.Fatalf("login with --private-key-file and another key in the environment: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run(nil, "refresh"); r.code != 0 {
		t.Errorf("refresh with the key file: exit %d\n%s", r.code, r.stderr)
	}
	tokens, _ := os.ReadFile(filepath.Join(e.configDir(), "tokens.json"))
	if strings.Contains(string(tokens), "PRIVATE KEY") {
		t.Error("the environment's key, unused, reached the token store")
	}
}

// --no-browser (habit on a headless machine) asks for nothing a device or
// JWT login would do: it is not taken for a request for a browser login.
func TestEndToEndNoBrowserFitsEveryAppType(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	if r := e.run(nil, jwtLoginArgs(key, "--no-browser")...); r.code != 0 {
		t.Errorf("jwt login --no-browser: exit %d\n%s", r.code, r.stderr)
	}
}

// Ids pasted from the console with a stray space or newline still work:
// Coze compares them exactly, so they are trimmed before they are sent.
func TestEndToEndPastedIDsAreTrimmed(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	key := e.writeFile("private_key.pem", sandbox.JWTPrivateKeyPEM)
	r := e.run(nil, "login", "--app-type", "jwt", "--client-id", sandbox.JWTClientID+"\n",
		"--public-key-id", " "+sandbox.JWTPublicKeyID+" ", "--private-key-file", key)
	if r.code != 0 {
		t.Fatalf("login with padded ids: exit %d\n%s", r.code, r.stderr)
	}
	if st := e.statusJSON(); st["client_id"] != sandbox.JWTClientID {
		t.Errorf("saved client id %q, want it trimmed", st["client_id"])
	}
}

// freeLoopbackAddr is a 127.0.0.1 address whose port was free a moment ago
// and that no other test of this process was given. The ports come from
// below the kernel's ephemeral range (32768 and up on Linux), which every
// listener on port 0 and every outgoing connection of the tests running in
// parallel draw from: a port picked there and closed could be taken by one
// of them before the login listens on it.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	for range 2000 {
		port := nextTestPort.Add(1)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // another program's
		}
		l.Close()
		return l.Addr().String()
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

// nextTestPort is the last port freeLoopbackAddr handed out; it starts at
// a point of 20000–30000 that depends on the process, so that two test
// processes at once (go test ./... runs packages in parallel) mostly pick
// apart.
var nextTestPort = func() *atomic.Int32 {
	var p atomic.Int32
	p.Store(int32(20000 + os.Getpid()%8000))
	return &p
}()
