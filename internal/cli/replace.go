package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/auth"
)

// confirmReplace stops a login that would overwrite a profile's tokens with
// ones for another app or another Coze (a sandbox login into a real
// profile, say): rotating refresh tokens cannot be got back. On a terminal
// it asks; elsewhere it needs --force.
func (g *globals) confirmReplace(ctx context.Context, m *auth.Manager, force bool) error {
	if force {
		return nil
	}
	had, err := m.Store.Meta(m.Config.Profile)
	if err != nil || had == nil {
		return nil // nothing to lose (an unreadable store is login's to move aside)
	}
	saved, ok, err := m.Store.LoadSettings(m.Config.Profile)
	if err != nil || !ok {
		return nil
	}
	old := auth.Config{Profile: m.Config.Profile, Settings: saved}
	if old.API() == m.Config.API() && saved.ClientID == m.Config.ClientID {
		return nil
	}
	what := fmt.Sprintf("profile %q holds tokens of app %s at %s; this login is for app %s at %s",
		m.Config.Profile, orNone(saved.ClientID), old.API(), m.Config.ClientID, m.Config.API())
	if !g.stdinIsTerminal() {
		return usageError("%s, and would replace them: pass --force to replace them, or log in to another profile with --profile NAME", what)
	}
	fmt.Fprintf(g.env.Stderr, "%s.\nReplace them? The old refresh token cannot be got back. [y/N] ", strings.ToUpper(what[:1])+what[1:])
	answer, _ := readLine(ctx, g.env.Stdin) // no answer (end of input) is a no
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("nothing changed: profile %q keeps its tokens (use --profile NAME to log in beside it)", m.Config.Profile)}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
