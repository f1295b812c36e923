package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/proxy"
)

// defaultProxyListen is where `cozeauth proxy` listens by default.
const defaultProxyListen = "127.0.0.1:8899"

// proxyOptions are `cozeauth proxy`'s own flags.
type proxyOptions struct {
	listen, wsBase  string
	printKey, quiet bool
}

func newProxyCmd(g *globals) *cobra.Command {
	var o proxyOptions
	cmd := &cobra.Command{
		Use:         "proxy",
		GroupID:     groupUse,
		Annotations: annotations("profile region api-base refresh-margin", annEnvToken),
		Short:       "Serve the Coze API on a local port, adding a valid token to every request",
		Long: `Listen on a loopback port and forward every request to the profile's API base
with a valid access token in its Authorization header, so that any program, in any
language, uses Coze with no token code of its own:

  COZE_API_BASE=http://127.0.0.1:8899 COZE_API_TOKEN=$(cozeauth proxy --print-key) python bot.py

Clients send the proxy's local key as their API token: a random 256-bit key of the
profile, kept 0600 in the config directory (or the keyring), never a Coze token.
A request without it, or with a Host that is not the proxy's, is refused and
nothing is forwarded. Server-sent events pass event by event; a WebSocket upgrade
goes to the profile's ws host (--ws-base). The token is held in memory and renewed
through the same store and lock as every other cozeauth command; when Coze
refuses it as invalid, it is renewed once and the request sent once more (bodies
of at most 1 MiB). Each request is logged on standard error (method, path, status,
duration, log id); never a token, the key or a body. SIGINT, SIGTERM or SIGHUP
stop it, letting requests under way finish for up to 5 seconds.`,
		Example: `  cozeauth proxy                         # http://127.0.0.1:8899
  cozeauth proxy --listen 127.0.0.1:0    # a free port, printed when ready
  export COZE_API_BASE=http://127.0.0.1:8899 COZE_API_TOKEN=$(cozeauth proxy --print-key)`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runProxy(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", defaultProxyListen, "loopback address to listen on (port 0 picks a free one)")
	f.StringVar(&o.wsBase, "ws-base", "", "WebSocket base URL, e.g. wss://ws.coze.com [$COZE_WS_BASE] (default: derived from the API base)")
	f.BoolVar(&o.printKey, "print-key", false, "print the profile's local key (creating it if needed) and exit")
	f.BoolVar(&o.quiet, "quiet", false, "do not log requests")
	return cmd
}

// runProxy is `cozeauth proxy`: the profile's local key printed, or the
// proxy served until a signal stops it.
func runProxy(ctx context.Context, g *globals, o proxyOptions) error {
	st, cfg, err := g.resolved()
	if err != nil {
		return err
	}
	key, err := g.proxyKey(st, cfg)
	if err != nil {
		return err
	}
	if o.printKey {
		_, err := io.WriteString(g.env.Stdout, key+"\n")
		return err
	}
	ln, err := listenLoopback(o.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	log := g.env.Stderr
	if o.quiet {
		log = nil
	}
	h, err := g.proxyHandler(ctx, st, cfg, o.wsBase, key, proxy.AllowedHosts(ln.Addr(), o.listen), log)
	if err != nil {
		return err
	}
	// A signal stops the listening; the requests under way get the
	// proxy's own 5 s, not the 1.5 s of an ordinary command.
	setSignalGrace(ctx, proxy.ShutdownGrace+time.Second)
	fmt.Fprintf(g.env.Stderr, "listening on http://%s\n", ln.Addr())
	return proxy.Serve(ctx, ln, h.Handler, 0) // the proxy's own handler, whose log Serve flushes
}

// listenLoopback listens on addr, which must be a loopback address:
// the proxy hands out the profile's access, so it never listens where
// another machine could reach it.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usageError("--listen %q is not host:port, like %s", addr, defaultProxyListen)
	}
	if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return nil, usageError("--listen %q: only a loopback address is accepted (127.0.0.1, ::1 or localhost): the proxy lends the profile's token to whoever reaches it", addr)
	}
	if strings.EqualFold(host, "localhost") {
		_, port, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("could not listen on %s: %w (is another proxy running? pick another port with --listen)", addr, err)
	}
	return ln, nil
}

// proxyKey is the profile's local key, in the keyring when the profile
// keeps its secrets there, else in a 0600 file of the config directory.
func (g *globals) proxyKey(st *auth.Store, cfg auth.Config) (string, error) {
	file := proxy.KeyFile{Dir: st.Dir}
	if cfg.UsesKeyring() {
		return proxy.KeyringKey{Backend: auth.SystemKeyring{}, Fallback: file, Warn: g.warnOnce}.Key(cfg.Profile)
	}
	return file.Key(cfg.Profile)
}

// proxyTokens is where the proxy gets its tokens: $COZE_API_TOKEN as it
// is, else the profile's Manager behind a [proxy.Cache]. The first token is
// had now, so that a profile needing a login fails before anything starts.
func (g *globals) proxyTokens(ctx context.Context, st *auth.Store, cfg auth.Config) (proxy.Tokens, error) {
	if tok := g.envToken(); tok != "" {
		return proxy.Static(tok), nil
	}
	m := g.managerFor(cfg, st)
	c := proxy.NewCache(m)
	c.Warn = g.warnOnce
	if _, err := c.Token(ctx); err != nil {
		return nil, g.notSetUpError(m, err)
	}
	return c, nil
}

// wsBaseOf is --ws-base, else $COZE_WS_BASE, else the ws host derived from
// the API base as `cozeauth probe` derives it.
func (g *globals) wsBaseOf(flag string, cfg auth.Config) (string, error) {
	ws, err := wsBaseFlag(cmp.Or(flag, g.getenv("COZE_WS_BASE")))
	if err != nil || ws != "" {
		return ws, err
	}
	return coze.WSForAPI(cfg.API()), nil
}

// proxyHandler builds the proxy for the profile cfg of st.
func (g *globals) proxyHandler(ctx context.Context, st *auth.Store, cfg auth.Config, wsFlag, key string, hosts []string, log io.Writer) (*proxyHandler, error) {
	tokens, err := g.proxyTokens(ctx, st, cfg)
	if err != nil {
		return nil, err
	}
	ws, err := g.wsBaseOf(wsFlag, cfg)
	if err != nil {
		return nil, err
	}
	h, err := proxy.New(proxy.Options{API: cfg.API(), WS: ws, Tokens: tokens, Key: key, Hosts: hosts, Log: log, Now: g.env.Now})
	if err != nil {
		return nil, err
	}
	return &proxyHandler{Handler: h, cfg: cfg, ws: ws}, nil
}

// proxyHandler is a proxy with the profile it serves.
type proxyHandler struct {
	http.Handler
	cfg auth.Config
	ws  string // the WebSocket base upgrades go to
}
