package auth

import (
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Overrides are settings given for one run — flags, the environment — that
// win over a profile's saved [Settings]. Empty fields leave the saved value.
type Overrides struct {
	Profile       string
	Region        string
	APIBase       string
	WWWBase       string
	ClientID      string
	ClientSecret  string
	RedirectURI   string
	Storage       string
	RefreshMargin string
}

// EnvOverrides reads the environment variables cozeauth documents:
// COZE_PROFILE, COZE_REGION, COZE_API_BASE, COZE_WWW_BASE, COZE_CLIENT_ID,
// COZE_CLIENT_SECRET, COZE_REDIRECT_URI, COZEAUTH_STORAGE and
// COZEAUTH_REFRESH_MARGIN.
func EnvOverrides(getenv func(string) string) Overrides {
	return Overrides{
		Profile:       getenv("COZE_PROFILE"),
		Region:        getenv("COZE_REGION"),
		APIBase:       getenv("COZE_API_BASE"),
		WWWBase:       getenv("COZE_WWW_BASE"),
		ClientID:      getenv("COZE_CLIENT_ID"),
		ClientSecret:  getenv("COZE_CLIENT_SECRET"),
		RedirectURI:   getenv("COZE_REDIRECT_URI"),
		Storage:       getenv("COZEAUTH_STORAGE"),
		RefreshMargin: getenv("COZEAUTH_REFRESH_MARGIN"),
	}
}

// Or returns o with its empty fields taken from fallback (flags over the
// environment, say).
func (o Overrides) Or(fallback Overrides) Overrides {
	first := cmp.Or[string]
	return Overrides{
		Profile:       first(o.Profile, fallback.Profile),
		Region:        first(o.Region, fallback.Region),
		APIBase:       first(o.APIBase, fallback.APIBase),
		WWWBase:       first(o.WWWBase, fallback.WWWBase),
		ClientID:      first(o.ClientID, fallback.ClientID),
		ClientSecret:  first(o.ClientSecret, fallback.ClientSecret),
		RedirectURI:   first(o.RedirectURI, fallback.RedirectURI),
		Storage:       first(o.Storage, fallback.Storage),
		RefreshMargin: first(o.RefreshMargin, fallback.RefreshMargin),
	}
}

// invalidSetting is the usage error of an override that cannot be used: a
// wrong region, a base that is not an http(s) URL, an unknown storage, a
// bad margin.
func invalidSetting(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Resolve is the one place a profile's [Config] is made, for the command
// line and for [Open] alike: o over the profile's saved settings over the
// defaults. found says whether the profile has saved settings.
func (s *Store) Resolve(o Overrides) (cfg Config, found bool, err error) {
	doc, err := s.readSettings() // once: it names the default profile and holds its settings
	if err != nil {
		return cfg, false, err
	}
	cfg.Profile = cmp.Or(o.Profile, doc.defaultProfile())
	saved, found := doc.Profiles[cfg.Profile]
	if !found && isSharedStorage(o.Storage) {
		saved, found = s.adoptShared(cfg.Profile, o.Storage)
	}
	cfg.ClientID = cmp.Or(strings.TrimSpace(o.ClientID), saved.ClientID) // pasted ids carry stray spaces; Coze compares exactly
	if cfg.ClientID == saved.ClientID {
		// What an earlier login learnt about this app (its type, its
		// workspace, a service app's key settings) still holds.
		cfg.Settings.AppType, cfg.WorkspaceID, cfg.JWT = saved.AppType, saved.WorkspaceID, saved.JWT
	}
	if err := resolveHosts(&cfg, o, saved); err != nil {
		return cfg, found, err
	}
	cfg.ClientSecret = o.ClientSecret
	cfg.RedirectURI = cmp.Or(o.RedirectURI, saved.RedirectURI, DefaultRedirectURI)
	switch cfg.Storage = cmp.Or(o.Storage, saved.Storage); cfg.Storage {
	case "", StorageFile, StorageKeyring:
	default:
		if !isSharedStorage(cfg.Storage) {
			return cfg, found, invalidSetting("--storage %q: use file (a 0600 file in the config directory), keyring (the system keyring), or the URL of a shared store: etcd://host:2379/prefix or postgres://user@host/db", RedactStorage(cfg.Storage))
		}
	}
	if m := o.RefreshMargin; m != "" {
		d, err := time.ParseDuration(m)
		if err != nil || d < 0 {
			return cfg, found, invalidSetting("refresh margin %q is not a duration like 5m or 90s", m)
		}
		cfg.RefreshMargin = d
	}
	return cfg, found, nil
}

// resolveHosts sets the region and the two bases. A region chosen now is
// not overridden by bases saved for another.
func resolveHosts(cfg *Config, o Overrides, saved Settings) error {
	if o.Region != "" {
		r, err := coze.ParseRegion(o.Region)
		if err != nil {
			return invalidSetting("%v", err)
		}
		cfg.Region = r
	} else {
		cfg.Region = saved.Region
	}
	cfg.APIBase, cfg.WWWBase = o.APIBase, o.WWWBase
	if o.Region == "" || strings.EqualFold(strings.TrimSpace(o.Region), string(saved.Region)) {
		// A web base saved beside another API base than the one given now
		// belongs to that one: the new API base's own goes with it.
		if o.APIBase == "" || o.APIBase == saved.APIBase {
			cfg.WWWBase = cmp.Or(cfg.WWWBase, saved.WWWBase)
		}
		cfg.APIBase = cmp.Or(cfg.APIBase, saved.APIBase)
	}
	for _, b := range []struct{ flag, base string }{{"--api-base", cfg.APIBase}, {"--www-base", cfg.WWWBase}} {
		if b.base == "" {
			continue
		}
		u, err := url.Parse(b.base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalidSetting("%s %q is not an http(s) URL", b.flag, b.base)
		}
		// Tokens and a web app's secret go to the API base.
		if b.flag == "--api-base" && u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
			return invalidSetting("%s %q would send tokens unencrypted: use https:// (plain http only for a loopback sandbox, like http://127.0.0.1:8808)", b.flag, b.base)
		}
	}
	return nil
}

// For returns a copy of s that keeps cfg's secrets where cfg says: in
// [Store.Keyring] when its Storage is "keyring".
func (s *Store) For(cfg Config) *Store {
	c := *s
	c.UseKeyring = cfg.UsesKeyring()
	return &c
}
