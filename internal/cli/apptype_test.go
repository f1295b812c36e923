package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/input"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// runAfter runs another command against the login's sandbox and config.
func (r *loginRun) runAfter(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	all := map[string]string{"COZEAUTH_CONFIG_DIR": r.dir, "COZE_API_BASE": r.base, "COZE_WWW_BASE": r.base}
	for k, v := range env {
		all[k] = v
	}
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return all[k] },
		Now:    r.clock.Now, Sleep: r.clock.Sleep, Version: "test",
		StdinIsTerminal: func() bool { return false },
	})
	return code, out.String(), errb.String()
}

// A device app end to end: the login saves the type, the device token
// refreshes like a PKCE one, and a browser login is then a usage error.
func TestDeviceAppLoginRefreshStatus(t *testing.T) {
	t.Parallel()
	r := startDeviceLogin(t, &fakeClock{})
	code := strings.ReplaceAll(waitFor(t, r.stderr, userCode), " ", "")
	if err := r.srv.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	if got := r.exit(t); got != 0 {
		t.Fatalf("device login exit %d\n%s", got, r.stderr)
	}
	if c, _, stderr := r.runAfter(t, nil, "refresh"); c != 0 || r.srv.Stats().Refreshes != 1 {
		t.Fatalf("refresh: exit %d, %d refreshes\n%s", c, r.srv.Stats().Refreshes, stderr)
	}
	c, out, _ := r.runAfter(t, nil, "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil || c != 0 || st["app_type"] != "device" || st["client_id"] != sandbox.DeviceClientID {
		t.Errorf("status: exit %d %v\n%s", c, err, out)
	}
	c, _, stderr := r.runAfter(t, nil, "login", "--browser")
	if c != ExitUsage || !strings.Contains(stderr, "pkce or web app") {
		t.Errorf("browser login of a saved device app: exit %d\n%s", c, stderr)
	}
	// profiles --json reports the type too.
	c, out, _ = r.runAfter(t, nil, "profiles", "--json")
	if c != 0 || !strings.Contains(out, `"app_type": "device"`) {
		t.Errorf("profiles --json: exit %d\n%s", c, out)
	}
}

// --workspace-id sends the device login to the workspace path and is saved
// in the profile, so the next login keeps it.
func TestDeviceLoginInAWorkspace(t *testing.T) {
	t.Parallel()
	r := startLoginEnv(t, &fakeClock{}, map[string]string{"COZE_CLIENT_ID": sandbox.DeviceClientID}, "--app-type", "device", "--workspace-id", "7480000000000000001")
	code := strings.ReplaceAll(waitFor(t, r.stderr, userCode), " ", "")
	if err := r.srv.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	if got := r.exit(t); got != 0 {
		t.Fatalf("exit %d\n%s", got, r.stderr)
	}
	if n := r.srv.Stats().WorkspaceRequests; n != 1 {
		t.Errorf("%d device codes asked on the workspace path, want 1", n)
	}
	set, _, err := auth.NewStore(r.dir).LoadSettings("default")
	if err != nil || set.WorkspaceID != "7480000000000000001" || set.AppType != auth.AppDevice {
		t.Errorf("saved settings %+v, %v", set, err)
	}
	c, out, _ := r.runAfter(t, nil, "status", "--json")
	if c != 0 || !strings.Contains(out, `"workspace_id": "7480000000000000001"`) {
		t.Errorf("status: exit %d\n%s", c, out)
	}
}

