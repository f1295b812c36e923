package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

// dumbTerminal says whether $TERM names a terminal that cannot draw the
// full-screen wizard (Emacs' shell, some CI consoles): no cursor motion, no
// alternate screen.
func (g *globals) dumbTerminal() bool { return g.getenv("TERM") == "dumb" }

// runLineMode is bare `cozeauth` on a dumb terminal: the profile's status
// when it is logged in, else the line-mode `cozeauth login`. What it says
// itself is wrapped between words: a dumb terminal wraps mid-word.
func runLineMode(cmd *cobra.Command, g *globals) error {
	say := func(s string) { fmt.Fprint(g.env.Stderr, hangWords(s, g.outputWidth(g.env.Stderr), "  ")) }
	if g.flags.sandbox {
		say("cozeauth: --sandbox draws the full-screen wizard, which TERM=dumb cannot show: run `cozeauth sandbox` and log in to it with the `cozeauth login --profile sandbox …` it prints")
		return &ExitError{Code: ExitUsage} // said above, wrapped
	}
	m, err := g.manager()
	if err != nil {
		return err
	}
	st, err := m.Status()
	if err != nil {
		return err
	}
	if st.LoggedIn {
		say("TERM=dumb: no full-screen dashboard here; the status instead.")
		return runStatus(cmd.Context(), g, statusOpts{})
	}
	say("TERM=dumb: no full-screen wizard here; the line-mode `cozeauth login`.")
	if m.Config.ClientID == "" && g.stdinIsTerminal() {
		lg, err := g.askForApp(cmd.Context())
		if err != nil {
			return err
		}
		return runLogin(cmd.Context(), lg, loginOptions{timeout: defaultLoginTimeout})
	}
	login, _, err := cmd.Root().Find([]string{"login"})
	if err != nil {
		return err
	}
	login.SetContext(cmd.Context())
	return login.RunE(login, nil)
}

// askForApp asks, one line each, for what a login needs and the profile
// does not say: the app's client id and its type (Enter: guessed, as login
// guesses). It returns globals with the answers as if given as flags.
func (g *globals) askForApp(ctx context.Context) (*globals, error) {
	id, err := g.ask(ctx, "Client id of your Coze OAuth app (from its page in the Coze console): ")
	if err != nil {
		return nil, err
	}
	if id == "" {
		return nil, usageError("no client id given: pass --client-id, or run again and type it")
	}
	typ, err := g.ask(ctx, "App type: pkce, web, device or jwt (Enter: pkce): ")
	if err != nil {
		return nil, err
	}
	if typ != "" {
		if _, err := auth.ParseAppType(typ); err != nil {
			return nil, usageError("app type %q: %v", typ, err)
		}
	}
	return g.with(func(f *sharedFlags, a *appFlags) {
		f.clientID = id
		a.appType = cmp.Or(a.appType, typ)
	}), nil
}

// ask prints prompt on standard error and reads one line from standard
// input (scanLine: nothing after the line is taken from what the login
// reads next).
func (g *globals) ask(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(g.env.Stderr, prompt)
	line, err := scanLine(ctx, g.env.Stdin) // login.go
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil {
		if !errors.Is(err, errLineTooLong) {
			err = fmt.Errorf("no answer: %w", err)
		}
		return "", usageError("no answer to %q (%v): pass --client-id and --app-type instead", strings.TrimSpace(prompt), err)
	}
	return strings.TrimSpace(line), nil
}
