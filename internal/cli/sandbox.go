package cli

import (
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

func newSandboxCmd(g *globals) *cobra.Command {
	var (
		addr  string
		opts  sandbox.Options
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve a fake Coze on loopback for offline use and tests",
		Long: `Serve the embedded fake Coze on this machine only: the consent page (Approve and
Deny buttons), the token endpoint (PKCE and web apps, rotation), device login,
/v1/users/me, /v3/chat, /v1/workflow/run, /v1/workspaces, the WebSocket chat
handshake on /v1/chat and every probe target. One base URL serves as
--api-base, --www-base and (as ws://) the WebSocket base. Its apps:

  PKCE app:  ` + sandbox.PKCEClientID + `
  web app:   ` + sandbox.WebClientID + `  secret ` + sandbox.WebClientSecret,
		Example: `  cozeauth sandbox --addr 127.0.0.1:8808 &
  cozeauth login --profile sandbox --api-base http://127.0.0.1:8808 \
    --www-base http://127.0.0.1:8808 --client-id ` + sandbox.PKCEClientID + `
  cozeauth token --profile sandbox`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			host, _, err := net.SplitHostPort(addr)
			if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return usageError("--addr %q must be a loopback address with a port, like 127.0.0.1:8808 (the sandbox never listens beyond this machine)", addr)
			}
			if !quiet {
				opts.Log = g.env.Stderr
			}
			srv := sandbox.New(opts)
			base, err := srv.Start(addr)
			if err != nil {
				return fmt.Errorf("could not start the sandbox on %s: %w", addr, err)
			}
			defer srv.Close()
			fmt.Fprintln(g.env.Stdout, base)
			// --profile sandbox: a sandbox login must never replace a real profile's tokens.
			fmt.Fprintf(g.env.Stderr, "Sandbox Coze at %s (Ctrl-C stops it). Try, in a profile of its own:\n  cozeauth login --profile sandbox --api-base %s --www-base %s --client-id %s\n", base, base, base, sandbox.PKCEClientID)
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8808", "loopback address to listen on (port 0 picks a free one)")
	f.DurationVar(&opts.AccessTTL, "access-ttl", 15*time.Minute, "life of the access tokens it issues")
	f.DurationVar(&opts.ProbeDelay, "probe-delay", 0, "wait this long before answering each probe target")
	f.StringArrayVar(&opts.FailPaths, "fail-path", nil, "close the connection without answering requests to this path (repeatable)")
	f.BoolVar(&quiet, "quiet", false, "do not log requests")
	return cmd
}
