package cli

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/input"
	"github.com/cozeauth/cozeauth/internal/oauthconfig"
)

// appFlags are login's flags for the app type and what each type needs.
// --duration (and $COZE_JWT_DURATION) is read by every command: it is the
// life asked of the next minted JWT token.
type appFlags struct {
	appType, workspaceID  string
	publicKeyID, keyFile  string
	duration, sessionName string
	accountID, enterprise string
	scopeFile, configFile string
	// deviceID and customConsumer are session_context.device_info, taken
	// by login and token.
	deviceID, customConsumer string
	privateKeyFromConfig     string // the PEM of --config's private_key
}

func (a *appFlags) register(f *pflag.FlagSet) {
	f.StringVar(&a.appType, "app-type", "", "the app's client type in the Coze console: pkce, web, device or jwt (default: the profile's, else web with a secret, jwt with a key, else pkce) [$COZE_APP_TYPE]")
	f.StringVar(&a.workspaceID, "workspace-id", "", "scope the login to one workspace (pkce, web and device apps) [$COZE_WORKSPACE_ID]")
	f.StringVar(&a.publicKeyID, "public-key-id", "", "jwt: the public key's id (fingerprint) from the app's page in the console")
	f.StringVar(&a.keyFile, "private-key-file", "", "jwt: the private_key.pem downloaded from the console (only its path is saved) [or the PEM in $COZE_JWT_PRIVATE_KEY]")
	f.StringVar(&a.duration, "duration", "", "jwt: life of each minted access token, at most 86399s (default 15m) [$COZE_JWT_DURATION]")
	f.StringVar(&a.sessionName, "session-name", "", "jwt: session_name claim, the end user's id for conversation isolation")
	f.StringVar(&a.accountID, "account-id", "", "jwt: mint tokens for another account: for a personal edition the UID of the workspace owner who authorized the app (cross-account), for an enterprise the organisation id (multi-organisation)")
	f.StringVar(&a.enterprise, "enterprise-id", "", "jwt: mint enterprise-scoped tokens")
	f.StringVar(&a.scopeFile, "scope-file", "", "jwt: a JSON file holding the token call's scope object, sent as it is")
	f.StringVar(&a.configFile, "config", "", "import the app from the console's coze_oauth_config.json")
	a.registerSession(f)
}

// registerSession adds the flags of a JWT's session_context.device_info,
// which login and token take.
func (a *appFlags) registerSession(f *pflag.FlagSet) {
	f.StringVar(&a.deviceID, "device-id", "", "jwt: session_context.device_info.device_id, the (IoT) device the token is for, for per-device usage and quotas; saved in the profile [$COZE_JWT_DEVICE_ID]")
	f.StringVar(&a.customConsumer, "custom-consumer", "", "jwt: session_context.device_info.custom_consumer, your own id of the consumer (not a phone number or other personal data); saved in the profile [$COZE_JWT_CUSTOM_CONSUMER]")
}

// resolveApp applies the app-type flags and environment over what the
// store resolved (the saved type, workspace and JWT settings of the same
// app): the app type, the workspace, the JWT settings and a key.
func (g *globals) resolveApp(cfg *auth.Config, st *auth.Store) error {
	a := &g.app
	if t := cmp.Or(a.appType, g.getenv("COZE_APP_TYPE")); t != "" {
		at, err := auth.ParseAppType(t)
		if err != nil {
			return usageError("--app-type: %v", err)
		}
		cfg.Settings.AppType = at
	}
	if w := cmp.Or(a.workspaceID, g.getenv("COZE_WORKSPACE_ID")); w != "" {
		cfg.WorkspaceID = w
	}
	maybeJWT := cfg.Settings.AppType == "" || cfg.Settings.AppType == auth.AppJWT
	js, err := g.jwtSettings(cfg.JWT, maybeJWT)
	if err != nil {
		return err
	}
	cfg.JWT = js
	cfg.PrivateKeyPEM = a.privateKeyFromConfig
	// Flags > environment > saved: --private-key-file beats the
	// environment's key, which beats a key file saved at the last login.
	if env := g.getenv("COZE_JWT_PRIVATE_KEY"); env != "" && cfg.PrivateKeyPEM == "" && a.keyFile == "" && !savedBeforeAppTypes(*cfg, st) {
		cfg.PrivateKeyPEM = env
	}
	if cfg.AppType() != auth.AppWeb {
		cfg.ClientSecret = "" // only a web app has one: neither sent nor stored for another
	}
	if cfg.AppType() == auth.AppJWT {
		if a.workspaceID != "" {
			return usageError("--workspace-id is for pkce, web and device apps: a jwt app's tokens are scoped by --scope-file (its workspace_permission), --account-id or --enterprise-id")
		}
		cfg.WorkspaceID = "" // $COZE_WORKSPACE_ID may be meant for another profile
		return nil
	}
	if name := a.jwtFlagGiven(); name != "" {
		return usageError("%s is for a jwt (service) app, but this is a %s app: pass --app-type jwt with the service app's client id", name, cfg.AppType())
	}
	cfg.JWT = nil
	cfg.PrivateKeyPEM = "" // a key meant for a service app is not stored with another app's tokens
	return nil
}

