package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// sandboxOptions are `cozeauth sandbox`'s flags.
type sandboxOptions struct {
	addr     string
	opts     sandbox.Options
	quiet    bool
	writeKey string
	force    bool
}

func newSandboxCmd(g *globals) *cobra.Command {
	var o sandboxOptions
	cmd := &cobra.Command{
		Use:     "sandbox",
		GroupID: groupCheck,
		Short:   "Serve a fake Coze on loopback for offline use and tests",
		Long: `Serve the embedded fake Coze on this machine only: the consent page (Approve and
Deny buttons), the token endpoint (PKCE, web and device apps with rotation; JWT
apps), device login, /v1/users/me, /v3/chat, /v1/workflow/run, /v1/workspaces,
the WebSocket chat handshake on /v1/chat and every probe target. One base URL
serves as --api-base, --www-base and (as ws://) the WebSocket base.

Like Coze it matches redirect URIs exactly (registered:
` + strings.Join(sandbox.DefaultRedirectURIs, ", ") + `, plus --redirect-uri),
answers access_deny "invalid app type" to a flow of the wrong app type, and
checks JWTs (signature, kid, aud, iss, exp, single-use jti, duration).

Its apps, one of each type:
` + sandbox.AppsHelp() + `
The JWT app signs with the sandbox-only test key (public in this repository,
internal/sandbox/testkey.go, and accepted by nothing but the sandbox: never
register it on a real app). --write-key FILE saves its private key there (0600)
and exits, for the JWT login below; --write-key - prints it, for
$COZE_JWT_PRIVATE_KEY.`,
		Example: `  cozeauth sandbox --write-key sandbox_key.pem
  cozeauth sandbox --addr 127.0.0.1:8808 &
  cozeauth login --profile sandbox --api-base http://127.0.0.1:8808 \
    --www-base http://127.0.0.1:8808 --client-id ` + sandbox.PKCEClientID + `
  cozeauth login --sandbox        # the same, as profile "sandbox" ($COZEAUTH_SANDBOX)
  cozeauth token --sandbox
  cozeauth login --profile sandbox-device --api-base http://127.0.0.1:8808 --app-type device \
    --client-id ` + sandbox.DeviceClientID + `
  cozeauth login --profile sandbox-jwt --api-base http://127.0.0.1:8808 --app-type jwt \
    --client-id ` + sandbox.JWTClientID + ` \
    --public-key-id ` + sandbox.JWTPublicKeyID + ` --private-key-file sandbox_key.pem
  cozeauth token --profile sandbox`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSandbox(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8808", "loopback address to listen on (port 0 picks a free one)")
	f.DurationVar(&o.opts.AccessTTL, "access-ttl", 15*time.Minute, "life of the access tokens it issues")
	f.DurationVar(&o.opts.ProbeDelay, "probe-delay", 0, "wait this long before answering each probe target")
	f.DurationVar(&o.opts.ChatPace, "chat-pace", 20*time.Millisecond, "wait this long between the events of a streamed /v3/chat")
	f.StringArrayVar(&o.opts.FailPaths, "fail-path", nil, "close the connection without answering requests to this path (repeatable)")
	f.DurationVar(&o.opts.DeviceInterval, "device-interval", 5*time.Second, "the poll interval device logins are given (whole seconds, as Coze says it)")
	f.BoolVar(&o.quiet, "quiet", false, "do not log requests")
	f.StringArrayVar(&o.opts.RedirectURIs, "redirect-uri", nil, "register this redirect URI on the PKCE and web apps too, beside the two defaults (Coze allows 3)")
	f.StringVar(&o.writeKey, "write-key", "", "write the JWT app's sandbox-only private key to this file (0600; - for stdout) and exit")
	f.BoolVar(&o.force, "force", false, "with --write-key, replace a file that exists")
	return cmd
}

// runSandbox is `cozeauth sandbox`: the fake Coze served on loopback
// until a signal, or its JWT app's key written.
func runSandbox(ctx context.Context, g *globals, o sandboxOptions) error {
	if o.writeKey != "" {
		return writeSandboxKey(g.env.Stdout, g.env.Stderr, o.writeKey, o.force)
	}
	if o.force {
		return usageError("--force only goes with --write-key (it replaces an existing key file)")
	}
	host, _, err := net.SplitHostPort(o.addr)
	if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError("--addr %q must be a loopback address with a port, like 127.0.0.1:8808 (the sandbox never listens beyond this machine)", o.addr)
	}
	if !o.quiet {
		o.opts.Log = g.env.Stderr
	}
	// Registered beside the defaults, up to Coze's limit.
	o.opts.RedirectURIs = append(append([]string(nil), sandbox.DefaultRedirectURIs...), o.opts.RedirectURIs...)
	if len(o.opts.RedirectURIs) > sandbox.MaxRedirectURIs {
		return usageError("--redirect-uri given %d times: Coze registers at most %d per app, and the sandbox has %d already (%s)", len(o.opts.RedirectURIs)-len(sandbox.DefaultRedirectURIs), sandbox.MaxRedirectURIs, len(sandbox.DefaultRedirectURIs), strings.Join(sandbox.DefaultRedirectURIs, ", "))
	}
	srv := sandbox.New(o.opts)
	base, err := srv.Start(o.addr)
	if err != nil {
		return fmt.Errorf("could not start the sandbox on %s: %w", o.addr, err)
	}
	defer srv.Close()
	fmt.Fprintln(g.env.Stdout, base)
	// --profile sandbox: a sandbox login must never replace a real profile's tokens.
	fmt.Fprintf(g.env.Stderr, "Sandbox Coze at %s (Ctrl-C stops it). Try, in a profile of its own:\n  cozeauth login --profile sandbox --api-base %s --www-base %s --client-id %s\n", base, base, base, sandbox.PKCEClientID)
	<-ctx.Done()
	return ctx.Err() // Ctrl-C: exit 130, as every command
}

// writeSandboxKey saves the sandbox JWT app's private key at path, 0600,
// never over an existing file unless force; "-" writes it to stdout.
func writeSandboxKey(stdout, stderr io.Writer, path string, force bool) error {
	if path == "-" {
		_, err := io.WriteString(stdout, sandbox.JWTPrivateKeyPEM)
		return err
	}
	if force {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("could not replace %s: %w", path, err)
		}
	}
	// O_EXCL: an existing file (or a link planted there) is never written through.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageError("%s exists: remove it, choose another file, or add --force to replace it", path)
	}
	if err != nil {
		return fmt.Errorf("could not write the sandbox key: %w", err)
	}
	if _, err := io.WriteString(f, sandbox.JWTPrivateKeyPEM); err != nil {
		f.Close()
		return fmt.Errorf("could not write the sandbox key to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("could not write the sandbox key to %s: %w", path, err)
	}
	fmt.Fprintf(stderr, "Wrote the sandbox JWT app's private key (SANDBOX-ONLY, 0600) to %s. With `cozeauth sandbox` running:\n  cozeauth login --profile sandbox-jwt --api-base http://127.0.0.1:8808 --app-type jwt --client-id %s --public-key-id %s --private-key-file %s\n", path, sandbox.JWTClientID, sandbox.JWTPublicKeyID, path)
	return nil
}

