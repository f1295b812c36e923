package cli

import (
	"fmt"

	"github.com/spf13/cobra"
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
	login, _, err := cmd.Root().Find([]string{"login"})
	if err != nil {
		return err
	}
	login.SetContext(cmd.Context())
	return login.RunE(login, nil)
}