// jwtFlagGiven names a JWT-only flag that was given, if any.
func (a *appFlags) jwtFlagGiven() string {
	for _, f := range []struct{ name, value string }{
		{"--public-key-id", a.publicKeyID}, {"--private-key-file", a.keyFile}, {"--duration", a.duration},
		{"--session-name", a.sessionName}, {"--account-id", a.accountID}, {"--enterprise-id", a.enterprise}, {"--scope-file", a.scopeFile},
		{"--device-id", a.deviceID}, {"--custom-consumer", a.customConsumer},
	} {
		if f.value != "" {
			return f.name
		}
	}
	return ""
}

// savedBeforeAppTypes reports whether cfg is a profile saved by a PKCE or
// web login before app types were saved: a key in the environment (meant
// for another profile) must not turn it into a jwt one.
func savedBeforeAppTypes(cfg auth.Config, st *auth.Store) bool {
	if cfg.Settings.AppType != "" {
		return false
	}
	saved, found, err := st.LoadSettings(cfg.Profile)
	return err == nil && found && saved.ClientID == cfg.ClientID && saved.AppType == ""
}

// jwtSettings merges the JWT flags over saved, the settings saved for the
// same app (nil when none). The environment's duration counts only when the
// app may be a jwt one: it must not stop another app's commands.
func (g *globals) jwtSettings(saved *auth.JWTSettings, maybeJWT bool) (*auth.JWTSettings, error) {
	a := &g.app
	js := &auth.JWTSettings{}
	if saved != nil {
		*js = *saved
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&js.PublicKeyID, strings.TrimSpace(a.publicKeyID)) // the kid is compared exactly
	set(&js.SessionName, a.sessionName)
	if maybeJWT { // another app's commands ignore the environment's
		set(&js.DeviceID, strings.TrimSpace(g.getenv("COZE_JWT_DEVICE_ID")))
		set(&js.CustomConsumer, strings.TrimSpace(g.getenv("COZE_JWT_CUSTOM_CONSUMER")))
	}
	set(&js.DeviceID, strings.TrimSpace(a.deviceID))
	set(&js.CustomConsumer, strings.TrimSpace(a.customConsumer))
	if a.keyFile != "" {
		abs, err := absPath(a.keyFile)
		if err != nil {
			return nil, usageError("--private-key-file %q: %v", a.keyFile, err)
		}
		if fi, err := os.Stat(abs); err == nil && fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(g.env.Stderr, "warning: %s is readable by other users (mode %04o); run `chmod 600 %s`\n", abs, fi.Mode().Perm(), abs)
		}
		js.PrivateKeyFile = abs
	}
	if a.accountID != "" || a.enterprise != "" {
		if a.accountID != "" && a.enterprise != "" {
			return nil, usageError("--account-id and --enterprise-id exclude each other: a token is scoped to one")
		}
		if a.accountID != "" && strings.Trim(a.accountID, "0123456789") != "" {
			return nil, usageError("--account-id %q is not a number: use the organisation id from the organisation settings page", a.accountID)
		}
		js.AccountID, js.EnterpriseID = a.accountID, a.enterprise
	}
	if secs, err := g.jwtDuration(maybeJWT); err != nil {
		return nil, err
	} else if secs > 0 {
		js.DurationSeconds = secs
	}
	if a.scopeFile != "" {
		data, err := input.ReadFile(a.scopeFile)
		if err != nil {
			return nil, usageError("--scope-file: %v: pass a JSON file holding the token call's scope", err)
		}
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, usageError("--scope-file %s is not a JSON object (%v): it holds the token call's scope, like {\"account_permission\":{\"permission_list\":[\"Connector.botChat\"]}}", a.scopeFile, err)
		}
		js.Scope = json.RawMessage(data)
	}
	return js, nil
}

