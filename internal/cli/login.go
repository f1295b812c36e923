package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/browser"
	"github.com/cozeauth/cozeauth/internal/input"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// defaultLoginTimeout is how long a login waits for the person by default.
const defaultLoginTimeout = 5 * time.Minute

type loginOptions struct {
	browser, noBrowser bool
	paste, device      bool
	force              bool
	timeout            time.Duration
}

func newLoginCmd(g *globals) *cobra.Command {
	var o loginOptions
	cmd := &cobra.Command{
		Use:         "login",
		GroupID:     groupLogin,
		Annotations: annotations("profile region client-id client-secret redirect-uri api-base www-base storage", annSandbox),
		Short:       "Log in to a Coze OAuth app (browser, paste-back, device code or JWT, by app type)",
		Long: `Log in to a Coze OAuth app and store its tokens.

The app type (--app-type, the app's client type in the Coze console) decides how:
  pkce, web  the browser: cozeauth listens on the redirect URI (loopback only),
             opens the authorize page and waits for it to come back; --paste
             reads the address the browser ended on instead. A web app needs
             its secret (--client-secret or $COZE_CLIENT_SECRET).
  device     a code entered on any other device (--device, or implied)
  jwt        no browser: a JWT signed with the app's private key is traded for
             an access token of up to 24h, and a new one is minted when it runs
             out (--public-key-id, --private-key-file or $COZE_JWT_PRIVATE_KEY)
Without --app-type a login keeps the profile's saved type for the same app,
else a secret means web, a private key jwt, anything else pkce.

The redirect URI (pkce, web) must be registered on the app exactly, with a
fixed port: register ` + auth.DefaultRedirectURI + ` and it works as is.

Over SSH, or on Linux without a display, no browser is launched; instead:
  - forward the callback port:  ssh -L 8080:localhost:8080 <host>
  - or paste the address the browser ended on:  cozeauth login --paste
  - or, with a device app, use a device code:  cozeauth login --device

With --storage etcd://… or postgres://… the login goes into that shared store,
and every machine that knows only its URL and the profile uses it: a person
consents once for a whole fleet (see docs/shared.md).`,
		Example: `  cozeauth login --client-id 7420000000000000001.app.coze
  cozeauth login --region cn --client-id … --client-secret …   # a coze.cn web app
  cozeauth login --paste          # prints the address to open, then reads where the browser ended
  cozeauth login --app-type device --client-id …
  cozeauth login --app-type jwt --client-id … --public-key-id … --private-key-file private_key.pem
  cozeauth login --profile bots --storage etcd://10.0.0.5:2379/cozeauth --paste
  cozeauth login --config coze_oauth_config.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.noBrowser, "no-browser", false, "print the address but do not open a browser")
	f.BoolVar(&o.browser, "browser", false, "open a browser even over SSH or without a display")
	f.BoolVar(&o.paste, "paste", false, "read the address the browser ended on from standard input")
	f.BoolVar(&o.device, "device", false, "log in with a device code entered on another device")
	f.DurationVar(&o.timeout, "timeout", defaultLoginTimeout, "how long to wait for the login to complete")
	f.BoolVar(&o.force, "force", false, "log in without asking, even when the profile is logged in already or holds tokens of another app or API base")
	g.app.register(f)
	return cmd
}

// runLogin is `cozeauth login`: the flow the app type allows, its tokens
// stored in the profile.
func runLogin(ctx context.Context, g *globals, o loginOptions) error {
	if o.browser && o.noBrowser || o.paste && o.device {
		return usageError("--browser and --no-browser, and --paste and --device, exclude each other")
	}
	g, err := g.withConfigFile()
	if err != nil {
		return err
	}
	m, err := g.manager()
	if err != nil {
		return err
	}
	if g.flags.useSandbox {
		if m.Config.ClientID == "" {
			m.Config.ClientID = sandbox.PKCEClientID // the sandbox's own app
		}
		fmt.Fprintln(g.env.Stderr, sandboxNote(m.Config.API(), m.Config.Profile))
	}
	if m.Config.ClientID == "" {
		return usageError("no client id: pass --client-id (or set $COZE_CLIENT_ID) with your OAuth app's id from the Coze console")
	}
	flow, err := loginFlow(m, o)
	if err != nil {
		return err
	}
	if warn, _ := auth.ValidateClientID(m.Config.ClientID); warn != "" {
		fmt.Fprintln(g.env.Stderr, "note: "+warn)
	}
	if err := g.confirmLogin(ctx, m, o.force); err != nil {
		return err // replace.go
	}
	res, err := g.loginWith(ctx, m, flow, o)
	if err != nil {
		return err
	}
	reportLogin(g.env.Stderr, m, res, g.now())
	return nil
}

// loginWith runs flow within --timeout, its failure said as a person can
// act on it.
func (g *globals) loginWith(ctx context.Context, m *auth.Manager, flow auth.Flow, o loginOptions) (*auth.LoginResult, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var (
		res *auth.LoginResult
		err error
	)
	switch {
	case flow == auth.FlowJWT:
		res, err = m.LoginJWT(ctx)
	case flow == auth.FlowDevice:
		res, err = loginDevice(ctx, g, m)
	case o.paste:
		res, err = loginPaste(ctx, g, m)
	default:
		res, err = loginBrowser(ctx, g, m, o)
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return nil, fmt.Errorf("the login did not complete within --timeout %s: run it again, with a longer --timeout if needed", o.timeout)
	}
	err = explainAppTypeRefused(err, flow, m.Config, g.appTypeGiven()) // apptype_refused.go
	var ke *auth.KeyError
	if errors.As(err, &ke) { // a key that cannot sign is the caller's to fix
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return res, err
}

// loginFlow picks the flow for the app type and refuses, as a usage error,
// one that Coze would refuse with access_deny "invalid app type".
func loginFlow(m *auth.Manager, o loginOptions) (auth.Flow, error) {
	t := m.Config.AppType()
	flow := auth.FlowBrowser
	switch {
	case o.device:
		flow = auth.FlowDevice
	case o.paste || o.browser: // --no-browser only says what not to do
	case t == auth.AppJWT:
		flow = auth.FlowJWT
	case t == auth.AppDevice:
		flow = auth.FlowDevice
	}
	if err := m.Config.CheckFlow(flow); err != nil {
		return "", err
	}
	if flow == auth.FlowBrowser {
		check := auth.CheckRegistrable // a listener on this machine
		if o.paste {
			check = auth.CheckPasteRedirect
		}
		if err := check(m.Config.Redirect()); err != nil {
			return "", err
		}
	}
	if flow != auth.FlowJWT {
		return flow, nil
	}
	if m.Config.JWT == nil || m.Config.JWT.PublicKeyID == "" {
		return "", usageError("a jwt app needs --public-key-id: the public key's id (fingerprint) on the app's page in the Coze console")
	}
	return flow, nil
}

func loginBrowser(ctx context.Context, g *globals, m *auth.Manager, o loginOptions) (*auth.LoginResult, error) {
	flow, err := m.BeginLogin(true)
	if err != nil {
		return nil, err
	}
	defer flow.Close()
	fmt.Fprintf(g.env.Stderr, "Open this address to authorize cozeauth (waiting up to %s):\n\n  %s\n\n", o.timeout, flow.URL())
	headless := browser.HeadlessReason(g.getenv, runtime.GOOS)
	switch {
	case o.noBrowser:
		fmt.Fprint(g.env.Stderr, "Waiting for the callback, or paste the address the browser ended on here and press Enter…\n")
	case headless != "" && !o.browser:
		printLadder(g.env.Stderr, headless, flow.RedirectURI())
	default:
		if err := g.browser().Open(flow.URL()); err != nil {
			fmt.Fprintf(g.env.Stderr, "note: %v; open the address above yourself\n", err)
		}
	}
	code, err := waitOrPaste(ctx, g, flow)
	if err != nil {
		return nil, err
	}
	return flow.Finish(ctx, code)
}

// waitOrPaste waits for the browser's callback and, at the same time, for
// the address it ended on to be pasted on standard input: on a remote
// machine the callback may never arrive. A pasted address of another login
// is refused and the wait goes on.
func waitOrPaste(ctx context.Context, g *globals, flow *auth.LoginFlow) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		code string
		err  error
	}
	results := make(chan result, 2)
	go func() {
		code, err := flow.Wait(ctx)
		results <- result{code, err}
	}()
	if g.stdinIsTerminal() { // piped input belongs to whatever piped it
		go func() {
			lines := bufio.NewScanner(g.env.Stdin)
			lines.Buffer(make([]byte, 0, 4096), input.MaxPaste)
			defer func() {
				if errors.Is(lines.Err(), bufio.ErrTooLong) {
					fmt.Fprintf(g.env.Stderr, "That line is longer than any address (over %d KiB) and was not read; waiting for the callback only.\n", input.MaxPaste>>10)
				}
			}()
			for lines.Scan() {
				if strings.TrimSpace(lines.Text()) == "" {
					continue
				}
				code, err := flow.CodeFromURL(lines.Text())
				var refused *auth.ConsentError
				switch {
				case errors.Is(err, auth.ErrStateMismatch):
					fmt.Fprintln(g.env.Stderr, "That address is not from this login (state mismatch); paste the address the browser ended on after opening the one above.")
				case err != nil && !errors.As(err, &refused):
					fmt.Fprintf(g.env.Stderr, "%v; still waiting.\n", err) // a typo must not end the login
				default:
					results <- result{code, err}
					return
				}
			}
		}()
	}
	r := <-results
	return r.code, r.err
}

// printLadder tells a person on a machine without a browser the ways on;
// a device code only works with a device app, so that way says how to get one.
func printLadder(w io.Writer, reason, redirect string) {
	port := "8080"
	if u, err := url.Parse(redirect); err == nil && u.Port() != "" {
		port = u.Port()
	}
	fmt.Fprintf(w, `No browser was opened because %s. Ways on:
  1. Forward the callback port from the machine with the browser, then open the address there:
       ssh -L %s:localhost:%s <this host>
  2. Open the address anywhere, approve, and paste here the address the browser ended on, then Enter
     (a "can't connect" page is fine: only its address matters).
  3. A device code needs a device app (client type "TV/device/command-line program"):
     create one in the Coze console, then `+"`cozeauth login --app-type device --client-id <its id>`"+`
(--browser opens a browser anyway.) Waiting for the callback…

`, reason, port, port)
}

func loginPaste(ctx context.Context, g *globals, m *auth.Manager) (*auth.LoginResult, error) {
	flow, err := m.BeginLogin(false)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(g.env.Stderr, "Open this address in a browser on any machine and approve:\n\n  %s\n\n", flow.URL())
	fmt.Fprintf(g.env.Stderr, "The browser then goes to %s… — it may show an error page; that is fine.\nPaste the whole address from its address bar here and press Enter:\n", flow.RedirectURI())
	line, err := readLine(ctx, g.env.Stdin)
	if err != nil {
		return nil, err
	}
	code, err := flow.CodeFromURL(line)
	if errors.Is(err, auth.ErrStateMismatch) {
		return nil, fmt.Errorf("%w: paste the address from the login started just now (run `cozeauth login --paste` again if in doubt)", err)
	}
	if err != nil {
		return nil, err
	}
	return flow.Finish(ctx, code)
}

// readLine reads one line from r, giving up when ctx ends.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	line, err := scanLine(ctx, r)
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("no address was pasted in time: %w", ctx.Err())
	case errors.Is(err, errLineTooLong):
		return "", fmt.Errorf("no address was pasted: the pasted text is longer than any address (over %d KiB)", input.MaxPaste>>10)
	case err != nil:
		return "", fmt.Errorf("no address was pasted: %w", err)
	}
	return line, nil
}

// errLineTooLong is scanLine's: the line is longer than input.MaxPaste.
var errLineTooLong = errors.New("the line is too long")

// scanLine reads one line from r, its newline included, a byte at a time
// so that nothing after it is taken from what reads r next: an answer to a
// question must not swallow the address pasted after it. End of input
// ends the line; before any byte it is an error, and so is a line longer
// than input.MaxPaste. It gives up when ctx ends.
func scanLine(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		var line []byte
		b := make([]byte, 1)
		for len(line) <= input.MaxPaste {
			n, err := r.Read(b)
			line = append(line, b[:n]...)
			if n == 1 && b[0] == '\n' {
				break
			}
			if err != nil {
				if len(line) == 0 {
					ch <- result{"", err}
					return
				}
				break
			}
		}
		if len(line) > input.MaxPaste {
			ch <- result{"", errLineTooLong}
			return
		}
		ch <- result{string(line), nil}
	}()
	select {
	case res := <-ch:
		return res.line, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func loginDevice(ctx context.Context, g *globals, m *auth.Manager) (*auth.LoginResult, error) {
	flow, err := m.BeginDevice(ctx)
	if err != nil {
		return nil, err
	}
	da := flow.Auth()
	w := g.env.Stderr
	if err := writeDeviceCode(w, da.VerificationURL(), da.UserCode, outputHeight(w), g.outputWidth(w)); err != nil { // devicecode.go
		return nil, err
	}
	if !isTerminal(w) {
		fmt.Fprintf(w, "\nThe code expires %s. Waiting for approval…\n", timefmt.Relative(da.ExpiresAt, g.now()))
		return flow.Wait(ctx)
	}
	// On a terminal, count down to the code's expiry on one line.
	type result struct {
		res *auth.LoginResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := flow.Wait(ctx)
		done <- result{res, err}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		left := max(da.ExpiresAt.Sub(g.now()), 0).Round(time.Second)
		fmt.Fprintf(w, "\rWaiting for approval… the code expires in %d:%02d ", int(left.Minutes()), int(left.Seconds())%60)
		select {
		case r := <-done:
			fmt.Fprintln(w)
			return r.res, r.err
		case <-tick.C:
		}
	}
}

// bigCode frames the user code so it stands out from the rest of the output.
func bigCode(code string) string {
	spaced := strings.Join(strings.Split(code, ""), " ")
	bar := strings.Repeat("─", len([]rune(spaced))+6)
	return "  ┌" + bar + "┐\n  │   " + spaced + "   │\n  └" + bar + "┘\n"
}

func reportLogin(w io.Writer, m *auth.Manager, res *auth.LoginResult, now time.Time) {
	if res.MovedAside != "" {
		fmt.Fprintf(w, "note: the unreadable token store was moved to %s\n", res.MovedAside)
	}
	who := "Logged in"
	if res.Record.User != nil {
		who += " as " + res.Record.User.Display()
	} else if res.UserErr != nil {
		fmt.Fprintf(w, "note: could not look up the user: %v\n", res.UserErr)
	}
	fmt.Fprintf(w, "%s to %s (profile %q, %s app %s).\n", who, m.Config.API(), m.Config.Profile, m.Config.AppType(), m.Config.ClientID)
	if m.Config.AppType() == auth.AppJWT {
		fmt.Fprintf(w, "Access token expires %s (%s); `cozeauth token` mints a new one when it runs out (a JWT app has no refresh token).\n",
			res.Record.Expiry.Local().Format(time.RFC3339), timefmt.Relative(res.Record.Expiry, now))
		return
	}
	fmt.Fprintf(w, "Access token expires %s (%s); it is refreshed automatically until %s.\n",
		res.Record.Expiry.Local().Format(time.RFC3339), timefmt.Relative(res.Record.Expiry, now), res.Record.RefreshExpiry.Local().Format("2006-01-02"))
}
