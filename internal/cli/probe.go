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
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/timefmt"
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
		err = printProbe(g.env.Stdout, rep, newProbeStyles(g.env.Stdout, color), g.tableWidth(g.env.Stdout))
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
	st, err := g.store()
	if err != nil {
		return nil, "", err
	}
	cfg, err := g.config(st)
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
func regionOfBase(base string) coze.Region {
	for _, r := range []coze.Region{coze.RegionCOM, coze.RegionCN} {
		if strings.TrimRight(base, "/") == r.APIBase() {
			return r
		}
	}
	return ""
}

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

// probeStyles colour the probe table; without colour each is the identity.
type probeStyles struct {
	OK, Warn, Bad, Faint, Bold func(string) string
}

// newProbeStyles uses the 16 basic colours, which every colour terminal
// has, rather than adaptive ones that would query the terminal first.
func newProbeStyles(w io.Writer, color bool) probeStyles {
	if !color {
		id := func(s string) string { return s }
		return probeStyles{id, id, id, id, id}
	}
	render := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
	return probeStyles{
		OK:    render(lipgloss.NewStyle().Foreground(lipgloss.Green)),
		Warn:  render(lipgloss.NewStyle().Foreground(lipgloss.Yellow)),
		Bad:   render(lipgloss.NewStyle().Foreground(lipgloss.Red)),
		Faint: render(lipgloss.NewStyle().Faint(true)),
		Bold:  render(lipgloss.NewStyle().Bold(true)),
	}
}

func (s probeStyles) class(c probe.Class) func(string) string {
	switch {
	case c == probe.ClassServerError || c == probe.ClassCanceled:
		return s.Warn
	case c.Answered():
		return s.OK
	}
	return s.Bad
}

func (s probeStyles) verdict(v probe.Verdict) func(string) string {
	switch v {
	case probe.VerdictReachable:
		return s.OK
	case probe.VerdictPartial, probe.VerdictDegraded:
		return s.Warn
	}
	return s.Bad
}

