package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
)

// A login that would replace a profile's tokens with ones for another app
// or API base asks first on a terminal and needs --force elsewhere.
func TestLoginWouldReplaceTokens(t *testing.T) {
	const other = "7420000000000000009.app.coze"
	tests := []struct {
		name     string
		args     []string
		terminal bool
		stdin    string
		wantCode int
		want     string // on stderr
	}{
		{"another API base", []string{"--api-base", "http://127.0.0.1:9"}, false, "", ExitUsage,
			`profile "default" holds tokens of app ` + testClient + ` at https://api.coze.com; this login is for app ` + testClient + ` at http://127.0.0.1:9, and would replace them: pass --force`},
		{"another app", []string{"--client-id", other}, false, "", ExitUsage, "this login is for app " + other + " at https://api.coze.com"},
		{"--force", []string{"--client-id", other, "--force"}, false, "", ExitFailure, "no address was pasted"},
		{"the same app and API base", nil, false, "", ExitFailure, "no address was pasted"},
		{"terminal, no", []string{"--client-id", other}, true, "n\n", ExitFailure, `Replace them? The old refresh token cannot be got back. [y/N] cozeauth: nothing changed: profile "default" keeps its tokens`},
		{"terminal, no answer", []string{"--client-id", other}, true, "", ExitFailure, "nothing changed"},
		{"terminal, yes", []string{"--client-id", other}, true, "y\n", ExitFailure, "Open this address in a browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			storeTokens(t, dir, "default", auth.Settings{ClientID: testClient}, freshToken())
			res := runTerm(t, dir, tt.terminal, tt.stdin, nil, append([]string{"login", "--paste"}, tt.args...)...)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", res.code, tt.wantCode, res.stderr)
			}
			if !strings.Contains(res.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, res.stderr)
			}
			rec, err := auth.NewStore(dir).Load("default")
			if err != nil || rec == nil || rec.RefreshToken != oldRefresh {
				t.Errorf("the stored tokens changed: %+v, %v", rec, err)
			}
		})
	}
}

// A profile logged in already with the same app is logged in again only
// after a yes on a terminal; --force and a script do not ask.
func TestLoginAlreadyLoggedIn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		terminal bool
		stdin    string
		wantCode int
		want     string // on stderr
		notWant  string
	}{
		{"terminal, no", nil, true, "n\n", ExitFailure, `Profile "default" is already logged in; log in again? [y/N] cozeauth: nothing changed: profile "default" stays logged in`, "Open this address"},
		{"terminal, no answer", nil, true, "", ExitFailure, "stays logged in", "Open this address"},
		{"terminal, yes", nil, true, "y\n", ExitFailure, "log in again? [y/N] Open this address in a browser", ""},
		{"terminal, --force", []string{"--force"}, true, "", ExitFailure, "Open this address", "log in again?"},
		{"no terminal", nil, false, "", ExitFailure, "Open this address", "log in again?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			storeTokens(t, dir, "default", auth.Settings{ClientID: testClient}, freshToken())
			res := runTerm(t, dir, tt.terminal, tt.stdin, nil, append([]string{"login", "--paste"}, tt.args...)...)
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.want) || tt.notWant != "" && strings.Contains(res.stderr, tt.notWant) {
				t.Errorf("exit %d, want %d, %q and not %q in:\n%s", res.code, tt.wantCode, tt.want, tt.notWant, res.stderr)
			}
		})
	}
}

// An answer read from standard input takes its line and nothing more: the
// address pasted after a [y/N] answer is still there for the login.
func TestReadLineLeavesTheNextLine(t *testing.T) {
	t.Parallel()
	in := strings.NewReader("y\nhttp://localhost:8080/callback?code=c\n")
	for _, want := range []string{"y\n", "http://localhost:8080/callback?code=c\n"} {
		if got, err := readLine(context.Background(), in); err != nil || got != want {
			t.Errorf("readLine = %q, %v; want %q", got, err, want)
		}
	}
}
