package cli

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// --sandbox on login, token and status reaches the running sandbox
// ($COZEAUTH_SANDBOX) in the profile "sandbox", with no base typed, and
// leaves every other profile alone, $COZE_PROFILE's included.
func TestSandboxFlag(t *testing.T) {
	t.Parallel()
	_, base := startSandbox(t)
	dir := t.TempDir()
	key := writeJWTKey(t, dir, "key.pem")
	storeTokens(t, dir, "work", auth.Settings{ClientID: testClient}, freshToken())
	env := map[string]string{"COZEAUTH_SANDBOX": strings.TrimPrefix(base, "http://"), "COZE_PROFILE": "work", "COZE_API_BASE": "https://api.coze.com"}

	res := runCLIWith(t, dir, nil, "", env, "login", "--sandbox", "--app-type", "jwt", "--client-id", sandbox.JWTClientID, "--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", key)
	if res.code != 0 || !strings.Contains(res.stderr, `Sandbox: `+base+`, profile "sandbox"`) {
		t.Fatalf("login --sandbox: exit %d:\n%s", res.code, res.stderr)
	}
	if res := runCLIWith(t, dir, nil, "", env, "token", "--sandbox"); res.code != 0 || strings.TrimSpace(res.stdout) == "" {
		t.Errorf("token --sandbox: exit %d, stdout %q:\n%s", res.code, res.stdout, res.stderr)
	}
	if res := runCLIWith(t, dir, nil, "", env, "status", "--sandbox", "--json"); res.code != 0 || !strings.Contains(res.stdout, `"profile": "sandbox"`) || !strings.Contains(res.stdout, base) {
		t.Errorf("status --sandbox: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	st := auth.NewStore(dir)
	if rec, err := st.Load("work"); err != nil || rec == nil || rec.RefreshToken != oldRefresh {
		t.Errorf("profile work changed: %+v, %v", rec, err)
	}
	if set, ok, err := st.LoadSettings("sandbox"); err != nil || !ok || set.APIBase != base {
		t.Errorf("profile sandbox: %+v %t %v, want API base %s", set, ok, err, base)
	}
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"token", "--sandbox", "--api-base", base}, nil, "drop --api-base"},
		{[]string{"status", "--sandbox", "--region", "cn"}, nil, "drop --region"},
		{[]string{"token", "--sandbox"}, map[string]string{"COZEAUTH_SANDBOX": "api.coze.com:443"}, "not the loopback address"},
	} {
		if res := runCLIWith(t, dir, nil, "", tt.env, tt.args...); res.code != ExitUsage || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s", tt.args, res.code, ExitUsage, tt.want, res.stderr)
		}
	}
	// A hint keeps --sandbox, not the bases it stands for.
	if res := runCLIWith(t, t.TempDir(), nil, "", env, "token", "--sandbox"); !strings.Contains(res.stderr, "not set up: run `cozeauth login --sandbox`") {
		t.Errorf("token --sandbox, not set up: exit %d:\n%s", res.code, res.stderr)
	}
}
