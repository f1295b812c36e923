package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/browser"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/probe"
	"github.com/cozeauth/cozeauth/ui"
)

// runWizard is `cozeauth` with no command: the setup wizard and dashboard on
// a terminal; anywhere else one line saying what to run instead (exit 2).
func runWizard(cmd *cobra.Command, g *globals) error {
	out, ok := g.env.Stdout.(*os.File)
	if !ok || !isTerminal(out) {
		instead := "`cozeauth login` to log in, `cozeauth status` to see the login, or `cozeauth --help` for every command"
		if g.flags.sandbox {
			instead = "`cozeauth sandbox` to serve the fake Coze for other commands, or `cozeauth --sandbox` on a terminal"
		}
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("the wizard needs a terminal and standard output is not one: run %s", instead)}
	}
	if g.dumbTerminal() {
		return runLineMode(cmd, g) // dumb.go
	}
	var (
		sandboxApprove       func(string) (string, error)
		sandboxApproveDevice func(string) error
		sandboxBase          string
	)
	if g.flags.sandbox {
		sg, cleanup, srv, base, err := g.startSandbox()
		if err != nil {
			return err
		}
		defer cleanup()
		g = sg // this run's settings point at the sandbox
		sandboxApprove, sandboxApproveDevice, sandboxBase = srv.Approve, srv.ApproveDevice, base
	}
	st, err := g.store()
	if err != nil {
		return err
	}
	// Nothing may print over the screen: the store's warnings (a keyring
	// that fell back to the file, a token file others can read) are kept
	// and printed when the wizard ends.
	var warnings deferredWarnings
	st.Warn = warnings.add
	defer warnings.print(g.env.Stderr)
	cfg, err := g.config(st)
	if err != nil {
		return err
	}
	var sandboxApps map[auth.AppType]auth.Config
	if g.flags.sandbox {
		cfg.Storage = auth.StorageFile // sandbox tokens never go to the system keyring
		sandboxApps = sandboxAppConfigs()
		if app, ok := sandboxAppFor(sandboxApps, cfg.ClientID); ok {
			// The sandbox prefills the type, and a secret or key meant for
			// a real app is not sent to the fake one.
			cfg.Settings.AppType, cfg.ClientSecret, cfg.PrivateKeyPEM, cfg.JWT = app.Settings.AppType, app.ClientSecret, app.PrivateKeyPEM, app.JWT
		}
	}
	headless := browser.HeadlessReason(g.getenv, runtime.GOOS) // the rules of `cozeauth login`
	targets, err := g.wizardTargets()
	if err != nil {
		return err
	}
	d := ui.Deps{
		Initial: cfg,
		Services: ui.Services{
			Manager:   func(c auth.Config) *auth.Manager { return g.managerFor(c, st) },
			Prober:    &probe.Prober{UserAgent: g.userAgent()},
			Targets:   targets,
			Browser:   g.browser(),
			Headless:  headless,
			Clipboard: clipboardFor(g.getenv, tmuxSetClipboard),
			Now:       g.env.Now,
			Home:      g.homeDir(),
		},
		SandboxHooks: ui.SandboxHooks{
			SandboxBase:   sandboxBase,
			Approve:       sandboxApprove,
			ApproveDevice: sandboxApproveDevice,
			SandboxApps:   sandboxApps,
		},
	}
	outcome, err := ui.Run(cmd.Context(), d)
	g.waitForPending(g.env.Stderr, pendingLimit)
	if err != nil {
		return err
	}
	printOutcome(g.env.Stdout, outcome, summary{profileFlag: profileFlag(cfg.Profile), sandbox: g.flags.sandbox,
		width: g.outputWidth(g.env.Stdout), onPath: commandOnPath("cozeauth", g.getenv("PATH"))})
	return wizardExit(outcome)
}

// homeDir is the user's home directory, for the ~/ of the wizard's path
// fields: $HOME, else what the system says ("" when it cannot say).
func (g *globals) homeDir() string {
	if home := g.getenv("HOME"); home != "" {
		return home
	}
	home, _ := os.UserHomeDir()
	return home
}

