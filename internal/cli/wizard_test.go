package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/probe"
	"github.com/cozeauth/cozeauth/ui"
)

func TestWizardExit(t *testing.T) {
	t.Parallel()
	status := &auth.Status{Profile: "default", LoggedIn: true}
	for _, tt := range []struct {
		name string
		o    ui.Outcome
		want int
	}{
		{"valid login", ui.Outcome{Status: status}, ExitOK},
		{"left without a login", ui.Outcome{}, ExitFailure},
		{"ctrl+c without a login", ui.Outcome{Interrupted: true}, ExitInterrupted},
		{"ctrl+c with a login", ui.Outcome{Interrupted: true, Status: status}, ExitInterrupted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := ExitOK
			if err := wizardExit(tt.o); err != nil {
				got = exitCode(err)
				if err.Error() != "" {
					t.Errorf("the exit prints %q; the summary already said it", err)
				}
			}
			if got != tt.want {
				t.Errorf("exit %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPrintOutcome(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 1, 2, 3, 4, 0, 0, time.Local)
	rexp := exp.Add(30 * 24 * time.Hour)
	st := &auth.Status{Profile: "work", Region: coze.RegionCOM, APIBase: "https://api.coze.com", ClientID: "7420000000000000001.app.coze",
		AppType: auth.AppPKCE, LoggedIn: true, AccessExpiresAt: &exp, RefreshExpiresAt: &rexp,
		User: &coze.User{UserID: "1", UserName: "ada", NickName: "Ada"}}
	for _, tt := range []struct {
		name    string
		o       ui.Outcome
		sandbox bool
		want    []string
		not     []string
	}{
		{"logged in", ui.Outcome{Status: st}, false,
			[]string{"Logged in to Coze as Ada (@ada) (profile \"work\")", "pkce app 7420000000000000001.app.coze, region com",
				"expires 2026-01-02 03:04", "expires 2026-02-01", "$(cozeauth token --profile work)", "cozeauth api /v1/users/me --profile work", "cozeauth status --profile work"},
			[]string{"Nothing was saved", "sandbox"}},
		{"sandbox", ui.Outcome{Status: st}, true,
			[]string{"Sandbox run: logged in as Ada (@ada)", "throwaway login are gone", "With a real app", "$(cozeauth token --profile work)"},
			[]string{"Nothing was saved"}},
		{"no login", ui.Outcome{}, false, []string{"Nothing was saved", "Run `cozeauth` again"}, []string{"cozeauth token", "address", "https://", "go install"}},
	} {
		for _, width := range []int{80, 60} {
			t.Run(fmt.Sprintf("%s at %d columns", tt.name, width), func(t *testing.T) {
				var b bytes.Buffer
				printOutcome(&b, tt.o, summary{profileFlag: profileFlag(profileOf(tt.o)), sandbox: tt.sandbox, width: width, onPath: true})
				// What the test looks for may be wrapped between words.
				joined := strings.Join(strings.Fields(b.String()), " ")
				for _, w := range tt.want {
					if !strings.Contains(b.String(), w) && !strings.Contains(joined, strings.Join(strings.Fields(w), " ")) {
						t.Errorf("lacks %q:\n%s", w, b.String())
					}
				}
				for _, w := range tt.not {
					if strings.Contains(b.String(), w) {
						t.Errorf("has %q:\n%s", w, b.String())
					}
				}
				for _, l := range strings.Split(b.String(), "\n") {
					if len([]rune(l)) > width && !strings.HasPrefix(l, "https://") {
						t.Errorf("line wider than %d columns: %q", width, l)
					}
				}
			})
		}
	}
}

func profileOf(o ui.Outcome) string {
	if o.Status == nil {
		return ""
	}
	return o.Status.Profile
}

// TestClipboardFor: inside tmux or screen the copy also goes wrapped, and a
// tmux whose set-clipboard is not on gets a note saying what it needs.
func TestClipboardFor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
		tmux string
		want ui.Clipboard
	}{
		{"terminal", map[string]string{"TERM": "xterm-256color"}, "", ui.Clipboard{}},
		{"tmux, set-clipboard on", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}, "on", ui.Clipboard{Multiplexer: "tmux"}},
		{"tmux, its default", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}, "external", ui.Clipboard{Multiplexer: "tmux", Note: tmuxClipboardNote}},
		{"tmux that does not answer", map[string]string{"TMUX": "/tmp/tmux-0/default,1,0"}, "", ui.Clipboard{Multiplexer: "tmux", Note: tmuxClipboardNote}},
		{"screen", map[string]string{"TERM": "screen"}, "", ui.Clipboard{Multiplexer: "screen"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := clipboardFor(func(k string) string { return tt.env[k] }, func() string { return tt.tmux })
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestInterruptedExits130: a command that Ctrl+C or SIGTERM ends (its
// context cancelled) exits 130 and says so, like the wizard after Ctrl+C.
func TestInterruptedExits130(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := auth.NewStore(dir)
	l, err := st.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = l.Save("default", &auth.Record{Token: auth.Token{AccessToken: "czu_interrupted_test", RefreshToken: "r",
		Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(24 * time.Hour), IssuedAt: now}})
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSettings("default", auth.Settings{ClientID: "7000000000000000001.app.coze", APIBase: "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"api", "/v1/users/me"},
		{"status", "--check"},
		{"status", "--all", "--check"},
		{"probe", "--www-base", "http://127.0.0.1:1"},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(ctx, args, &Env{
			Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string {
				if k == "COZEAUTH_CONFIG_DIR" {
					return dir
				}
				return ""
			},
			Now: time.Now, Version: "test",
		})
		if code != ExitInterrupted || !strings.Contains(strings.ToLower(stderr.String()), "interrupted") {
			t.Errorf("%v: exit %d, stderr %q; want %d and a word that it was interrupted", args, code, stderr.String(), ExitInterrupted)
		}
	}
}

// The wizard's probe screen probes what `cozeauth probe` would: the ws host
// of $COZE_WS_BASE when set, except under --sandbox, whose ws base is its own.
func TestWizardTargets(t *testing.T) {
	t.Parallel()
	wsURL := func(ts []probe.Target) string {
		for _, tg := range ts {
			if tg.Name == "ws_chat" {
				return tg.URL
			}
		}
		return ""
	}
	for _, tt := range []struct {
		name    string
		env     string
		sandbox bool
		want    string
		code    int
	}{
		{"derived from the API base", "", false, "wss://ws.coze.com/v1/chat", ExitOK},
		{"$COZE_WS_BASE", "wss://ws.gateway.example/", false, "wss://ws.gateway.example/v1/chat", ExitOK},
		{"sandbox ignores $COZE_WS_BASE", "wss://ws.gateway.example", true, "ws://127.0.0.1:8808/v1/chat", ExitOK},
		{"not a ws URL", "ftp://x", false, "", ExitUsage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &globals{env: &Env{Getenv: func(k string) string { return map[string]string{"COZE_WS_BASE": tt.env}[k] }}, flags: sharedFlags{sandbox: tt.sandbox}, run: &runState{}}
			targets, err := g.wizardTargets()
			if code := exitCodeOrOK(err); code != tt.code {
				t.Fatalf("exit %d (%v), want %d", code, err, tt.code)
			}
			if err != nil {
				return
			}
			api := "https://api.coze.com"
			if tt.sandbox {
				api = "http://127.0.0.1:8808"
			}
			if got := wsURL(targets(api, api, "")); got != tt.want {
				t.Errorf("ws_chat at %q, want %q", got, tt.want)
			}
		})
	}
}

func exitCodeOrOK(err error) int {
	if err == nil {
		return ExitOK
	}
	return exitCode(err)
}

// TestPrintOutcomeNotOnPath: after `go run .` there is no cozeauth on the
// PATH for the next steps the summary names: it says how to get one.
func TestPrintOutcomeNotOnPath(t *testing.T) {
	t.Parallel()
	st := &auth.Status{Profile: "default", AppType: auth.AppPKCE, LoggedIn: true}
	for _, tt := range []struct {
		name    string
		o       ui.Outcome
		sandbox bool
	}{
		{"sandbox login", ui.Outcome{Status: st}, true},
		{"sandbox without a login", ui.Outcome{}, true},
		{"real login", ui.Outcome{Status: st}, false},
		{"no login", ui.Outcome{}, false},
	} {
		for _, onPath := range []bool{false, true} {
			var b bytes.Buffer
			printOutcome(&b, tt.o, summary{sandbox: tt.sandbox, width: 80, onPath: onPath})
			says := strings.Contains(strings.Join(strings.Fields(b.String()), " "), "run `go install .` in its source tree")
			if says == onPath {
				t.Errorf("%s, cozeauth on the PATH %v: says go install %v:\n%s", tt.name, onPath, says, b.String())
			}
		}
	}
}

func TestCommandOnPath(t *testing.T) {
	t.Parallel()
	dir, other := t.TempDir(), t.TempDir()
	name := "cozeauth"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(other, name), 0o755); err != nil { // a directory is not a command
		t.Fatal(err)
	}
	list := string(filepath.ListSeparator)
	for path, want := range map[string]bool{
		dir:                 true,
		other + list + dir:  true,
		other:               false,
		"":                  false,
		list + other + list: false,
	} {
		if got := commandOnPath("cozeauth", path); got != want {
			t.Errorf("commandOnPath(%q) = %v, want %v", path, got, want)
		}
	}
}