// Whatever is wrong with the file given to login --config is the caller's
// to fix: a usage error (exit 2) that names the file, before any network call.
func TestLoginConfigFileUnusable(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body, want string }{
		{"missing field", `{"client_type":"web","client_id":"1.app.coze"}`, `"client_secret"`},
		{"unknown client type", `{"client_type":"service","client_id":"1.app.coze"}`, "client_type"},
		{"not JSON", `client_id=1.app.coze`, "not the console's JSON config file"},
		{"a JSON array", `[]`, "not the console's JSON config file"},
		{"no such file", "", "downloaded from the app's page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "coze_oauth_config.json")
			if tt.body != "" {
				if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res := runCLIEnv(t, dir, nil, nil, "login", "--config", path)
			if res.code != ExitUsage || !strings.Contains(res.stderr, tt.want) || !strings.Contains(res.stderr, path) {
				t.Errorf("exit %d, want %d and %q and the path in:\n%s", res.code, ExitUsage, tt.want, res.stderr)
			}
		})
	}
}

// JWT login flags that cannot work are usage errors, before any network
// call (no Coze is running here).
func TestJWTLoginUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := writeJWTKey(t, dir, "private_key.pem")
	jwt := []string{"login", "--api-base", "http://127.0.0.1:9", "--app-type", "jwt", "--client-id", sandbox.JWTClientID,
		"--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", key}
	tests := []struct {
		name string
		args []string
		want string
	}{
		// A workspace scopes the authorize and device-code paths, which a JWT app never uses.
		{"workspace for a jwt app", []string{"--workspace-id", "7480000000000000001"}, "--scope-file"},
		{"duration under a minute", []string{"--duration", "30s"}, "at least a minute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLIEnv(t, dir, nil, nil, append(append([]string{}, jwt...), tt.args...)...)
			if res.code != ExitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q:\n%s", res.code, ExitUsage, tt.want, res.stderr)
			}
		})
	}
}

// $COZE_JWT_DURATION is for jwt apps: a value Coze would refuse is a usage
// error there, but must not stop `token` of a pkce profile on the same
// machine.
func TestJWTDurationEnvironmentIsForJWTApps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, AppType: auth.AppPKCE}, freshToken())
	res := runCLIEnv(t, dir, nil, map[string]string{"COZE_JWT_DURATION": "25h"}, "token")
	if res.code != 0 || res.stdout != oldAccess+"\n" {
		t.Errorf("token of a pkce profile with COZE_JWT_DURATION=25h: exit %d\n%s", res.code, res.stderr)
	}
}

// The files named by --config, --scope-file and --private-key-file are
// read only when they are regular files of at most 64 KiB: /dev/zero or a
// FIFO would hang the command, so a device is refused before it is opened,
// with what to pass instead, and so is a file too large to be one of them.
func TestInputFilesAreBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := writeJWTKey(t, dir, "private_key.pem")
	// Valid JSON padded past the bound (a web app without its secret, so that
	// without the bound it ends in a quick usage error, not a login).
	huge := filepath.Join(dir, "huge.json")
	body := `{"client_type":"web","client_id":"` + testClient + `"` + strings.Repeat(" ", input.MaxFile) + `}`
	if err := os.WriteFile(huge, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	jwt := func(keyFile string, more ...string) []string {
		return append([]string{"login", "--api-base", "http://127.0.0.1:9", "--app-type", "jwt", "--client-id", sandbox.JWTClientID,
			"--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", keyFile}, more...)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"--config a device", []string{"login", "--config", os.DevNull},
			[]string{"--config: " + os.DevNull + " is a device, not a regular file", "pass the coze_oauth_config.json"}},
		{"--config too large", []string{"login", "--config", huge},
			[]string{"--config: " + huge + " is larger than 64 KiB"}},
		{"--scope-file a device", jwt(key, "--scope-file", os.DevNull),
			[]string{"--scope-file: " + os.DevNull + " is a device, not a regular file", "save the content to a file"}},
		{"--private-key-file a device", jwt(os.DevNull),
			[]string{os.DevNull + " cannot be read (" + os.DevNull + " is a device, not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLIEnv(t, dir, nil, nil, tt.args...)
			if res.code != ExitUsage {
				t.Errorf("exit %d, want %d:\n%s", res.code, ExitUsage, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
		})
	}
}