// printProbe writes the report as a table for people: a heading per group
// (and region), a row per target, the verdict, and the hints of what failed.
// Every line fits width: the table's rows are cut (with …), the summary
// and the hints wrap between words. A width of 0 (no terminal, no
// $COLUMNS) keeps rows whole and wraps the prose at 80.
func printProbe(w io.Writer, rep probe.Report, s probeStyles, width int) error {
	var summary, b strings.Builder
	if err := probeTable(rep, s).render(&b, width); err != nil {
		return err
	}
	prose := cmp.Or(width, defaultWidth)
	b.WriteString("\n")
	writeProbeSummary(&summary, rep, s)
	for _, line := range strings.Split(strings.TrimSuffix(summary.String(), "\n"), "\n") {
		b.WriteString(hangWords(line, prose, "          ")) // under the text after "Verdict:  "
	}
	hints := probeHints(rep)
	if other := otherRegionAdvice(rep); other != "" {
		hints = append(hints, probeHint{where: "the other region", hint: other})
	}
	if len(hints) > 0 {
		b.WriteString("\nHints:\n")
		for _, h := range hints {
			head := "  " + h.where
			switch {
			case h.n > 0:
				head += fmt.Sprintf(" (%s; %s)", plural(h.n, "target"), strings.Join(h.classes, ", "))
			case len(h.classes) > 0:
				head += " (" + strings.Join(h.classes, ", ") + ")"
			}
			b.WriteString(hangWords(head, prose, "    "))
			for _, line := range strings.Split(strings.TrimSuffix(wrapWords(h.hint, prose-4, ""), "\n"), "\n") {
				b.WriteString("    " + s.Faint(line) + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// probeTable is the report as a table: a row per target, with a heading line
// whenever the group (or region) changes. Results without a group (a
// report built by hand) get no headings.
func probeTable(rep probe.Report, s probeStyles) *table {
	grouped := slices.ContainsFunc(rep.Targets, func(r probe.Result) bool { return r.Group != "" })
	pad := ""
	if grouped {
		pad = "  "
	}
	// At 80 columns the detail is cut to 24 first; narrower, the time is
	// left out before the detail is cut further.
	t := &table{
		header: []string{s.Bold("TARGET"), s.Bold("STATUS"), s.Bold("CLASS"), s.Bold("TIME"), s.Bold("DETAIL")},
		min:    map[int]int{1: len("STATUS"), 2: len("connect_timeout"), 3: 8},
		soft:   map[int]int{4: 24},
		drop:   []int{3},
		shrink: []int{4, 0},
	}
	heading := ""
	for _, r := range rep.Targets {
		if h := r.Heading(); grouped && h != heading {
			heading = h
			t.heading(s.Bold(h))
		}
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		t.add(pad+r.Name, status, s.class(r.Class)(string(r.Class)), timefmt.Millis(r.Timings.Total), probeDetail(r, s))
	}
	return t
}

// writeProbeSummary writes the verdict and what else the report found: the
// regions and the one to use, the proxy, the clock, the time it took.
func writeProbeSummary(b *strings.Builder, rep probe.Report, s probeStyles) {
	answered, n := rep.Answered(), len(rep.Targets)
	if hosts := probedHosts(rep); len(hosts) > 0 {
		fmt.Fprintf(b, "Probed:   %s\n", strings.Join(hosts, ", "))
	}
	var why string
	switch rep.Verdict {
	case probe.VerdictReachable:
		why = fmt.Sprintf("all %d targets answered over HTTP: nothing blocks the path to these hosts", n)
	case probe.VerdictDegraded:
		why = fmt.Sprintf("all %d targets answered over HTTP, but an API or OAuth target answered 5xx: Coze or something in the path fails", n)
	case probe.VerdictPartial:
		why = fmt.Sprintf("%d of %d targets answered; the others failed below HTTP or were answered by something else", answered, n)
	default:
		why = fmt.Sprintf("none of the %d targets answered over HTTP", n)
	}
	fmt.Fprintf(b, "Verdict:  %s — %s\n", s.verdict(rep.Verdict)(string(rep.Verdict)), why)
	if len(rep.Regions) > 0 {
		var parts []string
		for _, rv := range rep.Regions {
			parts = append(parts, fmt.Sprintf("%s %s (%d of %d answered)", rv.Host, s.verdict(rv.Verdict)(string(rv.Verdict)), rv.Answered, rv.Total))
		}
		fmt.Fprintf(b, "Regions:  %s\n", strings.Join(parts, ", "))
		fmt.Fprintf(b, "Advice:   %s\n", rep.Recommendation)
	}
	proxy := rep.Proxy
	if proxy == "" {
		proxy = "none (direct)"
	}
	fmt.Fprintf(b, "Proxy:    %s\n", proxy)
	for i, line := range resolvedLines(rep) {
		label := "          "
		if i == 0 {
			label = "Resolved: "
		}
		b.WriteString(label + line + "\n")
	}
	if rep.SkewNotable() {
		fmt.Fprintf(b, "Clock:    %s\n", s.Warn(skewText(rep.Skew)))
	}
	fmt.Fprintf(b, "Duration: %s\n", timefmt.Millis(rep.Duration))
}

// resolvedLines say, once per host name, what it resolved to and which IP
// family connected: "api.coze.com → 1.2.3.4, 2001:db8::1 (ipv4 connected)".
// IP literals and hosts reached through a proxy resolve nothing here.
func resolvedLines(rep probe.Report) []string {
	type host struct {
		addrs  []string
		family string
	}
	var order []string
	hosts := map[string]*host{}
	for _, r := range rep.Targets {
		u, err := url.Parse(r.URL)
		if err != nil || len(r.Resolved) == 0 {
			continue
		}
		h, ok := hosts[u.Hostname()]
		if !ok {
			h = &host{addrs: r.Resolved}
			hosts[u.Hostname()] = h
			order = append(order, u.Hostname())
		}
		if h.family == "" {
			h.family = r.Family
		}
	}
	var lines []string
	for _, name := range order {
		h := hosts[name]
		line := name + " → " + strings.Join(h.addrs, ", ")
		if h.family != "" {
			line += " (" + h.family + " connected)"
		} else {
			line += " (no connection)"
		}
		lines = append(lines, line)
	}
	return lines
}

// skewText explains a clock skew: Coze stamps tokens with its own clock.
func skewText(d time.Duration) string {
	if d > 0 {
		return fmt.Sprintf("this machine's clock is %s behind Coze's: tokens expire earlier than it expects; sync the clock (NTP)", d.Round(time.Second))
	}
	return fmt.Sprintf("this machine's clock is %s ahead of Coze's: tokens seem to expire early and are refreshed too soon; sync the clock (NTP)", (-d).Round(time.Second))
}

// probeDetail is the last column: who the token belongs to, Coze's error,
// or what went wrong, then the target's label.
func probeDetail(r probe.Result, s probeStyles) string {
	var d string
	switch {
	case r.User != "":
		d = "token of " + r.User
	case r.Class.Answered() && r.CozeCode != nil && *r.CozeCode != 0:
		d = strings.TrimSuffix(fmt.Sprintf("code %d: %s", *r.CozeCode, r.CozeMsg), ": ")
	case r.Class.Answered() && r.CozeCode == nil && r.CozeMsg != "":
		d = r.CozeMsg
	case !r.Class.Answered():
		d = r.Error
	}
	if r.FamilyNote != "" {
		d = strings.TrimPrefix(d+"; "+r.FamilyNote, "; ")
	}
	if r.Label == "" {
		return d
	}
	if d == "" {
		return s.Faint(r.Label)
	}
	return d + " " + s.Faint("· "+r.Label)
}

type probeHint struct {
	where   string // the groups (and regions) it is for, or the targets'
	n       int    // how many targets, when where names groups
	classes []string
	hint    string
}

// probeHints lists each distinct hint once, with the groups of the targets
// it is for: one line per cause, not one name per target.
func probeHints(rep probe.Report) []probeHint {
	var hs []probeHint
	type seen struct {
		regions []string
		groups  map[string][]string // by region
	}
	var where []seen
	idx := map[string]int{}
	for _, r := range rep.Targets {
		if r.Hint == "" {
			continue
		}
		i, ok := idx[r.Hint]
		if !ok {
			i = len(hs)
			idx[r.Hint] = i
			hs = append(hs, probeHint{hint: r.Hint})
			where = append(where, seen{groups: map[string][]string{}})
		}
		h, w := &hs[i], &where[i]
		h.n++
		if !slices.Contains(h.classes, string(r.Class)) {
			h.classes = append(h.classes, string(r.Class))
		}
		label := cmp.Or(string(r.Group), r.Name) // a report built by hand has no groups
		if !slices.Contains(w.regions, r.Region) {
			w.regions = append(w.regions, r.Region)
		}
		if !slices.Contains(w.groups[r.Region], label) {
			w.groups[r.Region] = append(w.groups[r.Region], label)
		}
	}
	for i := range hs {
		hs[i].where = hintWhere(where[i].regions, where[i].groups)
	}
	if !slices.ContainsFunc(rep.Targets, func(r probe.Result) bool { return r.Group != "" }) {
		for i := range hs {
			hs[i].n = 0 // where names each target already
		}
	}
	return hs
}

// hintWhere says which groups a hint is for, in each region when a report
// covers several ("api, oauth in coze.com and coze.cn").
func hintWhere(regions []string, groups map[string][]string) string {
	if len(regions) == 1 && regions[0] == "" {
		return strings.Join(groups[""], ", ")
	}
	same := true
	for _, r := range regions[1:] {
		same = same && slices.Equal(groups[r], groups[regions[0]])
	}
	hosts := make([]string, len(regions))
	for i, r := range regions {
		hosts[i] = probe.RegionHost(r)
	}
	if same {
		return strings.Join(groups[regions[0]], ", ") + " in " + strings.Join(hosts, " and ")
	}
	parts := make([]string, len(regions))
	for i, r := range regions {
		parts[i] = hosts[i] + ": " + strings.Join(groups[r], ", ")
	}
	return strings.Join(parts, "; ")
}

// otherRegionAdvice suggests the other region when one of Coze's regions
// was probed alone and something failed below HTTP there; "" when both
// were probed (--region all says which to use) or the hosts are not Coze's.
func otherRegionAdvice(rep probe.Report) string {
	if len(rep.Regions) > 0 || rep.Verdict == probe.VerdictReachable || rep.Verdict == probe.VerdictDegraded {
		return ""
	}
	blocked := slices.ContainsFunc(rep.Targets, func(r probe.Result) bool {
		return !r.Class.Answered() && r.Class != probe.ClassNoNetwork && r.Class != probe.ClassCanceled
	})
	if !blocked {
		return ""
	}
	switch regionOfBase(probedAPIBase(rep)) {
	case coze.RegionCOM:
		return "from mainland China coze.com is often blocked while coze.cn is not: a coze.cn app needs --region cn; `cozeauth probe --region all` probes both"
	case coze.RegionCN:
		return "coze.cn serves mainland China; from elsewhere coze.com (--region com) may be the one that answers: `cozeauth probe --region all` probes both"
	}
	return ""
}

// probedAPIBase is the scheme and host of the report's first API target.
func probedAPIBase(rep probe.Report) string {
	for _, r := range rep.Targets {
		if u, err := url.Parse(r.URL); err == nil && strings.HasPrefix(u.Host, "api.") {
			return u.Scheme + "://" + u.Host
		}
	}
	return ""
}

// probedHosts are the hosts the report's targets went to, in order.
func probedHosts(rep probe.Report) []string {
	var hosts []string
	for _, r := range rep.Targets {
		if u, err := url.Parse(r.URL); err == nil && u.Host != "" && !slices.Contains(hosts, u.Host) {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}

// plural is "1 target", "18 targets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
