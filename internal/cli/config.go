package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// pick returns the first non-empty value: flag, then environment, then saved.
func pick(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// store opens the token store of the config directory.
func (g *globals) store() (*auth.Store, error) {
	dir := g.configDir
	if dir == "" {
		dir = g.getenv("COZEAUTH_CONFIG_DIR")
	}
	if dir == "" {
		var err error
		if dir, err = auth.DefaultDir(); err != nil {
			return nil, err
		}
	}
	s := auth.NewStore(dir)
	s.Warn = func(msg string) { fmt.Fprintln(g.env.Stderr, msg) }
	return s, nil
}

// config resolves flags > environment > saved profile > defaults.
func (g *globals) config(st *auth.Store) (auth.Config, error) {
	profile := pick(g.profile, g.getenv("COZE_PROFILE"), "default")
	saved, _, err := st.LoadSettings(profile)
	if err != nil {
		return auth.Config{}, err
	}
	cfg := auth.Config{Profile: profile}
	regionFlag := pick(g.region, g.getenv("COZE_REGION"))
	if regionFlag != "" {
		if cfg.Region, err = auth.ParseRegion(regionFlag); err != nil {
			return cfg, usageError("%v", err)
		}
	} else {
		cfg.Region = saved.Region
	}
	cfg.APIBase = pick(g.apiBase, g.getenv("COZE_API_BASE"))
	cfg.WWWBase = pick(g.wwwBase, g.getenv("COZE_WWW_BASE"))
	// A region chosen now must not be overridden by bases saved for another.
	if regionFlag == "" || regionFlag == string(saved.Region) {
		cfg.APIBase = pick(cfg.APIBase, saved.APIBase)
		cfg.WWWBase = pick(cfg.WWWBase, saved.WWWBase)
	}
	for name, base := range map[string]string{"--api-base": cfg.APIBase, "--www-base": cfg.WWWBase} {
		if base == "" {
			continue
		}
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, usageError("%s %q is not an http(s) URL", name, base)
		}
	}
	cfg.ClientID = pick(g.clientID, g.getenv("COZE_CLIENT_ID"), saved.ClientID)
	cfg.ClientSecret = pick(g.clientSecret, g.getenv("COZE_CLIENT_SECRET"))
	if err := g.resolveApp(&cfg, saved); err != nil {
		return cfg, err
	}
	cfg.RedirectURI = pick(g.redirectURI, g.getenv("COZE_REDIRECT_URI"), saved.RedirectURI, auth.DefaultRedirectURI)
	switch cfg.Storage = pick(g.storage, g.getenv("COZEAUTH_STORAGE"), saved.Storage); cfg.Storage {
	case "", "file", "keyring":
	default:
		return cfg, usageError("--storage %q: use file (a 0600 file in the config directory) or keyring (the system keyring)", cfg.Storage)
	}
	if m := pick(g.refreshMargin, g.getenv("COZEAUTH_REFRESH_MARGIN")); m != "" {
		d, err := time.ParseDuration(m)
		if err != nil || d < 0 {
			return cfg, usageError("refresh margin %q is not a duration like 5m or 90s", m)
		}
		cfg.RefreshMargin = d
	}
	return cfg, nil
}

// manager builds the token manager for the resolved profile.
func (g *globals) manager() (*auth.Manager, error) {
	st, err := g.store()
	if err != nil {
		return nil, err
	}
	cfg, err := g.config(st)
	if err != nil {
		return nil, err
	}
	return g.managerFor(cfg, st), nil
}

// managerFor builds a manager for cfg over a copy of st, with the keyring
// when cfg asks for it.
func (g *globals) managerFor(cfg auth.Config, st *auth.Store) *auth.Manager {
	s := *st
	if cfg.Storage == "keyring" {
		s.Keyring = auth.NewKeyring()
	}
	return &auth.Manager{Config: cfg, Store: &s, HTTP: g.httpClient(), Now: g.env.Now, Sleep: g.env.Sleep, InFlight: &g.refreshes}
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
