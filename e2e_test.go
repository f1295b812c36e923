package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/testbin"
)

// cozeauthBin and fakeBrowserBin are the binaries the tests run, built
// once per test process.
func cozeauthBin(t testing.TB) string { return binaries.Path(t, testbin.Module) }

func fakeBrowserBin(t testing.TB) string {
	return binaries.Path(t, testbin.Module+"/internal/sandbox/fakebrowser")
}

// e2e runs the real binary against a real sandbox process, as a user would.
type e2e struct {
	t    *testing.T
	bin  string
	base string
	env  []string
}

func startE2E(t *testing.T, sandboxArgs ...string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("builds binaries and runs processes")
	}
	dir := t.TempDir()
	bin, browser := cozeauthBin(t), fakeBrowserBin(t)

	// Coze matches redirect URIs exactly: register a free port's on the
	// sandbox's apps, as a person registers one in the console.
	redirect := "http://" + freeLoopbackAddr(t) + "/callback" // e2e_apps_test.go
	ctx, cancel := context.WithCancel(context.Background())
	srv := exec.CommandContext(ctx, bin, append([]string{"sandbox", "--addr", "127.0.0.1:0", "--quiet", "--redirect-uri", redirect}, sandboxArgs...)...)
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); srv.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox printed no base URL: %v", err)
	}
	e := &e2e{t: t, bin: bin, base: strings.TrimSpace(line)}
	e.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"COZEAUTH_CONFIG_DIR=" + filepath.Join(dir, "config"),
		"BROWSER=" + browser, "FAKEBROWSER_LOG=" + filepath.Join(dir, "browser.log"),
		"COZE_API_BASE=" + e.base, "COZE_WWW_BASE=" + e.base,
		"COZE_REDIRECT_URI=" + redirect,
		"NO_COLOR=1",
	}
	return e
}

type result struct {
	code           int
	stdout, stderr string
}

func (e *e2e) run(extraEnv []string, args ...string) result {
	return e.runCmd(exec.Command(e.bin, args...), extraEnv)
}

func (e *e2e) runCmd(cmd *exec.Cmd, extraEnv []string) result {
	cmd.Env = append(append([]string{}, e.env...), extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("%v: %v", cmd.Args, err)
	}
	return result{code, out.String(), errb.String()}
}

func (e *e2e) stats() sandbox.Stats {
	resp, err := http.Get(e.base + "/sandbox/stats")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s sandbox.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// tokensAtOnce runs n `cozeauth token` processes at the same moment.
func (e *e2e) tokensAtOnce(n int, extraEnv ...string) []result {
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = e.run(extraEnv, "token") })
	}
	wg.Wait()
	return results
}

