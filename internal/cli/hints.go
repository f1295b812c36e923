package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// nextCommand is the `cozeauth name …` a hint tells a person to run next,
// for profile, with the flags this run was given that say where the
// profile lives and which Coze it talks to, so that it reaches what this
// run reached: --profile (not for the default one), --region, --api-base,
// --www-base, --redirect-uri, --storage and --client-id (never the client
// secret). What the environment set is still set for the next command. An
// empty name is bare `cozeauth`, the wizard. Every hint that names a
// command should be built here (status.go and profiles.go included).
func (g *globals) nextCommand(name, profile string) string {
	return commandLine(g.flags, name, profile)
}

// commandLine is `cozeauth name` for profile with the flags of f that
// nextCommand keeps.
func commandLine(f sharedFlags, name, profile string) string {
	parts := []string{"cozeauth"}
	if name != "" {
		parts = append(parts, name)
	}
	if profile != "" && profile != "default" && !(f.useSandbox && profile == "sandbox") {
		parts = append(parts, "--profile", hintValue(profile))
	}
	if f.useSandbox {
		parts = append(parts, "--sandbox")
	}
	for _, fl := range []struct{ name, value string }{
		{"--region", f.region}, {"--api-base", f.apiBase}, {"--www-base", f.wwwBase},
		{"--redirect-uri", f.redirectURI}, {"--storage", f.storage}, {"--client-id", f.clientID},
	} {
		if fl.value != "" {
			parts = append(parts, fl.name, hintValue(fl.value))
		}
	}
	return strings.Join(parts, " ")
}

// hintValue is v as a shell word, made safe for a terminal: quoted when it
// holds anything but the characters of names, URLs and ids.
func hintValue(v string) string {
	v = coze.Sanitize(v) // a name read from the store may hold anything
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// loginHintError is a login-required error whose closing "run `cozeauth
// login …`" names the flags the run was given.
type loginHintError struct {
	err   error
	login string
}

func (e *loginHintError) Error() string {
	var lr *auth.LoginRequiredError
	msg := e.err.Error()
	if errors.As(e.err, &lr) {
		bare := "; run `" + commandLine(sharedFlags{}, "login", lr.Profile) + "`"
		if strings.HasSuffix(msg, bare) {
			return strings.TrimSuffix(msg, bare) + "; run `" + e.login + "`"
		}
	}
	return msg
}

func (e *loginHintError) Unwrap() error { return e.err }

// withFlagsInHints makes the next step err names keep this run's flags:
// a login required says `cozeauth login --profile work --api-base …`, not
// the bare `cozeauth login` that would reach another Coze.
func (g *globals) withFlagsInHints(err error) error {
	var lr *auth.LoginRequiredError
	if !errors.As(err, &lr) {
		return err
	}
	login := g.nextCommand("login", lr.Profile)
	if login == commandLine(sharedFlags{}, "login", lr.Profile) {
		return err // nothing to add
	}
	return &loginHintError{err: err, login: login}
}

// notSetUpHint is what every command says of a profile no login ever set
// up, with this run's flags.
func (g *globals) notSetUpHint(profile string) string {
	login := g.nextCommand("login", profile)
	if g.flags.useSandbox { // the sandbox's PKCE app is login's default
		return "not set up: run `" + login + "`"
	}
	if g.flags.clientID == "" {
		login += " --client-id …"
	}
	return fmt.Sprintf("not set up: run `%s` or `%s`", g.nextCommand("", profile), login)
}

// notSetUpError turns "login required" for a profile that no login ever
// set up (no client id anywhere, no tokens) into advice that works: a bare
// `cozeauth login` would only ask for a client id. Other errors are
// returned as they are.
func (g *globals) notSetUpError(m *auth.Manager, err error) error {
	if !auth.IsLoginRequired(err) || m.Config.ClientID != "" {
		return err
	}
	if st, serr := m.Status(); serr != nil || st.State != auth.StateNotSetUp {
		return err
	}
	return &ExitError{Code: ExitLoginRequired, Err: fmt.Errorf("profile %q is %s", m.Config.Profile, g.notSetUpHint(m.Config.Profile))}
}
