package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/probe"
)

// probeOpts are the probe command's own flags.
type probeOpts struct {
	asJSON, noAuth, watch bool
	timeout, interval     time.Duration
	count                 int
	token, wsBase, set    string
}

func newProbeCmd(g *globals) *cobra.Command {
	var o probeOpts
	cmd := &cobra.Command{
		Use:         "probe",
		GroupID:     groupCheck,
		Annotations: annotations("profile region api-base www-base", annEnvToken),
		Short:       "Check whether Coze is reachable from here (exit 3 when not)",
		Long: `Send requests to the region's hosts at once and report how each went, grouped:

  api        POST /v3/chat and /v1/workflow/run, without a token: Coze's 401 and
             JSON code prove the path
  oauth      the token endpoint (logins, refreshes) on the API host and the
             authorize page on the web host: what cozeauth itself needs
  websocket  a WebSocket handshake to /v1/chat on the ws host (wss://ws.coze.com,
             wss://ws.coze.cn), which a firewall can block on its own
  account    GET /v1/users/me with the token: does Coze accept it, and whose is it
  legacy     the four endpoints of the first connectivity report, labelled
             for what they are

An HTTP answer of any status (200, 401, 404, …) proves the network path open;
a failure below HTTP — DNS, connection refused or dropped, reset, TLS, a
timeout, the proxy — means something blocks it, and so does an answer only
something in the path gives (HTML where Coze sends JSON: "intercepted"). The
report shows what each name resolved to and which IP family connected; a
failure after a Coze name resolved to a private or fake-IP address is
"dns_suspect". With a token (the profile's when logged in, --token or
$COZE_API_TOKEN), users_me also checks that Coze accepts it and says for whom.
HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE are honoured.

--region all probes coze.com and coze.cn at once and recommends one.
--watch probes again every --interval: on a terminal a live view with a
latency sparkline, the failures and the time of the last change per target
(q quits); otherwise, or with --json, one JSON object per round and line.
Exit 0 when every target answered (with --region all: every target of one
region), 3 otherwise.`,
		Example: `  cozeauth probe
  cozeauth probe --region cn --json
  cozeauth probe --region all
  cozeauth probe --targets current --ws-base wss://ws.example.com
  cozeauth probe --watch --interval 10s | jq -c '{round, verdict}'
  COZE_API_TOKEN=pat_… cozeauth probe`,
		// Not cobra.NoArgs, whose error would exit 1 rather than 2.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("probe takes no arguments, got %q: choose the region with --region, or the hosts with --api-base and --www-base", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, err := o.validate(cmd)
			if err != nil {
				return err
			}
			return runProbe(cmd.Context(), g, o, set)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.asJSON, "json", false, "print the report as JSON (with --watch: one object per round and line)")
	f.DurationVar(&o.timeout, "timeout", probe.DefaultTimeout, "time allowed for each target")
	f.StringVar(&o.token, "token", "", "token for the users_me check, e.g. a personal access token [$COZE_API_TOKEN] (default: the profile's when logged in)")
	f.BoolVar(&o.noAuth, "no-auth", false, "skip the users_me token check")
	f.StringVar(&o.set, "targets", string(probe.SetAll), "which targets: current (what Coze serves today), legacy (the first report's four), all, or groups: a comma list of api, oauth, websocket, account, legacy")
	f.StringVar(&o.wsBase, "ws-base", "", "WebSocket base URL, e.g. wss://ws.coze.com [$COZE_WS_BASE] (default: derived from the API base)")
	f.BoolVar(&o.watch, "watch", false, "probe again every --interval until q or Ctrl-C: a live view on a terminal, else one JSON object per round and line")
	f.DurationVar(&o.interval, "interval", 5*time.Second, "time between rounds with --watch")
	f.IntVar(&o.count, "count", 0, "with --watch, stop after this many rounds (0: until interrupted)")
	return cmd
}

