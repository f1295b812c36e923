package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/cozeauth/cozeauth/auth"
)

// Bare cozeauth with TERM=dumb on a terminal prints lines, never the
// full-screen wizard: the status when logged in, else the line-mode login.
func TestDumbTerminalRunsLineMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stored   bool
		args     []string
		wantCode int
		wantOut  string // on the terminal
		wantErr  string
	}{
		{"logged in: the status", true, nil, ExitOK, "Logged in:       yes", "TERM=dumb: no full-screen dashboard here; the status instead."},
		{"not set up: login asks for a client id", false, nil, ExitUsage, "", "the line-mode `cozeauth login`.\ncozeauth: no client id: pass --client-id"},
		{"--sandbox: refused", false, []string{"--sandbox"}, ExitUsage, "", "TERM=dumb cannot show"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.stored {
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient}, freshToken())
			}
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			var screen bytes.Buffer
			read := make(chan struct{})
			go func() { io.Copy(&screen, ptmx); close(read) }()
			var stderr bytes.Buffer
			code := Run(context.Background(), tt.args, &Env{
				Stdin: strings.NewReader(""), Stdout: tty, Stderr: &stderr,
				Getenv: func(k string) string {
					return map[string]string{"COZEAUTH_CONFIG_DIR": dir, "TERM": "dumb"}[k]
				},
				Now: func() time.Time { return testNow },
			})
			tty.Close()
			<-read
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.wantCode, stderr.String())
			}
			out := screen.String()
			if strings.Contains(out, "\x1b[") {
				t.Errorf("escape sequences on a dumb terminal: %q", out)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("terminal lacks %q:\n%s", tt.wantOut, out)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
}

// TestDumbTerminalWrapsBetweenWords: a dumb terminal wraps mid-word, so what
// line mode says itself comes wrapped between words at the terminal's width.
func TestDumbTerminalWrapsBetweenWords(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	go io.Copy(io.Discard, ptmx)
	defer tty.Close()
	code := Run(context.Background(), []string{"--sandbox"}, &Env{
		Stdin: strings.NewReader(""), Stdout: tty, Stderr: &stderr,
		Getenv: func(k string) string { return map[string]string{"TERM": "dumb", "COLUMNS": "40"}[k] },
		Now:    func() time.Time { return testNow },
	})
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	want := "cozeauth: --sandbox draws the full-screen wizard, which TERM=dumb cannot show: run `cozeauth sandbox` and log in to it with the `cozeauth login --profile sandbox …` it prints"
	if got := strings.Join(strings.Fields(stderr.String()), " "); got != want {
		t.Errorf("stderr says %q, want %q", got, want)
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) < 3 {
		t.Errorf("not wrapped at 40 columns:\n%s", stderr.String())
	}
	for _, l := range lines {
		// A backquoted command is never broken, so it alone may be wider.
		if len([]rune(l)) > 40 && !strings.Contains(l, "`cozeauth login --profile sandbox …`") {
			t.Errorf("line wider than 40 columns: %q", l)
		}
	}
}

// On a dumb terminal where a person can type, a profile with no client id
// is asked for it and for the app type, and the login goes on with them,
// instead of ending in a usage error.
func TestDumbTerminalAsksForTheApp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stdin string
		wantCode    int
		want        []string
	}{
		{"answered", testClient + "\ndevice\n", ExitFailure, []string{"Client id of your Coze OAuth app", "App type: pkce, web, device or jwt", "could not start the device login"}},
		{"no client id", "\n", ExitUsage, []string{"no client id given"}},
		{"a wrong type", testClient + "\nservice\n", ExitUsage, []string{`app type "service"`}},
		{"no answer", "", ExitUsage, []string{"no answer to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal: %v", err)
			}
			defer ptmx.Close()
			go io.Copy(io.Discard, ptmx)
			var stderr bytes.Buffer
			code := Run(context.Background(), []string{"--api-base", "http://127.0.0.1:9"}, &Env{
				Stdin: strings.NewReader(tt.stdin), Stdout: tty, Stderr: &stderr,
				StdinIsTerminal: func() bool { return true },
				Getenv: func(k string) string {
					return map[string]string{"COZEAUTH_CONFIG_DIR": dir, "TERM": "dumb"}[k]
				},
				Now: func() time.Time { return testNow },
			})
			tty.Close()
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.wantCode, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), "no client id: pass --client-id") {
				t.Errorf("ended in the usage error instead of asking:\n%s", stderr.String())
			}
		})
	}
}
