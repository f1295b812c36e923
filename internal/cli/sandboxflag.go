package cli

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

// defaultSandboxAddr is where `cozeauth sandbox` listens by default.
const defaultSandboxAddr = "127.0.0.1:8808"

// sandboxFlagHelp is what `--sandbox` says on login, status and token.
const sandboxFlagHelp = "use the fake Coze that cozeauth sandbox serves ($COZEAUTH_SANDBOX, default http://" + defaultSandboxAddr + "), in the profile \"sandbox\" (or --profile's); login takes the sandbox's PKCE app (or --client-id's)"

// addSandboxFlag gives cmd (login, status, token) --sandbox, parsed into
// the shared flags and applied by sandboxOverrides when settings are
// resolved.
func addSandboxFlag(cmd *cobra.Command, g *globals) {
	cmd.Flags().BoolVar(&g.flags.useSandbox, "sandbox", false, sandboxFlagHelp)
}

// sandboxBase is the base URL of the running `cozeauth sandbox`:
// $COZEAUTH_SANDBOX (a URL or host:port), else its default address. Only a
// loopback address is taken: the sandbox never listens anywhere else.
func (g *globals) sandboxBase() (string, error) {
	v := cmp.Or(g.getenv("COZEAUTH_SANDBOX"), defaultSandboxAddr)
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "http" || u.Port() == "" || !isLoopbackHost(u.Hostname()) {
		return "", usageError("$COZEAUTH_SANDBOX %q is not the loopback address of a `cozeauth sandbox` (like %s)", g.getenv("COZEAUTH_SANDBOX"), defaultSandboxAddr)
	}
	return "http://" + u.Host, nil
}

// sandboxOverrides points resolved settings at the sandbox for --sandbox:
// its base for the API and the consent page, the profile "sandbox" (or
// --profile's; never $COZE_PROFILE's, which may name a real one), the
// client id of --client-id or the profile's (never $COZE_CLIENT_ID's),
// and tokens in the file. Flags that say where Coze is do not go with it.
func (g *globals) sandboxOverrides(o *auth.Overrides) error {
	f := g.flags
	for name, v := range map[string]string{"--region": f.region, "--api-base": f.apiBase, "--www-base": f.wwwBase} {
		if v != "" {
			return usageError("--sandbox says where Coze is: drop %s (or drop --sandbox)", name)
		}
	}
	base, err := g.sandboxBase()
	if err != nil {
		return err
	}
	o.Region, o.APIBase, o.WWWBase = "", base, base
	o.Profile = cmp.Or(f.profile, "sandbox")
	o.ClientID, o.ClientSecret = f.clientID, f.clientSecret
	o.Storage = cmp.Or(f.storage, "file") // sandbox tokens never go to the system keyring
	return nil
}

func isLoopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.")
}

// sandboxNote is said by a --sandbox login before it starts.
func sandboxNote(base, profile string) string {
	return fmt.Sprintf("Sandbox: %s, profile %q (start it with `cozeauth sandbox` if it is not running).", base, profile)
}