// jwtDuration is the token life in seconds asked for by --duration or, for
// an app that may be a jwt one, $COZE_JWT_DURATION; 0 when neither is set.
func (g *globals) jwtDuration(maybeJWT bool) (int, error) {
	d, from := g.app.duration, "--duration"
	if d == "" && maybeJWT {
		d, from = g.getenv("COZE_JWT_DURATION"), "$COZE_JWT_DURATION"
	}
	if d == "" {
		return 0, nil
	}
	dur, err := parseJWTDuration(from, d)
	return int(dur / time.Second), err
}

// parseJWTDuration accepts a Go duration (15m, 24h) or plain seconds, up to
// Coze's limit of 86399 s.
func parseJWTDuration(from, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		var n int
		if _, scanErr := fmt.Sscanf(s, "%d", &n); scanErr != nil || fmt.Sprint(n) != s {
			return 0, usageError("%s %q is not a duration like 15m, 2h or 900 (seconds)", from, s)
		}
		d = time.Duration(n) * time.Second
	}
	switch {
	case d < time.Minute:
		return 0, usageError("%s %s is too short: ask for at least a minute", from, s)
	case d > auth.MaxJWTDuration:
		return 0, usageError("%s %s is longer than Coze allows: at most 86399s (23h59m59s)", from, s)
	}
	return d.Truncate(time.Second), nil
}

func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		p = home + p[1:]
	}
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// envToken is a static token from $COZE_API_TOKEN (a personal or service
// access token), used as it is with no store, like GH_TOKEN for gh.
func (g *globals) envToken() string { return strings.TrimSpace(g.getenv("COZE_API_TOKEN")) }

// checkEnvToken refuses a $COZE_API_TOKEN that could not be printed as one
// line or sent in a header (a pasted newline, two tokens), without
// showing it.
func (g *globals) checkEnvToken() error {
	if tok := g.envToken(); tok != "" {
		if err := coze.CheckToken("$COZE_API_TOKEN", tok); err != nil {
			return usageError("%v: set it to the one token alone (pat_… or a service access token), or unset it", err)
		}
	}
	return nil
}

// envTokenStatus describes a $COZE_API_TOKEN for `status`.
func (g *globals) envTokenStatus(cfg auth.Config, tok string) *auth.Status {
	region := cfg.Region
	if region == "" {
		region = coze.RegionCOM
	}
	st := &auth.Status{
		Profile:     cfg.Profile,
		Region:      region,
		APIBase:     cfg.API(),
		ClientID:    cfg.ClientID,
		LoggedIn:    true,
		AccessToken: auth.Mask(tok),
		Source:      auth.SourceEnv,
		State:       auth.StateLoggedIn,
	}
	if cfg.ClientID != "" { // else no app: not an inferred "pkce"
		st.AppType = cfg.AppType()
	}
	return st
}

// withConfigFile applies `login --config coze_oauth_config.json`: its
// fields fill what the flags left empty; the secret and the key go where
// secrets go (the token store or keyring), never into config.json.
func (g *globals) withConfigFile() (*globals, error) {
	path := g.app.configFile
	if path == "" {
		return g, nil
	}
	data, err := input.ReadFile(path)
	if err != nil {
		return nil, usageError("--config: %v: pass the coze_oauth_config.json downloaded from the app's page in the Coze console", err)
	}
	c, warnings, err := oauthconfig.Parse(path, data)
	for _, w := range warnings {
		fmt.Fprintln(g.env.Stderr, "warning: "+w)
	}
	if err != nil { // the file is the caller's to fix
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	return g.with(func(f *sharedFlags, a *appFlags) {
		set(&f.clientID, c.ClientID)
		set(&a.appType, c.ClientType)
		set(&f.apiBase, c.CozeAPIBase)
		set(&f.wwwBase, c.CozeWWWBase)
		if c.ClientType == string(auth.AppWeb) {
			set(&f.clientSecret, c.ClientSecret)
		}
		if c.ClientType == string(auth.AppJWT) {
			set(&a.publicKeyID, c.PublicKeyID)
			a.privateKeyFromConfig = c.PrivateKey
		}
	}), nil
}