// wizardTargets are what the wizard's probe screen probes: what `cozeauth
// probe` would, $COZE_WS_BASE included. Under --sandbox the WebSocket base
// follows the sandbox's, whatever the environment says.
func (g *globals) wizardTargets() (func(api, www, token string) []probe.Target, error) {
	ws := ""
	if !g.flags.sandbox {
		var err error
		if ws, err = wsBaseFlag(g.getenv("COZE_WS_BASE")); err != nil {
			return nil, err
		}
	}
	return func(api, www, token string) []probe.Target {
		return probe.TargetsFor(probe.Bases{API: api, WWW: www, WS: ws}, token, probe.SetAll)
	}, nil
}

// wizardExit is the wizard's exit status: 0 when it ends with a valid
// login, 130 after Ctrl+C, 1 when it is left without a login (so that
// `cozeauth && ./bot` does not run the bot after the user gave up).
func wizardExit(o ui.Outcome) error {
	switch {
	case o.Interrupted:
		return &ExitError{Code: ExitInterrupted}
	case o.Status == nil:
		return &ExitError{Code: ExitFailure}
	}
	return nil
}

// profileFlag is what the next commands need to reach profile: nothing for
// the default one. Every suggested command is built with it. A name read
// from the store may hold anything: it is sanitized.
func profileFlag(profile string) string {
	if profile == "" || profile == "default" {
		return ""
	}
	return " --profile " + coze.Sanitize(profile)
}

// summary is how the wizard's ending is said: the flag the next commands
// need for the profile, whether it was the sandbox, the width to wrap at,
// and whether `cozeauth` is on $PATH for those commands to run (after `go
// run .` it is not).
type summary struct {
	profileFlag string
	sandbox     bool
	width       int
	onPath      bool
}

// notOnPath says how to get the command the summary names.
const notOnPath = "`cozeauth` is not on your PATH yet: run `go install .` in its source tree, which puts it in $(go env GOPATH)/bin (have that on your PATH)."

// printOutcome says on the normal screen, once the wizard's screen is gone,
// how it ended: who is logged in and what to run next, or that nothing was
// saved and how to go on. Lines wrap between words at the width. A login
// still waiting is not repeated: its listener is closed, so its address is
// dead.
func printOutcome(w io.Writer, o ui.Outcome, s summary) {
	profileFlag, sandbox, width := s.profileFlag, s.sandbox, s.width
	say := func(indent, format string, a ...any) {
		fmt.Fprint(w, hangWords(fmt.Sprintf(format, a...), width, indent))
	}
	st := o.Status
	switch {
	case st == nil && sandbox:
		say("", "Sandbox run ended without a login; nothing was saved.")
		say("", "Run `cozeauth --sandbox` to try again, or `cozeauth` for a real app.")
	case st == nil:
		say("", "Nothing was saved: no login finished. Run `cozeauth` again to go on.")
	}
	if st == nil {
		if !s.onPath {
			say("", notOnPath)
		}
		return
	}
	who := "an unknown user"
	if st.User != nil {
		who = st.User.Display()
	}
	if sandbox {
		say("  ", "✓ Sandbox run: logged in as %s.", who)
		say("  ", "  The embedded fake Coze and its throwaway login are gone now.")
		say("", "With a real app (run `cozeauth`), the same next steps work:")
		if !s.onPath {
			say("", notOnPath)
		}
	} else {
		const hang = "           "
		say("  ", "✓ Logged in to Coze as %s (profile %q).", who, st.Profile)
		say(hang, "  app      %s app %s, region %s (%s)", st.AppType, st.ClientID, st.Region, st.APIBase)
		if st.AccessExpiresAt != nil {
			say(hang, "  access   expires %s; refreshed when a token is asked for", st.AccessExpiresAt.Local().Format("2006-01-02 15:04 MST"))
		}
		if st.RefreshExpiresAt != nil {
			say(hang, "  refresh  expires %s: log in again before then", st.RefreshExpiresAt.Local().Format("2006-01-02"))
		}
		if !s.onPath {
			say("", notOnPath)
		}
		say("", "Next:")
	}
	next := [][2]string{
		{"$(cozeauth token" + profileFlag + ")", "a valid access token, in scripts"},
		{"cozeauth api /v1/users/me" + profileFlag, "call the API with it"},
		{"cozeauth status" + profileFlag, "the login's state"},
	}
	col := 26 + len(profileFlag)
	if 2+col+2+len(next[0][1]) > width {
		col = 0 // too narrow for two columns: each command, then what it does
	}
	for _, n := range next {
		if col == 0 {
			say("    ", "  %s", n[0])
			say("      ", "      %s", n[1])
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", col, n[0], n[1])
	}
}

// commandOnPath reports whether an executable named name is in one of the
// directories of path (a $PATH value).
func commandOnPath(name, path string) bool {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		info, err := os.Stat(filepath.Join(dir, name))
		if err == nil && info.Mode().IsRegular() && (runtime.GOOS == "windows" || info.Mode()&0o111 != 0) {
			return true
		}
	}
	return false
}

