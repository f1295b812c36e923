package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/input"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// sandboxed is a profile logged in to the embedded fake Coze, for the
// commands to meet issue 10's faults.
type sandboxed struct {
	t    *testing.T
	sb   *sandbox.Server
	base string
	dir  string
	// tokens are the login's access and refresh tokens, which no output
	// may show.
	tokens []string
}

func loginToSandbox(t *testing.T) *sandboxed {
	t.Helper()
	sb, base := startSandbox(t)
	dir := filepath.Join(t.TempDir(), "config")
	m := &auth.Manager{
		Config: auth.Config{Profile: "default", Settings: auth.Settings{Region: coze.RegionCOM, APIBase: base, WWWBase: base, ClientID: sandbox.PKCEClientID}},
		Store:  auth.NewStore(dir),
		Now:    func() time.Time { return testNow },
	}
	flow, err := m.BeginLogin(false)
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := sb.Approve(flow.URL())
	if err != nil {
		t.Fatal(err)
	}
	code, err := flow.CodeFromURL(redirect)
	if err != nil {
		t.Fatal(err)
	}
	res, err := flow.Finish(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return &sandboxed{t: t, sb: sb, base: base, dir: dir, tokens: []string{res.Record.AccessToken, res.Record.RefreshToken}}
}

// run runs a command at testNow+after (the token lives 15 minutes; the
// margin is 5).
func (s *sandboxed) run(after time.Duration, env map[string]string, args ...string) runResult {
	s.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "COZEAUTH_CONFIG_DIR" {
				return s.dir
			}
			return env[k]
		},
		Now:     func() time.Time { return testNow.Add(after) },
		Sleep:   func(context.Context, time.Duration) error { return nil },
		Version: "test",
	})
	return runResult{code, stdout.String(), stderr.String()}
}

