package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

func (e *e2e) configDir() string {
	if d := e.envValue("COZEAUTH_CONFIG_DIR"); d != "" {
		return d
	}
	e.t.Fatal("no config dir")
	return ""
}

// login logs in to the sandbox process as `cozeauth login --paste` would,
// approving on its consent page over HTTP, with the redirect URI the
// sandbox registers by default (nothing listens on it: the address is
// "pasted").
func (e *e2e) login() {
	e.t.Helper()
	m := &auth.Manager{
		Config: auth.Config{Profile: "default", Settings: auth.Settings{
			APIBase: e.base, WWWBase: e.base, ClientID: sandbox.PKCEClientID, RedirectURI: sandbox.DefaultRedirectURIs[0],
		}},
		Store: auth.NewStore(e.configDir()),
	}
	flow, err := m.BeginLogin(false)
	if err != nil {
		e.t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(flow.URL())
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	consent, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err = noFollow.PostForm(e.base+consent.Path, url.Values{"action": {"approve"}, "req": {consent.Query().Get("req")}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	code, err := flow.CodeFromURL(resp.Header.Get("Location"))
	if err != nil {
		e.t.Fatalf("consent page answered %d to %q: %v", resp.StatusCode, resp.Header.Get("Location"), err)
	}
	if _, err := flow.Finish(context.Background(), code); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) setFaults(f sandbox.Faults) sandbox.FaultStats {
	e.t.Helper()
	body, _ := json.Marshal(f)
	resp, err := http.Post(e.base+"/sandbox/faults", "application/json", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sandbox.FaultStats
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

func (e *e2e) faultStats() sandbox.FaultStats {
	e.t.Helper()
	resp, err := http.Get(e.base + "/sandbox/faults")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sandbox.FaultStats
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// Issue 10, row 1: a config directory that cannot take a new file (here a
// read-only bind mount in a private mount namespace) must not log the user
// out. Nothing is sent to Coze; a token that still works is handed out; the
// next command, with the directory writable again, refreshes as usual.
func TestEndToEndReadOnlyConfigDirKeepsTheLogin(t *testing.T) {
	t.Parallel()
	if exec.Command("unshare", "-m", "true").Run() != nil {
		t.Skip("needs unshare -m (root, or a user namespace) for a read-only mount")
	}
	e := startE2E(t, "--access-ttl", "3m") // inside the 5m margin, usable for 3
	e.login()
	dir := e.configDir()
	readOnly := func(args ...string) result {
		script := `mount --bind "$D" "$D" && mount -o remount,bind,ro "$D" && exec "$@"`
		cmd := exec.Command("unshare", append([]string{"-m", "sh", "-c", script, "sh", e.bin}, args...)...)
		return e.runCmd(cmd, []string{"D=" + dir})
	}

	r := readOnly("token")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") || !strings.Contains(r.stderr, "cannot take a new file") || !strings.Contains(r.stderr, "nothing was sent") {
		t.Errorf("token on a read-only config dir: exit %d stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	r = readOnly("refresh")
	if r.code != 1 || !strings.Contains(r.stderr, "nothing was sent") {
		t.Errorf("refresh on a read-only config dir: exit %d\n%s", r.code, r.stderr)
	}
	if st := e.faultStats(); st.TokenRequests != 1 { // the login's exchange only
		t.Errorf("the token endpoint saw %d requests, want only the login's", st.TokenRequests)
	}

	if r := e.run(nil, "token"); r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") {
		t.Errorf("token with the directory writable again: exit %d\n%s", r.code, r.stderr)
	}
	if st := e.stats(); st.Refreshes != 1 || st.RejectedRefreshes != 0 {
		t.Errorf("sandbox: %d refreshes, %d rejected; want 1 and 0", st.Refreshes, st.RejectedRefreshes)
	}
}

// Issue 10, row 5: SIGHUP (a closed terminal, a dropped SSH session) during
// a refresh lets the refresh finish and be saved, like Ctrl-C and SIGTERM.
func TestEndToEndHangupDuringRefreshKeepsTheLogin(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	e.login()
	e.setFaults(sandbox.Faults{Hold: true}) // Coze rotates, the answer is slow

	cmd := exec.Command(e.bin, "refresh")
	cmd.Env = e.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for e.faultStats().Held == 0 { // the refresh is at Coze
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the signal land before the answer; not a limit
	e.setFaults(sandbox.Faults{})     // the answer arrives
	cmd.Wait()
	waitForRefreshers(t, e.bin) // the refresh runs on in its refresher process

	// The rotated refresh token was saved: the next refresh is accepted.
	if r := e.run(nil, "refresh"); r.code != 0 {
		t.Errorf("refresh after the hang-up: exit %d\n%s\n(hung-up process said: %s)", r.code, r.stderr, stderr.String())
	}
	if st := e.stats(); st.RejectedRefreshes != 0 || st.Refreshes != 2 {
		t.Errorf("sandbox: %d refreshes, %d rejected; want 2 and 0", st.Refreshes, st.RejectedRefreshes)
	}
}
