package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/browser"
)

// store opens the token store of the config directory.
func (g *globals) store() (*auth.Store, error) {
	dir := g.flags.configDir
	if dir == "" {
		var err error
		if dir, err = auth.DefaultDir(g.getenv); err != nil {
			return nil, err
		}
	}
	s := auth.NewStore(dir)
	s.Warn = g.warnOnce
	s.Keyring = auth.NewKeyring() // read only for records kept there, or with --storage keyring
	s.RescueDirs = auth.DefaultRescueDirs(g.getenv)
	s.Getenv = g.getenv // a shared engine's ETCDCTL_* and PG* variables
	return s, nil
}

// warnOnce prints each of the store's warnings once per command, however
// many times the store reads a file that others can read.
func (g *globals) warnOnce(msg string) {
	r := g.run
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	if r.warned[msg] {
		return
	}
	r.warned[msg] = true
	fmt.Fprintln(g.env.Stderr, msg)
}

// config resolves flags > environment > saved profile > defaults, with the
// code auth.Open uses.
func (g *globals) config(st *auth.Store) (auth.Config, error) { return g.configWith(st, nil) }

// configWith resolves as config does after change has had its say over what
// the flags and the environment set: another profile, no region. Neither
// the flags nor the environment change.
func (g *globals) configWith(st *auth.Store, change func(*auth.Overrides)) (auth.Config, error) {
	f := g.flags
	given := auth.Overrides{
		Profile: f.profile, Region: f.region, APIBase: f.apiBase, WWWBase: f.wwwBase,
		ClientID: f.clientID, ClientSecret: f.clientSecret, RedirectURI: f.redirectURI,
		Storage: f.storage, RefreshMargin: f.refreshMargin,
	}.Or(auth.EnvOverrides(g.getenv))
	if f.useSandbox {
		if err := g.sandboxOverrides(&given); err != nil { // sandboxflag.go
			return auth.Config{}, err
		}
	}
	if change != nil {
		change(&given)
	}
	cfg, _, err := st.Resolve(given)
	var bad *auth.UsageError
	if errors.As(err, &bad) {
		return cfg, &ExitError{Code: ExitUsage, Err: err}
	}
	if err != nil {
		return cfg, err
	}
	return cfg, g.resolveApp(&cfg, st)
}

// resolved opens the store and resolves the profile's config in it.
func (g *globals) resolved() (*auth.Store, auth.Config, error) {
	st, err := g.store()
	if err != nil {
		return nil, auth.Config{}, err
	}
	cfg, err := g.config(st)
	return st, cfg, err
}

// manager builds the token manager for the resolved profile.
func (g *globals) manager() (*auth.Manager, error) {
	st, cfg, err := g.resolved()
	if err != nil {
		return nil, err
	}
	return g.managerFor(cfg, st), nil
}

// managerFor builds a manager for cfg over a copy of st, with the keyring
// when cfg asks for it, renewing through the refresher when there is one.
func (g *globals) managerFor(cfg auth.Config, st *auth.Store) *auth.Manager {
	return &auth.Manager{Config: cfg, Store: st.For(cfg), HTTP: g.httpClient(), Now: g.env.Now, Sleep: g.env.Sleep, UserAgent: g.userAgent(), Pending: &g.run.pending, Renewer: g.renewer()}
}

// pendingLimit bounds the wait for token work under way when a command
// ends: longer than one refresh call can take.
const pendingLimit = 35 * time.Second

// waitForPending lets the refreshes and code exchanges under way finish and
// save what Coze rotated or issued, waiting at most limit. Every command
// ends through it, the wizard included.
func (g *globals) waitForPending(w io.Writer, limit time.Duration) {
	if !g.run.pending.Busy() {
		return
	}
	fmt.Fprintln(w, "Waiting for a token refresh to finish…")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if g.run.pending.Wait(ctx) != nil {
		fmt.Fprintln(w, "warning: a token refresh did not finish; if the next command says login required, run `cozeauth login`")
	}
}

// userAgent names this build in every request.
func (g *globals) userAgent() string {
	if g.env.UserAgent != "" {
		return g.env.UserAgent
	}
	if g.env.Version == "" {
		return coze.DefaultUserAgent
	}
	return coze.DefaultUserAgent + "/" + g.env.Version
}

// browser is the one that opens authorize pages.
func (g *globals) browser() auth.Browser {
	if g.env.Browser != nil {
		return g.env.Browser
	}
	env := g.getenv("BROWSER")
	return plainBrowser{Browser: browser.System{Env: env}, env: env} // browser.go
}

func (g *globals) stdinIsTerminal() bool {
	if g.env.StdinIsTerminal != nil {
		return g.env.StdinIsTerminal()
	}
	f, ok := g.env.Stdin.(*os.File)
	return ok && isTerminal(f)
}

func (g *globals) httpClient() *http.Client {
	if g.env.HTTP != nil {
		return g.env.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (g *globals) now() time.Time {
	if g.env.Now != nil {
		return g.env.Now()
	}
	return time.Now()
}
