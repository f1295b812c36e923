package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
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
