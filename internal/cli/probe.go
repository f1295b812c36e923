package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/probe"
)

func newProbeCmd(g *globals) *cobra.Command {
	var (
		asJSON, noAuth bool
		timeout        time.Duration
		token          string
	)
	cmd := &cobra.Command{
		Use:   "probe",
		Short: "Check whether Coze is reachable from here (exit 3 when not)",
		Long: `Send a few requests to the region's hosts at once and report how each went.

An HTTP answer of any status (200, 401, 404, …) proves the network path open;
only a failure below HTTP — DNS, connection refused or dropped, reset, TLS, a
timeout, the proxy — means something blocks it. With a token (the profile's
when logged in, --token or $COZE_API_TOKEN), users_me also checks that Coze
accepts it and says for whom. HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE are
honoured. Exit 0 when every target answered, 3 otherwise.`,
		Example: `  cozeauth probe
  cozeauth probe --region cn --json
  COZE_API_TOKEN=pat_… cozeauth probe`,
		// Not cobra.NoArgs, whose error would exit 1 rather than 2.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("probe takes no arguments, got %q: choose the region with --region, or the hosts with --api-base and --www-base", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return usageError("--timeout %s: give a positive duration like 10s", timeout)
			}
			if noAuth && token != "" {
				return usageError("--token and --no-auth contradict each other: --no-auth skips the token check")
			}
			st, err := g.store()
			if err != nil {
				return err
			}
			cfg, err := g.config(st)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if !noAuth {
				token = g.probeToken(ctx, cfg, token, timeout)
			}
			p := &probe.Prober{Transport: g.probeTransport(), Timeout: timeout, UserAgent: g.userAgent()}
			targets := probe.Targets(cfg.API(), cfg.WWW(), token)
			if !asJSON && isTerminal(g.env.Stderr) {
				fmt.Fprintf(g.env.Stderr, "Probing %d targets at %s and %s (up to %s each)…\n", len(targets), cfg.API(), cfg.WWW(), timeout)
			}
			rep := p.Run(ctx, targets)
			if ctx.Err() != nil {
				fmt.Fprintln(g.env.Stderr, "Interrupted: showing what finished.")
			}
			if asJSON {
				err = writeJSON(g.env.Stdout, rep)
			} else {
				color := isTerminal(g.env.Stdout) && g.getenv("NO_COLOR") == ""
				err = printProbe(g.env.Stdout, rep, newProbeStyles(g.env.Stdout, color))
			}
			if err != nil {
				return err
			}
			if rep.Verdict != probe.VerdictReachable {
				return &ExitError{Code: ExitBlocked}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.DurationVar(&timeout, "timeout", probe.DefaultTimeout, "time allowed for each target")
	f.StringVar(&token, "token", "", "token for the users_me check, e.g. a personal access token [$COZE_API_TOKEN] (default: the profile's when logged in)")
	f.BoolVar(&noAuth, "no-auth", false, "skip the users_me token check")
	return cmd
}

// probeToken picks the token for users_me: the flag, then $COZE_API_TOKEN,
// then the profile's (refreshed if needed, within timeout). A profile that
// cannot give one only costs the check, with a note.
func (g *globals) probeToken(ctx context.Context, cfg auth.Config, flag string, timeout time.Duration) string {
	if t := pick(flag, g.getenv("COZE_API_TOKEN")); t != "" {
		return t
	}
	m, err := g.manager()
	if err != nil {
		fmt.Fprintf(g.env.Stderr, "Note: skipping users_me: %v\n", err)
		return ""
	}
	if rec, err := m.Store.Load(cfg.Profile); err == nil && rec == nil {
		return "" // never logged in: nothing to check, nothing to say
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rec, err := m.Token(ctx)
	if err != nil {
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
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
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
	r := lipgloss.NewRenderer(w)
	r.SetColorProfile(termenv.ANSI)
	render := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
	return probeStyles{
		OK:    render(r.NewStyle().Foreground(lipgloss.Color("2"))),
		Warn:  render(r.NewStyle().Foreground(lipgloss.Color("3"))),
		Bad:   render(r.NewStyle().Foreground(lipgloss.Color("1"))),
		Faint: render(r.NewStyle().Faint(true)),
		Bold:  render(r.NewStyle().Bold(true)),
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
	case probe.VerdictPartial:
		return s.Warn
	}
	return s.Bad
}

// printProbe writes the report as a table for people: a row per target,
// the verdict, and the hints of what failed.
func printProbe(w io.Writer, rep probe.Report, s probeStyles) error {
	var b strings.Builder
	nameW := len("TARGET")
	for _, r := range rep.Targets {
		nameW = max(nameW, len(r.Name))
	}
	const classW = len("connect_timeout")
	// Colour goes on after padding, so escape codes do not skew the columns.
	cell := func(text string, width int, style func(string) string) string {
		return style(text) + strings.Repeat(" ", max(0, width-len(text))+2)
	}
	header := cell("TARGET", nameW, noStyle) + cell("STATUS", 6, noStyle) + cell("CLASS", classW, noStyle) + cell("TIME", 8, noStyle) + "DETAIL"
	b.WriteString(s.Bold(header) + "\n")
	for _, r := range rep.Targets {
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		row := cell(r.Name, nameW, noStyle) + cell(status, 6, noStyle) + cell(string(r.Class), classW, s.class(r.Class)) +
			cell(fmtMillis(r.Timings.Total), 8, noStyle) + probeDetail(r)
		b.WriteString(strings.TrimRight(row, " ") + "\n")
	}
	b.WriteString("\n")
	answered, n := rep.Answered(), len(rep.Targets)
	var why string
	switch rep.Verdict {
	case probe.VerdictReachable:
		why = fmt.Sprintf("all %d targets answered over HTTP: nothing blocks the path to Coze", n)
	case probe.VerdictPartial:
		why = fmt.Sprintf("%d of %d targets answered over HTTP; the others failed below it", answered, n)
	default:
		why = fmt.Sprintf("none of the %d targets answered over HTTP", n)
	}
	fmt.Fprintf(&b, "Verdict:  %s — %s\n", s.verdict(rep.Verdict)(string(rep.Verdict)), why)
	proxy := rep.Proxy
	if proxy == "" {
		proxy = "none (direct)"
	}
	fmt.Fprintf(&b, "Proxy:    %s\n", proxy)
	fmt.Fprintf(&b, "Duration: %s\n", fmtMillis(rep.Duration))
	if hints := probeHints(rep); len(hints) > 0 {
		b.WriteString("\nHints:\n")
		for _, h := range hints {
			fmt.Fprintf(&b, "  %s (%s)\n    %s\n", strings.Join(h.names, ", "), strings.Join(h.classes, ", "), s.Faint(h.hint))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func noStyle(s string) string { return s }

// probeDetail is the last column: who the token belongs to, Coze's error,
// or what went wrong below HTTP.
func probeDetail(r probe.Result) string {
	switch {
	case r.User != "":
		return "token of " + r.User
	case r.Class.Answered() && r.CozeCode != nil && *r.CozeCode != 0:
		return strings.TrimSuffix(fmt.Sprintf("code %d: %s", *r.CozeCode, r.CozeMsg), ": ")
	case !r.Class.Answered():
		return r.Error
	}
	return ""
}

type probeHint struct {
	names, classes []string
	hint           string
}

// probeHints lists each distinct hint once, with the targets it is for.
func probeHints(rep probe.Report) []probeHint {
	var hs []probeHint
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
		}
		h := &hs[i]
		h.names = append(h.names, r.Name)
		if !slices.Contains(h.classes, string(r.Class)) {
			h.classes = append(h.classes, string(r.Class))
		}
	}
	return hs
}

// fmtMillis shows a duration as whole milliseconds, or tenths below 10 ms.
func fmtMillis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 10 {
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}