// startSandbox starts the embedded fake Coze for `cozeauth --sandbox` and
// returns globals that point at it: every base URL, a throwaway config
// directory, the sandbox's PKCE app and a loopback redirect URI on a free
// port, unless given. The server's Approve and ApproveDevice do what the Approve buttons
// of its consent and device pages do.
func (g *globals) startSandbox() (sg *globals, cleanup func(), srv *sandbox.Server, base string, err error) {
	srv = sandbox.New(sandbox.Options{DeviceInterval: g.wizardDeviceInterval()})
	base, err = srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, "", fmt.Errorf("could not start the sandbox: %w", err)
	}
	dir, err := os.MkdirTemp("", "cozeauth-sandbox-")
	if err != nil {
		srv.Close()
		return nil, nil, nil, "", fmt.Errorf("could not make the sandbox's config directory: %w", err)
	}
	redirect, err := sandboxRedirect(g.flags.redirectURI)
	if err != nil {
		srv.Close()
		os.RemoveAll(dir)
		return nil, nil, nil, "", err
	}
	srv.RegisterRedirectURI(redirect) // as a person registers it in the console
	sg = g.with(func(f *sharedFlags, _ *appFlags) {
		f.apiBase, f.wwwBase, f.configDir, f.redirectURI = base, base, dir, redirect
		f.clientID = cmp.Or(f.clientID, sandbox.PKCEClientID)
	})
	cleanup = func() {
		srv.Close()
		os.RemoveAll(dir)
	}
	return sg, cleanup, srv, base, nil
}

// wizardDeviceInterval is the device poll interval of the --sandbox
// wizard's fake Coze: $COZEAUTH_SANDBOX_DEVICE_INTERVAL (a Go duration, as
// `cozeauth sandbox --device-interval` takes), else Coze's 5 s. It lets a
// test of the device login not wait 5 s; a bad value is Coze's default.
func (g *globals) wizardDeviceInterval() time.Duration {
	d, err := time.ParseDuration(g.getenv("COZEAUTH_SANDBOX_DEVICE_INTERVAL"))
	if err != nil {
		return 0
	}
	return d
}

// tmuxClipboardNote is said after a copy inside a tmux whose set-clipboard
// is not on: its default, external, drops what a program sends.
const tmuxClipboardNote = "Inside tmux it arrives only with `tmux set -g set-clipboard on` (or allow-passthrough on)."

// clipboardFor says how the wizard's c key reaches the clipboard from here:
// inside tmux or screen the copy also goes wrapped for passthrough, and the
// note says what a tmux whose set-clipboard is not on needs. tmuxOption
// reads that option (nil: tmux is not asked).
func clipboardFor(getenv func(string) string, tmuxOption func() string) *ui.Clipboard {
	switch {
	case getenv("TMUX") != "":
		c := &ui.Clipboard{Multiplexer: "tmux"}
		if tmuxOption == nil || tmuxOption() != "on" {
			c.Note = tmuxClipboardNote
		}
		return c
	case strings.HasPrefix(getenv("TERM"), "screen"):
		return &ui.Clipboard{Multiplexer: "screen"}
	}
	return &ui.Clipboard{}
}

// tmuxSetClipboard is the running tmux's set-clipboard option, or "" when
// tmux does not say within a second.
func tmuxSetClipboard() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// deferredWarnings collects warnings while the screen is drawn, once each.
type deferredWarnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *deferredWarnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.msgs, msg) {
		w.msgs = append(w.msgs, msg)
	}
}

func (w *deferredWarnings) print(out io.Writer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.msgs {
		fmt.Fprintln(out, m)
	}
}