// runProbe is `cozeauth probe`: the targets of set probed once (or, with
// --watch, round after round) and the report printed.
func runProbe(ctx context.Context, g *globals, o probeOpts, set probe.Set) error {
	targets, where, err := g.probePlan(ctx, o, set)
	if err != nil {
		return err
	}
	if len(targets) == 0 { // only the account check, and no token for it
		return usageError("--targets %s leaves nothing to probe: the account check needs a token (log in, pass --token or set $COZE_API_TOKEN), or add other groups", o.set)
	}
	p := &probe.Prober{Transport: g.probeTransport(), Timeout: o.timeout, UserAgent: g.userAgent(), Now: g.env.Now}
	if o.watch {
		return g.watchProbe(ctx, p, targets, where, o)
	}
	if !o.asJSON && isTerminal(g.env.Stderr) {
		start := fmt.Sprintf("Probing %d targets at %s (up to %s each)…", len(targets), where, o.timeout)
		fmt.Fprint(g.env.Stderr, hangWords(start, g.outputWidth(g.env.Stderr), "  "))
	}
	rep := p.Run(ctx, targets)
	if ctx.Err() != nil {
		fmt.Fprintln(g.env.Stderr, "Interrupted: showing what finished.")
	}
	if o.asJSON {
		err = writeJSON(g.env.Stdout, rep)
	} else {
		color := isTerminal(g.env.Stdout) && g.getenv("NO_COLOR") == ""
		err = rep.WriteText(g.env.Stdout, g.tableWidth(g.env.Stdout), color) // probe/text.go
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		// What finished is shown; an unfinished target says
		// nothing about the network.
		return &ExitError{Code: ExitInterrupted}
	}
	return probeExit(rep)
}

// validate checks the flags alone, before anything is resolved.
func (o probeOpts) validate(cmd *cobra.Command) (probe.Set, error) {
	set, ok := probe.ParseSet(o.set)
	switch {
	case !ok:
		return "", usageError("--targets %q: use current, legacy or all, or a comma list of groups: api, oauth, websocket, account, legacy", o.set)
	case o.timeout <= 0:
		return "", usageError("--timeout %s: give a positive duration like 10s", o.timeout)
	case o.noAuth && o.token != "":
		return "", usageError("--token and --no-auth contradict each other: --no-auth skips the token check")
	case o.watch && o.interval <= 0:
		return "", usageError("--interval %s: give a positive duration like 5s", o.interval)
	case o.count < 0:
		return "", usageError("--count %d: give the number of rounds, or 0 to run until interrupted", o.count)
	case !o.watch && (cmd.Flags().Changed("interval") || cmd.Flags().Changed("count")):
		return "", usageError("--interval and --count go with --watch")
	}
	return set, nil
}

// probeExit is nil when the probe found the way to Coze open, exit 3 otherwise.
func probeExit(rep probe.Report) error {
	if rep.Reachable() {
		return nil
	}
	return &ExitError{Code: ExitBlocked}
}

// probePlan resolves what to probe: the profile's region and bases, or both
// regions for --region all; where says it in words.
func (g *globals) probePlan(ctx context.Context, o probeOpts, set probe.Set) (targets []probe.Target, where string, err error) {
	if strings.EqualFold(cmp.Or(g.flags.region, g.getenv("COZE_REGION")), "all") {
		return g.allRegionsPlan(ctx, o, set)
	}
	st, cfg, err := g.resolved()
	if err != nil {
		return nil, "", err
	}
	ws, err := wsBaseFlag(cmp.Or(o.wsBase, g.getenv("COZE_WS_BASE")))
	if err != nil {
		return nil, "", err
	}
	token := ""
	if !o.noAuth && set.Has(probe.GroupAccount) {
		token = g.probeToken(ctx, cfg, st, o.token, o.timeout)
	}
	b := probe.Bases{API: cfg.API(), WWW: cfg.WWW(), WS: ws}
	if b.WS == "" {
		b.WS = coze.WSForAPI(b.API)
	}
	return probe.TargetsFor(b, token, set), fmt.Sprintf("%s, %s and %s", b.API, b.WWW, b.WS), nil
}

