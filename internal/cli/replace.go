package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// confirmLogin asks before a login loses what the profile has, reading
// its saved settings once: another app's tokens are confirmReplace's to
// ask about, the same app's confirmRelogin's. --force asks nothing; a
// profile never saved has nothing to lose.
func (g *globals) confirmLogin(ctx context.Context, m *auth.Manager, force bool) error {
	if force {
		return nil
	}
	saved, ok, err := m.Store.LoadSettings(m.Config.Profile)
	if err != nil || !ok {
		return nil
	}
	if !sameApp(m.Config, saved) {
		return g.confirmReplace(ctx, m, saved)
	}
	return g.confirmRelogin(ctx, m)
}

// confirmReplace stops a login that would overwrite a profile's tokens with
// ones for another app or another Coze (a sandbox login into a real
// profile, say): rotating refresh tokens cannot be got back. saved are the
// profile's settings, of the other app. On a terminal it asks; elsewhere
// it needs --force.
func (g *globals) confirmReplace(ctx context.Context, m *auth.Manager, saved auth.Settings) error {
	had, err := m.Store.Meta(m.Config.Profile)
	if err != nil || had == nil {
		return nil // nothing to lose (an unreadable store is login's to move aside)
	}
	old := auth.Config{Profile: m.Config.Profile, Settings: saved}
	what := fmt.Sprintf("profile %q holds tokens of app %s at %s; this login is for app %s at %s",
		m.Config.Profile, orNone(saved.ClientID), old.API(), m.Config.ClientID, m.Config.API())
	if !g.stdinIsTerminal() {
		return usageError("%s, and would replace them: pass --force to replace them, or log in to another profile with --profile NAME", what)
	}
	yes, err := g.askYes(ctx, strings.ToUpper(what[:1])+what[1:]+".\nReplace them? The old refresh token cannot be got back.")
	if err != nil {
		return err
	}
	if !yes {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("nothing changed: profile %q keeps its tokens (use --profile NAME to log in beside it)", m.Config.Profile)}
	}
	return nil
}

// sameApp says whether saved settings are of cfg's app at cfg's Coze.
func sameApp(cfg auth.Config, saved auth.Settings) bool {
	old := auth.Config{Profile: cfg.Profile, Settings: saved}
	return old.API() == cfg.API() && saved.ClientID == cfg.ClientID
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// confirmRelogin asks, on a terminal, before logging in again a profile
// that is logged in already with the same app at the same Coze: the
// tokens it has would do. No terminal (a script means it), a jwt app
// (nothing to approve) or a profile not logged in skip the question.
func (g *globals) confirmRelogin(ctx context.Context, m *auth.Manager) error {
	if !g.stdinIsTerminal() || m.Config.AppType() == auth.AppJWT {
		return nil
	}
	s, err := m.Status()
	if err != nil || !s.LoggedIn {
		return nil
	}
	who := ""
	if s.User != nil && s.User.Display() != "" {
		who = " as " + coze.Sanitize(s.User.Display())
	}
	yes, err := g.askYes(ctx, fmt.Sprintf("Profile %q is already logged in%s; log in again?", m.Config.Profile, who))
	if err != nil {
		return err
	}
	if !yes {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("nothing changed: profile %q stays logged in (--force logs in again without asking)", m.Config.Profile)}
	}
	return nil
}
