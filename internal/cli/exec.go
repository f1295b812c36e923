package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/internal/proxy"
)

// execOptions are `cozeauth exec`'s own flags and the command it runs.
type execOptions struct {
	useProxy bool
	wsBase   string
	args     []string
}

func newExecCmd(g *globals) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:         "exec [--proxy] -- CMD [ARGS...]",
		GroupID:     groupUse,
		Annotations: annotations("profile region api-base refresh-margin", annEnvToken),
		Short:       "Run a program with a valid token (or a local proxy) in its environment",
		Long: `Run CMD with COZE_API_TOKEN (valid for at least the refresh margin), COZE_API_BASE,
COZE_WWW_BASE and COZE_WS_BASE set for the profile: what the Coze SDKs read.

With --proxy, a proxy (see ` + "`cozeauth proxy --help`" + `) runs on a free loopback port for
as long as CMD does: CMD's COZE_API_BASE and COZE_WS_BASE point at it and its
COZE_API_TOKEN is that proxy's one-time key, so a program that runs for days never
holds a token that expires.

Signals cozeauth receives go to CMD, and CMD's exit status is cozeauth's (128+N when
a signal N ended it). Errors before CMD starts use cozeauth's own exit codes
(4: login required).`,
		Example: `  cozeauth exec -- python script.py          # a script shorter than the token's life
  cozeauth exec --proxy -- node bot.js        # a bot that runs for days`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("exec needs a command to run: cozeauth exec [--proxy] -- CMD [ARGS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.args = args
			return runExec(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.useProxy, "proxy", false, "run a local proxy for CMD's lifetime and give CMD its one-time key instead of a token")
	f.StringVar(&o.wsBase, "ws-base", "", "WebSocket base URL [$COZE_WS_BASE] (default: derived from the API base)")
	f.SetInterspersed(false) // flags after CMD are CMD's
	return cmd
}

// runExec is `cozeauth exec`: the command run with a token, or with a
// proxy of its own, in its environment.
func runExec(ctx context.Context, g *globals, o execOptions) error {
	if o.useProxy {
		return g.execWithProxy(ctx, o.wsBase, o.args)
	}
	return g.execWithToken(ctx, o.wsBase, o.args)
}

// execWithToken runs args with the profile's token in its environment.
func (g *globals) execWithToken(ctx context.Context, wsFlag string, args []string) error {
	st, cfg, err := g.resolved()
	if err != nil {
		return err
	}
	tokens, err := g.proxyTokens(ctx, st, cfg)
	if err != nil {
		return err
	}
	tok, err := tokens.Token(ctx)
	if err != nil {
		return err
	}
	ws, err := g.wsBaseOf(wsFlag, cfg)
	if err != nil {
		return err
	}
	return g.runChild(ctx, args, map[string]string{
		"COZE_API_TOKEN": tok.Value, "COZE_API_BASE": cfg.API(), "COZE_WWW_BASE": cfg.WWW(), "COZE_WS_BASE": ws,
	})
}

// execWithProxy runs args against a proxy of their own, on a free
// loopback port, with a key made for this run only.
func (g *globals) execWithProxy(ctx context.Context, wsFlag string, args []string) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("could not listen on a loopback port for the proxy: %w", err)
	}
	defer ln.Close()
	st, cfg, err := g.resolved()
	if err != nil {
		return err
	}
	key := proxy.NewKey()
	h, err := g.proxyHandler(ctx, st, cfg, wsFlag, key, proxy.AllowedHosts(ln.Addr(), ""), nil)
	if err != nil {
		return err
	}
	// The proxy outlives a signal: it stops when the child has exited.
	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- proxy.Serve(serveCtx, ln, h.Handler, 0) }()
	base := "http://" + ln.Addr().String()
	err = g.runChild(ctx, args, map[string]string{
		"COZE_API_TOKEN": key, "COZE_API_BASE": base, "COZE_WWW_BASE": h.cfg.WWW(), "COZE_WS_BASE": "ws://" + ln.Addr().String(),
	})
	stop()
	<-served
	return err
}

// runChild runs args with env added to ours, passing on the signals we
// get, and returns an error carrying its exit status. A child that could
// not start is our failure (exit 1).
func (g *globals) runChild(ctx context.Context, args []string, env map[string]string) error {
	c := exec.Command(args[0], args[1:]...)
	c.Stdin, c.Stdout, c.Stderr = g.env.Stdin, g.env.Stdout, g.env.Stderr
	c.Env = os.Environ()
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals()...) // exec_signals_*.go
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return fmt.Errorf("could not start %s: %w", args[0], err)
	}
	// From here signals are the child's to act on, and cozeauth waits for
	// it however long it takes: no watchdog ends cozeauth first, which
	// would orphan the child and lose its exit code.
	setSignalGrace(ctx, -1)
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = c.Process.Signal(s)
		case err := <-waited:
			return childExit(err)
		}
	}
}

// childExit turns the child's end into ours: its exit code, or 128+N
// when signal N ended it, as a shell reports it.
func childExit(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return fmt.Errorf("could not wait for the command: %w", err)
		}
		return nil
	}
	code := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return &ExitError{Code: code}
}
