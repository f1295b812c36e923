// Package cli wires cozeauth's commands: flags and environment handed to
// [auth.Store.Resolve], the real dependencies (HTTP client, clock, browser,
// user agent) passed into auth, probe and ui, the output of each command,
// and the mapping of errors to exit codes. It owns the exit codes and what
// commands print. It must not implement protocol or storage behaviour (that
// is auth's), set other packages' globals, or return before the token work
// under way in its process has been saved; a renewal runs in a refresher
// process (refresher.go), which saves it even when the command is gone.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

// Exit codes shared by every command.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitUsage         = 2
	ExitBlocked       = 3
	ExitLoginRequired = 4
	ExitInterrupted   = 130 // Ctrl+C, SIGINT or SIGTERM
)

// ExitError carries an exit code with the error to print.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

func usageError(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// noArgs is noArgs as a usage error (exit 2); cobra's own exits 1.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if !cmd.HasParent() {
		return usageError("unknown command %q (see `cozeauth --help`)%s", args[0], commandSuggestions(cmd, args[0]))
	}
	return usageError("%s takes no arguments, got %q (see `%s --help`)", cmd.CommandPath(), args[0], cmd.CommandPath())
}

// Env is what a command sees of the outside world; tests replace any part.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	HTTP           *http.Client
	Now            func() time.Time
	// Sleep waits between refresh tries and device polls; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// StdinIsTerminal says whether a person can type on Stdin; nil means
	// asking the terminal.
	StdinIsTerminal func() bool
	// StderrIsTerminal says whether a person sees Stderr (for the
	// "waiting for Coze" line, waiting.go); nil means asking the terminal.
	StderrIsTerminal func() bool
	Version          string
	// UserAgent is sent with every request; "" means cozeauth/<Version>.
	UserAgent string
	// Browser opens authorize pages; nil means $BROWSER or the desktop's.
	Browser auth.Browser
	// Refresher, when set, runs every token renewal in a process of its
	// own that a kill of this one does not stop (refresher.go); main sets
	// [Reexec]. nil renews in this process.
	Refresher Refresher
}

// globals is what every command shares: the outside world, the flags every
// command takes (before or after its name), login's app-type flags, and
// this run's token work. Nothing assigns to flags or app after cobra parsed
// them: a command that needs other settings (another profile, the sandbox's
// bases, a console config file's) resolves them through [globals.configWith]
// or derives a globals of its own with [globals.with].
type globals struct {
	env   *Env
	flags sharedFlags
	// app holds login's app-type flags (apptype.go).
	app appFlags
	// run is shared by g and every globals derived from it.
	run *runState
}

// sharedFlags are the values of the flags every command takes.
type sharedFlags struct {
	region, apiBase, wwwBase string
	clientID, clientSecret   string
	redirectURI, profile     string
	refreshMargin, storage   string
	// configDir, when set, replaces $COZEAUTH_CONFIG_DIR (the --sandbox
	// wizard uses a throwaway one); no flag sets it.
	configDir string
	// sandbox runs the wizard against the embedded fake Coze (wizard.go).
	sandbox bool
	// useSandbox is login's, status's and token's --sandbox: the settings
	// point at a running `cozeauth sandbox` (sandboxflag.go).
	useSandbox bool
}

// runState is one run's token work and warnings, whichever globals reach it.
type runState struct {
	// pending counts the refreshes and code exchanges under way in this
	// process, in all of this run's Managers; Run waits for them before
	// returning, so quitting mid-refresh loses no rotated token. (A
	// renewal in a refresher process is its own to finish.)
	pending auth.Pending
	// warned holds the warnings already printed (warnOnce).
	warnMu sync.Mutex
	warned map[string]bool
}

func newGlobals(env *Env) *globals { return &globals{env: env, run: &runState{}} }

// with is a copy of g whose flags change makes other; g is left as parsed.
// The copy shares g's run, so Run still waits for its token work.
func (g *globals) with(change func(*sharedFlags, *appFlags)) *globals {
	d := *g
	change(&d.flags, &d.app)
	return &d
}

// Run executes cozeauth with args and returns the exit code.
func Run(ctx context.Context, args []string, env *Env) int {
	g := newGlobals(env)
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	g.waitForPending(env.Stderr, pendingLimit)
	if err == nil {
		return ExitOK
	}
	err = g.withFlagsInHints(err) // hints.go
	code := exitCode(err)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err, code = errors.New("interrupted"), ExitInterrupted
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintln(env.Stderr, "cozeauth: "+msg)
	}
	return code
}

func exitCode(err error) int {
	var (
		ee       *ExitError
		mismatch *auth.IssuerMismatchError
	)
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &mismatch):
		return ExitUsage
	case auth.IsLoginRequired(err):
		return ExitLoginRequired
	case isFlagError(err), isUsage(err):
		return ExitUsage
	}
	return ExitFailure
}