// sandboxRedirect is the redirect URI of `cozeauth --sandbox`: the one
// given, or a loopback one, with a free port picked now for port 0 or none
// given, so that the sandbox can register it exactly as Coze would.
func sandboxRedirect(given string) (string, error) {
	if given == "" {
		given = "http://127.0.0.1:0/callback"
	}
	u, err := url.Parse(given)
	if err != nil || auth.ValidateRedirectURI(given) != nil {
		return "", usageError("--redirect-uri %q: %v", given, auth.ValidateRedirectURI(given))
	}
	if u.Port() != "0" {
		return given, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(u.Hostname(), "0"))
	if err != nil {
		return "", fmt.Errorf("could not find a free port for the sandbox's redirect URI: %w", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	u.Host = net.JoinHostPort(u.Hostname(), port)
	return u.String(), nil
}

// sandboxAppConfigs are the sandbox's apps as configs, one per app type,
// for the wizard's form: choosing a type there fills in that app.
func sandboxAppConfigs() map[auth.AppType]auth.Config {
	apps := map[auth.AppType]auth.Config{}
	for _, a := range sandbox.Apps() {
		t := auth.AppType(a.Type)
		c := auth.Config{Settings: auth.Settings{ClientID: a.ClientID, AppType: t}, ClientSecret: a.Secret}
		if t == auth.AppJWT {
			c.JWT = &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID}
			c.PrivateKeyPEM = sandbox.JWTPrivateKeyPEM // the sandbox-only test key
		}
		apps[t] = c
	}
	return apps
}

// sandboxAppFor finds the sandbox app with clientID.
func sandboxAppFor(apps map[auth.AppType]auth.Config, clientID string) (auth.Config, bool) {
	for _, c := range apps {
		if c.ClientID == clientID {
			return c, true
		}
	}
	return auth.Config{}, false
}
