package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aymanbagabas/go-osc52/v2"
	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/probe"
	"github.com/cozeauth/cozeauth/ui"
)

// runWizard is `cozeauth` with no command: the setup wizard and dashboard on
// a terminal, help (and exit 2) anywhere else.
func runWizard(cmd *cobra.Command, g *globals) error {
	out, ok := g.env.Stdout.(*os.File)
	if !ok || !isTerminal(out) {
		cmd.SetOut(g.env.Stderr)
		_ = cmd.Help()
		return &ExitError{Code: ExitUsage, Err: errors.New("no command given, and standard output is not a terminal for the wizard: run one of the commands above")}
	}
	if g.dumbTerminal() {
		return runLineMode(cmd, g) // dumb.go
	}
	var (
		sandboxApprove       func(string) (string, error)
		sandboxApproveDevice func(string) error
		sandboxBase          string
	)
	if g.sandbox {
		cleanup, srv, base, err := g.startSandbox()
		if err != nil {
			return err
		}
		defer cleanup()
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
	if g.sandbox {
		cfg.Storage = "file" // sandbox tokens never go to the system keyring
		if cfg.ClientID == sandbox.PKCEClientID {
			cfg.ClientSecret = "" // a $COZE_CLIENT_SECRET meant for a real app
		}
	}
	headless := auth.HeadlessReason(g.getenv, runtime.GOOS) // the rules of `cozeauth login`
	d := ui.Deps{
		Initial: cfg,
		Services: ui.Services{
			Manager:   func(c auth.Config) *auth.Manager { return g.managerFor(c, st) },
			Prober:    &probe.Prober{UserAgent: auth.UserAgent},
			Browser:   g.systemBrowser(),
			Headless:  headless,
			Clipboard: osc52Copier(out, g.getenv),
			Now:       g.env.Now,
		},
		SandboxHooks: ui.SandboxHooks{
			SandboxBase:   sandboxBase,
			Approve:       sandboxApprove,
			ApproveDevice: sandboxApproveDevice,
		},
	}
	err = ui.Run(cmd.Context(), d)
	g.waitForRefreshes(g.env.Stderr, 35*time.Second)
	return err
}

// waitForRefreshes lets a refresh that is under way finish and save the
// refresh token Coze has rotated, waiting at most limit.
func (g *globals) waitForRefreshes(w io.Writer, limit time.Duration) {
	done := make(chan struct{})
	go func() { g.refreshes.Lock(); close(done) }() // the process exits; never unlocked
	select {
	case <-done:
		return
	case <-time.After(100 * time.Millisecond):
		fmt.Fprintln(w, "Waiting for a token refresh to finish…")
	}
	select {
	case <-done:
	case <-time.After(limit):
		fmt.Fprintln(w, "warning: a token refresh did not finish; if the next command says login required, run `cozeauth login`")
	}
}

// startSandbox starts the embedded fake Coze for `cozeauth --sandbox` and
// points this run at it: every base URL, a throwaway config directory, the
// sandbox's PKCE app and a loopback redirect URI on a free port, unless
// given. The server's Approve and ApproveDevice do what the Approve buttons
// of its consent and device pages do.
func (g *globals) startSandbox() (cleanup func(), srv *sandbox.Server, base string, err error) {
	srv = sandbox.New(sandbox.Options{})
	base, err = srv.Start("127.0.0.1:0")
	if err != nil {
		return nil, nil, "", fmt.Errorf("could not start the sandbox: %w", err)
	}
	dir, err := os.MkdirTemp("", "cozeauth-sandbox-")
	if err != nil {
		srv.Close()
		return nil, nil, "", fmt.Errorf("could not make the sandbox's config directory: %w", err)
	}
	g.apiBase, g.wwwBase, g.configDir = base, base, dir
	if g.clientID == "" {
		g.clientID = sandbox.PKCEClientID
	}
	if g.redirectURI == "" {
		g.redirectURI = "http://127.0.0.1:0/callback" // port 0: a free port; the sandbox accepts any loopback redirect
	}
	cleanup = func() {
		srv.Close()
		os.RemoveAll(dir)
	}
	return cleanup, srv, base, nil
}

// osc52Copier copies to the terminal's clipboard with OSC 52, wrapped for
// tmux and screen. A terminal that does not support OSC 52 ignores it.
func osc52Copier(w io.Writer, getenv func(string) string) func(string) error {
	return func(s string) error {
		seq := osc52.New(s)
		switch {
		case getenv("TMUX") != "":
			seq = seq.Tmux()
		case strings.HasPrefix(getenv("TERM"), "screen"):
			seq = seq.Screen()
		}
		if _, err := seq.WriteTo(w); err != nil {
			return fmt.Errorf("could not write to the terminal: %w", err)
		}
		return nil
	}
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