// allRegionsPlan is --region all: Coze's own hosts in both regions, with the
// token checked in the region of the profile that holds it.
func (g *globals) allRegionsPlan(ctx context.Context, o probeOpts, set probe.Set) ([]probe.Target, string, error) {
	for flag, v := range map[string]string{"--api-base": g.flags.apiBase, "--www-base": g.flags.wwwBase, "--ws-base": o.wsBase} {
		if v != "" {
			return nil, "", usageError("--region all probes Coze's own hosts in both regions: drop %s, or probe that host with --region com or cn", flag)
		}
	}
	st, err := g.store()
	if err != nil {
		return nil, "", err
	}
	cfg, err := g.configOfProfile(st)
	if err != nil {
		return nil, "", err
	}
	token, region := "", coze.Region("")
	if !o.noAuth && set.Has(probe.GroupAccount) {
		region = regionOfBase(cfg.API())
		if token = g.probeToken(ctx, cfg, st, o.token, o.timeout); token != "" && region == "" {
			fmt.Fprintf(g.env.Stderr, "Note: skipping users_me: the token is for %s, which is neither coze.com nor coze.cn\n", cfg.API())
			token = ""
		}
	}
	return probe.RegionTargets(probe.Regions(token, region), set), "coze.com and coze.cn", nil
}

// configOfProfile resolves the profile's config without the region flag or
// $COZE_REGION, which say "all".
func (g *globals) configOfProfile(st *auth.Store) (auth.Config, error) {
	return g.configWith(st, func(o *auth.Overrides) { o.Region = "" })
}

// regionOfBase names the region whose API base is base, or "" for another host.
func regionOfBase(base string) coze.Region { return probe.RegionOfBase(base) }

// wsBaseFlag checks a --ws-base value: ws, wss, http or https with a host.
func wsBaseFlag(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", usageError("--ws-base %q is not a URL like wss://ws.coze.com", v)
	}
	switch u.Scheme {
	case "ws", "wss":
		return v, nil
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return "", usageError("--ws-base %q: use a ws:// or wss:// URL like wss://ws.coze.com", v)
	}
	return u.String(), nil
}

// probeToken picks the token for users_me: the flag, then $COZE_API_TOKEN,
// then the profile's (refreshed if needed, within timeout). A profile that
// cannot give one only costs the check, with a note.
func (g *globals) probeToken(ctx context.Context, cfg auth.Config, st *auth.Store, flag string, timeout time.Duration) string {
	if t := cmp.Or(flag, g.getenv("COZE_API_TOKEN")); t != "" {
		return t
	}
	m := g.managerFor(cfg, st)
	if rec, err := m.Store.Load(cfg.Profile); err == nil && rec == nil {
		return "" // never logged in: nothing to check, nothing to say
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rec, err := m.Token(ctx)
	var other *auth.IssuerMismatchError
	switch {
	case errors.As(err, &other): // tokens go only to their issuer
		fmt.Fprintf(g.env.Stderr, "Note: skipping users_me: the stored token was issued by %s, not by %s, and is not sent there\n", other.Stored, other.Resolved)
		return ""
	case err != nil:
		fmt.Fprintf(g.env.Stderr, "Note: skipping users_me: %v\n", err)
		return ""
	}
	return rec.AccessToken
}

// probeTransport is the transport of Env.HTTP when tests or a caller set
// one; nil lets the prober use its default, which honours the proxy
// variables.
func (g *globals) probeTransport() *http.Transport {
	if g.env.HTTP != nil {
		if t, ok := g.env.HTTP.Transport.(*http.Transport); ok {
			return t
		}
	}
	return nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