// flagError marks errors cobra reports for bad flags or arguments.
type flagError struct{ error }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// isUsage reports the auth errors that only a change to the command line,
// the environment or the app's registration can fix: a flow the app type
// does not allow, a redirect URI cozeauth cannot use, a config file
// missing a field, a config directory another user could have written.
func isUsage(err error) bool {
	var ue *auth.UsageError
	return errors.As(err, &ue)
}

// NewRootCommand is cozeauth's command tree over env, as [Run] executes it,
// with cobra's completion command added as Execute would add it. It is for
// tools that read the commands without running them: internal/gendocs writes
// the command reference (docs/cli) from it.
func NewRootCommand(env *Env) *cobra.Command {
	root := newRootCmd(newGlobals(env))
	root.InitDefaultCompletionCmd()
	return root
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "cozeauth",
		Short: "Get a Coze API token that keeps working",
		Long: `cozeauth logs you into a Coze OAuth app once and keeps a valid access token
available for scripts, plugins and bots, refreshing it safely across processes.
It also tells you whether coze.com (or coze.cn) is reachable from where you are.

Run without a command on a terminal for the setup wizard and token dashboard.`,
		Example: `  cozeauth                      # the setup wizard, then the token dashboard
  cozeauth --sandbox            # the same against an embedded fake Coze
  curl -H "Authorization: Bearer $(cozeauth token)" https://api.coze.com/v1/users/me`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       g.version(),
		Args:          noArgs,
		// The wizard and dashboard (wizard.go).
		RunE: func(cmd *cobra.Command, _ []string) error { return runWizard(cmd, g) },
		// The commands that use $COZE_API_TOKEN check it first (apptype.go).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case cmd.Name() == "probe" && cmd.Flags().Changed("token"): // its --token comes first
			case marked(cmd, annEnvToken): // annotations.go
				return g.checkEnvToken()
			}
			return nil
		},
	}
	setHelp(root) // help.go
	// -v and --version say what `cozeauth version` says.
	root.SetVersionTemplate("cozeauth {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return flagError{fmt.Errorf("%w (see `%s --help`)%s", err, c.CommandPath(), flagSuggestions(c, err.Error()))}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&g.flags.region, "region", "", "Coze region: com (coze.com) or cn (coze.cn) [$COZE_REGION]")
	pf.StringVar(&g.flags.apiBase, "api-base", "", "API base URL, overrides the region's [$COZE_API_BASE]")
	pf.StringVar(&g.flags.wwwBase, "www-base", "", "web base URL for the consent page [$COZE_WWW_BASE]")
	pf.StringVar(&g.flags.clientID, "client-id", "", "OAuth app client ID [$COZE_CLIENT_ID]")
	pf.StringVar(&g.flags.clientSecret, "client-secret", "", "a web app's client secret (a secret without --app-type means a web app) [$COZE_CLIENT_SECRET]")
	pf.StringVar(&g.flags.redirectURI, "redirect-uri", "", "redirect URI registered on the app (default "+auth.DefaultRedirectURI+") [$COZE_REDIRECT_URI]")
	pf.StringVar(&g.flags.profile, "profile", "", "profile name (default: the one cozeauth use saved, else \"default\") [$COZE_PROFILE]")
	pf.StringVar(&g.flags.storage, "storage", "", "where tokens are kept: file, keyring, or a shared store for many machines, etcd://host:2379/prefix or postgres://… (default file) [$COZEAUTH_STORAGE]")
	pf.StringVar(&g.flags.refreshMargin, "refresh-margin", "", "refresh this long before expiry (default 5m) [$COZEAUTH_REFRESH_MARGIN]")
	// --sandbox: the wizard against the embedded fake Coze (wizard.go).
	root.Flags().BoolVar(&g.flags.sandbox, "sandbox", false, "run the wizard offline against an embedded fake Coze, in a throwaway config directory")
	root.AddGroup(commandGroups...)
	root.AddCommand(newLoginCmd(g), newTokenCmd(g), newRefreshCmd(g), newStatusCmd(g), newLogoutCmd(g), newVersionCmd(g), newAPICmd(g), newProfilesCmd(g), newUseCmd(g), newSandboxCmd(g), newProbeCmd(g), newProxyCmd(g), newExecCmd(g))
	for _, c := range root.Commands() {
		if marked(c, annSandbox) {
			addSandboxFlag(c, g) // sandboxflag.go
		}
	}
	registerCompletions(root, g) // complete.go
	return root
}

// getenv reads the environment through Env so tests need not touch os.
func (g *globals) getenv(k string) string {
	if g.env.Getenv != nil {
		return g.env.Getenv(k)
	}
	return os.Getenv(k)
}