// Row 3: after Coze refuses the refresh token, status exits 4 and says why,
// profiles shows the profile logged out, token exits 4 without calling
// Coze; an explicit refresh that Coze accepts ends it.
func TestRefusalIsRememberedByTheCommands(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	s.sb.SetFaults(sandbox.Faults{RefuseRefresh: true})
	inMargin := 11 * time.Minute

	if r := s.run(inMargin, nil, "token"); r.code != ExitLoginRequired || r.stdout != "" {
		t.Fatalf("first token: exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
	status := s.run(inMargin, nil, "status")
	if status.code != ExitLoginRequired || !strings.Contains(status.stdout, "coze refused the refresh token") || !strings.Contains(status.stdout, "log id") {
		t.Errorf("status: exit %d\n%s", status.code, status.stdout)
	}
	for range 3 {
		if r := s.run(inMargin, nil, "token"); r.code != ExitLoginRequired || !strings.Contains(r.stderr, "cozeauth login") {
			t.Errorf("token: exit %d stderr %s", r.code, r.stderr)
		}
	}
	if n := s.sb.Stats().RejectedRefreshes; n != 1 {
		t.Errorf("Coze refused %d refreshes, want 1: the dead token must not be sent again", n)
	}
	if r := s.run(inMargin, nil, "profiles"); !hasWords(r.stdout, "pkce no 4m left refused") || !strings.Contains(r.stdout, "coze refused the refresh token") {
		t.Errorf("profiles shows the refused profile logged in:\n%s", r.stdout)
	}
	s.sb.SetFaults(sandbox.Faults{})
	if r := s.run(inMargin, nil, "refresh"); r.code != ExitOK {
		t.Fatalf("explicit refresh: exit %d %s", r.code, r.stderr)
	}
	if r := s.run(inMargin, nil, "status"); r.code != ExitOK {
		t.Errorf("status after an accepted refresh: exit %d\n%s", r.code, r.stdout)
	}
}

// Row 4: a run that resolves another API base or region than the one that
// issued the tokens is a usage error naming both, with no call to either.
func TestAnotherIssuerIsAUsageError(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	before := s.sb.FaultStats().TokenRequests
	for _, args := range [][]string{
		{"token", "--api-base", "http://127.0.0.1:9"},
		{"refresh", "--region", "cn"},
		{"token", "--client-id", "9.app.coze"},
		{"api", "/v1/users/me", "--api-base", "http://127.0.0.1:9"},
	} {
		r := s.run(11*time.Minute, nil, args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, s.base) || !strings.Contains(r.stderr, "nothing was sent") {
			t.Errorf("%v: exit %d stderr %s", args, r.code, r.stderr)
		}
	}
	if r := s.run(11*time.Minute, map[string]string{"COZE_API_BASE": "https://api.coze.cn"}, "token"); r.code != ExitUsage || !strings.Contains(r.stderr, "https://api.coze.cn") {
		t.Errorf("leftover COZE_API_BASE: exit %d stderr %s", r.code, r.stderr)
	}
	if after := s.sb.FaultStats().TokenRequests; after != before {
		t.Errorf("%d token requests were sent", after-before)
	}
}

// Row 7: a token file others can read is made 0600 by the next write, with
// one warning, not one per read.
func TestPermissionsFixedWithOneWarning(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	path := filepath.Join(s.dir, "tokens.json")
	os.Chmod(path, 0o644)
	r := s.run(time.Minute, nil, "refresh")
	if r.code != ExitOK || strings.Count(r.stderr, "was open to other users") != 1 {
		t.Errorf("refresh: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tokens.json: %v mode %v", err, fi.Mode())
	}
}

// Row 9: escape sequences in Coze's error reach the terminal escaped.
func TestServerTextIsEscaped(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	s.sb.SetFaults(sandbox.Faults{Status: 400, Message: "nope\x1b[2J\x1b]52;c;ZXZpbA==\x07"})
	r := s.run(time.Minute, nil, "refresh")
	if r.code != ExitLoginRequired || strings.ContainsAny(r.stderr, "\x1b\x07") || !strings.Contains(r.stderr, `\x1b[2J`) {
		t.Errorf("refresh: exit %d stderr %q", r.code, r.stderr)
	}
}

// Row 11: a margin longer than the token's life is clamped with one warning;
// a fresh token is not refreshed.
func TestLongMarginDoesNotRefreshEveryCall(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	env := map[string]string{"COZEAUTH_REFRESH_MARGIN": "20m"}
	for range 4 {
		r := s.run(time.Minute, env, "token")
		if r.code != ExitOK || strings.Count(r.stderr, "refresh margin 20m0s") != 1 {
			t.Errorf("token: exit %d stderr %q", r.code, r.stderr)
		}
	}
	if n := s.sb.Stats().Refreshes; n != 0 {
		t.Errorf("%d refreshes of a fresh token", n)
	}
}

// Row 4, the probe: pointed at another API base, it probes it but skips its
// account check with a note instead of sending the stored token there.
func TestProbeSkipsTheAccountCheckForAnotherIssuer(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	before := s.sb.FaultStats().TokenRequests
	r := s.run(time.Minute, nil, "probe", "--api-base", "http://127.0.0.1:9", "--www-base", "http://127.0.0.1:9", "--timeout", "2s")
	if r.code == ExitUsage || !strings.Contains(r.stderr, "skipping users_me: the stored token was issued by "+s.base) {
		t.Errorf("probe: exit %d\nstderr: %s", r.code, r.stderr)
	}
	if after := s.sb.FaultStats().TokenRequests; after != before {
		t.Errorf("%d token requests were sent", after-before)
	}
}

// Row 1 through `token`: the config directory cannot take the new pair
// after Coze rotated it. With a rescue directory the pair is kept there and
// the next command imports it; with none, the access token is still
// printed and stderr says what happened.
func TestTokenKeepsOrPrintsWhatCouldNotBeSaved(t *testing.T) {
	t.Parallel()
	for _, rescuable := range []bool{true, false} {
		t.Run(map[bool]string{true: "rescued", false: "lost"}[rescuable], func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "config")
			var broke func()
			var sent []string // the refresh tokens Coze was sent
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]string
				json.NewDecoder(r.Body).Decode(&body)
				sent = append(sent, body["refresh_token"])
				broke() // the disk fills up while Coze rotates the refresh token
				fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"refresh_token":%q}`, newAccess, testNow.Add(15*time.Minute).Unix(), newRefresh)
			}))
			t.Cleanup(srv.Close)
			storeTokens(t, dir, "default", auth.Settings{APIBase: srv.URL, ClientID: "1.app.coze"}, &auth.Token{
				AccessToken: oldAccess, RefreshToken: oldRefresh, Expiry: testNow.Add(30 * time.Second), IssuedAt: testNow.Add(-15 * time.Minute),
			})
			broke = func() {
				os.Remove(filepath.Join(dir, "tokens.json"))
				os.Mkdir(filepath.Join(dir, "tokens.json"), 0o700)
			}
			nowhere := filepath.Join(t.TempDir(), "file")
			os.WriteFile(nowhere, nil, 0o600)
			env := map[string]string{"XDG_STATE_HOME": filepath.Join(t.TempDir(), "state"), "TMPDIR": nowhere}
			if !rescuable {
				env["XDG_STATE_HOME"], env["HOME"] = nowhere, nowhere
			}
			s := &sandboxed{t: t, dir: dir}
			r := s.run(0, env, "token")
			if r.stdout != newAccess+"\n" {
				t.Errorf("stdout %q, want the new access token", r.stdout)
			}
			if rescuable {
				if r.code != ExitOK || !strings.Contains(r.stderr, "the next cozeauth command using this config directory imports") {
					t.Errorf("exit %d stderr %s", r.code, r.stderr)
				}
				os.Remove(filepath.Join(dir, "tokens.json")) // the directory is fixed
				broke = func() {}
				if r := s.run(0, env, "status", "--json"); r.code != ExitOK || !strings.Contains(r.stdout, `"logged_in": true`) {
					t.Errorf("after the fix: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				if r := s.run(0, env, "token"); r.stdout != newAccess+"\n" {
					t.Errorf("token after the fix: %q %s", r.stdout, r.stderr)
				}
				if r := s.run(0, env, "refresh"); r.code != ExitOK || len(sent) != 2 || sent[1] != newRefresh {
					t.Errorf("refresh after the fix: exit %d, sent %q (want the rescued %s)\n%s", r.code, sent, newRefresh, r.stderr)
				}
				if data, err := os.ReadFile(filepath.Join(dir, "tokens.json")); err != nil || strings.Contains(string(data), oldRefresh) {
					t.Errorf("tokens.json after the import: %v", err)
				}
				return
			}
			if r.code != ExitFailure || !strings.Contains(r.stderr, "could not be saved") || !strings.Contains(r.stderr, "cozeauth login") {
				t.Errorf("exit %d stderr %s", r.code, r.stderr)
			}
		})
	}
}

// Row 9's bound on pasted input: a line over 64 KiB is refused with a clear
// error, not read into memory whole or echoed.
func TestPastedInputIsBounded(t *testing.T) {
	t.Parallel()
	huge := "http://localhost:8080/callback?code=" + strings.Repeat("c", input.MaxPaste) + "\n"
	r := runCLI(t, t.TempDir(), nil, huge, "login", "--paste", "--client-id", "7420000000000000001.app.coze", "--api-base", "http://127.0.0.1:9", "--www-base", "http://127.0.0.1:9")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "longer than any address") || strings.Contains(r.stderr, "cccc") {
		t.Errorf("exit %d stderr %.300s", r.code, r.stderr)
	}
}