func TestEndToEndLoginAndConcurrentTokens(t *testing.T) {
	t.Parallel()
	e := startE2E(t, "--access-ttl", "4m") // shorter than the default 5m margin
	login := e.run(nil, "login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if login.code != 0 || !strings.Contains(login.stderr, "Logged in as Sandbox User") {
		t.Fatalf("login exit %d\n%s", login.code, login.stderr)
	}
	if !strings.Contains(login.stderr, "code_challenge_method=S256") {
		t.Errorf("login did not print the authorize URL with an S256 challenge:\n%s", login.stderr)
	}

	// A margin longer than the token's life would make every process
	// refresh (a refresh storm): it is clamped, with one warning each, and
	// the fresh token is handed out.
	inMargin := e.tokensAtOnce(8, "COZEAUTH_REFRESH_MARGIN=20m")
	for i, r := range inMargin {
		if r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") || strings.Count(r.stdout, "\n") != 1 || strings.Count(r.stderr, "refresh margin") != 1 {
			t.Errorf("token process %d: exit %d stdout %q stderr %q", i, r.code, r.stdout, r.stderr)
		}
	}
	st := e.stats()
	if st.RejectedRefreshes != 0 || st.Refreshes != 0 {
		t.Errorf("sandbox saw %d refreshes, %d rejected; want none", st.Refreshes, st.RejectedRefreshes)
	}
	// Every process inside the (default, never clamped but for a short JWT --duration) margin at once:
	// each refreshes under the lock or uses what the one it waited for
	// saved; none sends a refresh token that was rotated away.
	inMargin = e.tokensAtOnce(8)
	for i, r := range inMargin {
		if r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") {
			t.Errorf("token process %d: exit %d stdout %q stderr %q", i, r.code, r.stdout, r.stderr)
		}
	}
	st = e.stats()
	if st.RejectedRefreshes != 0 || st.Refreshes < 1 || st.Refreshes > 8 {
		t.Errorf("sandbox saw %d refreshes, %d rejected; want 1 to 8 and 0", st.Refreshes, st.RejectedRefreshes)
	}

	// With a margin shorter than its life the fresh token is handed out
	// without a call.
	valid := e.tokensAtOnce(8, "COZEAUTH_REFRESH_MARGIN=1m")
	for i, r := range valid {
		if r.code != 0 || r.stdout != valid[0].stdout {
			t.Errorf("token process %d: exit %d stdout %q, want the same token as the others", i, r.code, r.stdout)
		}
	}
	if after := e.stats(); after.Refreshes != st.Refreshes {
		t.Errorf("a valid token caused %d refreshes", after.Refreshes-st.Refreshes)
	}

	status := e.run(nil, "status", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(status.stdout), &got); err != nil || status.code != 0 {
		t.Fatalf("status --json exit %d: %v\n%s", status.code, err, status.stdout)
	}
	for k, want := range map[string]any{"profile": "default", "client_id": sandbox.PKCEClientID, "app_type": "pkce", "logged_in": true, "region": "com"} {
		if got[k] != want {
			t.Errorf("status %s = %v, want %v", k, got[k], want)
		}
	}
	token := strings.TrimSpace(valid[0].stdout)
	if masked, _ := got["access_token"].(string); masked == "" || strings.Contains(status.stdout, token) {
		t.Errorf("status shows the token unmasked or not at all: %q", masked)
	}
	for _, k := range []string{"access_token_expires_at", "refresh_token_expires_at"} {
		if _, err := time.Parse(time.RFC3339, got[k].(string)); err != nil {
			t.Errorf("%s = %v, not RFC 3339", k, got[k])
		}
	}
	fi, err := os.Stat(got["storage"].(string))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file %v mode %v, want 0600", err, fi.Mode())
	}
}

func TestEndToEndWebAppRefreshKeepsSecret(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	login := e.run([]string{"COZE_CLIENT_SECRET=" + sandbox.WebClientSecret}, "login", "--client-id", sandbox.WebClientID, "--browser")
	if login.code != 0 || !strings.Contains(login.stderr, "web app") {
		t.Fatalf("web login exit %d\n%s", login.code, login.stderr)
	}
	// No secret in the environment now: the refresh uses the stored one.
	r := e.run(nil, "refresh", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"app_type": "web"`) {
		t.Fatalf("refresh exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, out := range []string{login.stderr, r.stdout, r.stderr} {
		if strings.Contains(out, sandbox.WebClientSecret) {
			t.Errorf("the client secret was printed:\n%s", out)
		}
	}
	// Logging in again needs no secret: the store kept it for this app.
	again := e.run(nil, "login", "--client-id", sandbox.WebClientID, "--browser")
	if again.code != 0 || !strings.Contains(again.stderr, "web app") {
		t.Errorf("second web login without the secret: exit %d\n%s", again.code, again.stderr)
	}
	settings, _ := os.ReadFile(filepath.Join(strings.TrimPrefix(e.env[2], "COZEAUTH_CONFIG_DIR="), "config.json"))
	if bytes.Contains(settings, []byte(sandbox.WebClientSecret)) || !bytes.Contains(settings, []byte(sandbox.WebClientID)) {
		t.Errorf("settings file should name the app and not hold its secret:\n%s", settings)
	}
}

func TestEndToEndDeniedConsent(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	r := e.run([]string{"FAKEBROWSER_ACTION=deny"}, "login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if r.code != 1 || !strings.Contains(r.stderr, "denied in the browser") {
		t.Fatalf("denied login: exit %d\n%s", r.code, r.stderr)
	}
	if s := e.run(nil, "status"); s.code != 4 {
		t.Errorf("status after a denied login exits %d, want 4", s.code)
	}
}

// With no $BROWSER, github.com/pkg/browser opens the platform's browser
// (xdg-open here), and nothing the launcher prints reaches cozeauth's
// stdout or stderr: main points the library's writers at the null device.
func TestEndToEndDefaultBrowserIsQuiet(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("fakes Linux's xdg-open")
	}
	e := startE2E(t)
	dir := t.TempDir()
	fake := fakeBrowserBin(t)
	script := "#!/bin/sh\necho LAUNCHER-NOISE\necho LAUNCHER-NOISE >&2\nexec " + fake + " \"$1\"\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := e.run([]string{"BROWSER=", "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")},
		"login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if r.code != 0 || !strings.Contains(r.stderr, "Logged in as Sandbox User") {
		t.Fatalf("login exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "LAUNCHER-NOISE") {
		t.Errorf("the launcher's output reached cozeauth's:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
}

// envValue is the value the e2e environment gives key.
func (e *e2e) envValue(key string) string {
	for _, kv := range e.env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v
		}
	}
	return ""
}

// waitForPage waits for the fake browser to log the title of the page the
// login's callback answered it with (it may still be reading it when the
// login's process has ended), and returns every title logged.
func (e *e2e) waitForPage(n int) []string {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(e.envValue("FAKEBROWSER_LOG"))
		var pages []string
		for _, l := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(l, "page: "); ok {
				pages = append(pages, p)
			}
		}
		if len(pages) >= n || time.Now().After(deadline) {
			return pages
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEndToEndBrowserPageTellsTheTruth: the tab the login ends in says
// "Logged in" only after the code exchange worked; with a redirect URI the
// app does not have, it says the login failed, as the terminal does.
func TestEndToEndBrowserPageTellsTheTruth(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	elsewhere := "http://" + freeLoopbackAddr(t) + "/elsewhere" // registered nowhere
	bad := e.run([]string{"COZE_REDIRECT_URI=" + elsewhere}, "login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if bad.code != 1 || !strings.Contains(bad.stderr, "redirect_uri") {
		t.Fatalf("login with an unregistered redirect URI: exit %d\n%s", bad.code, bad.stderr)
	}
	if pages := e.waitForPage(1); len(pages) != 1 || pages[0] != "cozeauth: Login failed" {
		t.Errorf("the browser's tab said %q after a failed exchange, want only \"cozeauth: Login failed\"", pages)
	}
	// No --browser, and no display: $BROWSER (the fake) is still run, as
	// gh runs it, because setting it says how URLs open here.
	good := e.run(nil, "login", "--client-id", sandbox.PKCEClientID, "--timeout", "60s")
	if good.code != 0 || strings.Contains(good.stderr, "No browser was opened") {
		t.Fatalf("login with $BROWSER and no display: exit %d\n%s", good.code, good.stderr)
	}
	// The authorize URL is one unbroken line, for the terminal to wrap: a
	// mouse selection of it is the whole address.
	oneLine := false
	for _, l := range strings.Split(good.stderr, "\n") {
		oneLine = oneLine || strings.Contains(l, "/api/permission/oauth2/authorize?") && strings.Contains(l, "state=") && strings.Contains(l, "code_challenge=") && strings.Contains(l, "redirect_uri=")
	}
	if !oneLine {
		t.Errorf("the authorize URL is not on one line:\n%s", good.stderr)
	}
	if pages := e.waitForPage(2); len(pages) != 2 || pages[1] != "cozeauth: Logged in" {
		t.Errorf("the browser's tabs said %q, want the second \"cozeauth: Logged in\"", pages)
	}
}
