package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// This file holds the commands that change which profiles there are: `use`,
// `profiles rm` and `logout --all`. Each goes through the store's lock.

func newUseCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		GroupID: groupLogin,
		Use:     "use NAME",
		Short:   "Make NAME the profile commands use when none is named (like `gh auth switch`)",
		Long: `Save NAME as the profile every command uses when neither --profile nor
$COZE_PROFILE names one (both still win). It is kept in the config directory's
settings (config.json). ` + "`cozeauth use default`" + ` goes back to the profile "default".
` + "`status`" + ` and ` + "`profiles`" + ` mark it.`,
		Example: `  cozeauth use work
  cozeauth use default`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("use takes one profile name (see `cozeauth profiles`)")
			}
			return nil
		},
		RunE:              func(cmd *cobra.Command, args []string) error { return runUse(cmd.Context(), g, args[0]) },
		ValidArgsFunction: g.firstArgProfile,
	}
}

func runUse(ctx context.Context, g *globals, name string) error {
	st, err := g.store()
	if err != nil {
		return err
	}
	if name != "default" {
		if err := knownProfile(st, name); err != nil {
			return err
		}
	}
	l, err := st.Lock(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := l.SetDefault(name); err != nil {
		return err
	}
	fmt.Fprintf(g.env.Stderr, "Commands now use profile %q when neither --profile nor $COZE_PROFILE names one.\n", name)
	if env := g.getenv("COZE_PROFILE"); env != "" && env != name {
		fmt.Fprintf(g.env.Stderr, "$COZE_PROFILE is set to %q here, and wins over it.\n", env)
	}
	return nil
}

func newProfilesRmCmd(g *globals) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Remove a profile: its settings and its tokens",
		Long: `Remove the profile NAME from the config directory: its saved settings, its
tokens (and their system keyring entry), and the saved default when it is
NAME. Other profiles stay as they are. Coze documents no revocation endpoint:
the tokens stay valid at Coze until they expire.

On a terminal it asks first; elsewhere it needs --yes.`,
		Example: `  cozeauth profiles rm old
  cozeauth profiles rm old --yes`,
		Aliases: []string{"remove"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("profiles rm takes one profile name (see `cozeauth profiles`)")
			}
			return nil
		},
		RunE:              func(cmd *cobra.Command, args []string) error { return runProfilesRm(cmd.Context(), g, args[0], yes) },
		ValidArgsFunction: g.firstArgProfile,
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "remove without asking (needed off a terminal)")
	return cmd
}

func runProfilesRm(ctx context.Context, g *globals, name string, yes bool) error {
	st, err := g.store()
	if err != nil {
		return err
	}
	if err := knownProfile(st, name); err != nil {
		return err
	}
	q := fmt.Sprintf("Remove profile %q: its settings and its tokens?", name)
	if err := g.confirm(ctx, yes, q, fmt.Sprintf("profiles rm would remove profile %q", name)); err != nil {
		return err
	}
	l, err := st.Lock(ctx)
	if err != nil {
		return err
	}
	defer l.Unlock()
	if err := l.Forget(name); err != nil {
		return err
	}
	fmt.Fprintf(g.env.Stderr, "Removed profile %q: its settings and tokens. Coze has no revocation endpoint: the tokens stay valid at Coze until they expire.\n", name)
	return nil
}

// runLogoutAll is `logout --all`: every profile's tokens, in one write;
// the settings stay, so `cozeauth login --profile NAME` logs in again.
func runLogoutAll(ctx context.Context, g *globals, yes bool) error {
	st, err := g.store()
	if err != nil {
		return err
	}
	l, err := st.Lock(ctx)
	if err != nil {
		return err
	}
	names, err := l.LoggedInProfiles()
	l.Unlock() // not held while a person answers
	if err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(g.env.Stderr, "No profile has tokens stored.")
		return nil
	}
	list := quotedNames(names)
	if err := g.confirm(ctx, yes, fmt.Sprintf("Remove the tokens of %s?", list), "logout --all would remove the tokens of "+list); err != nil {
		return err
	}
	if l, err = st.Lock(ctx); err != nil {
		return err
	}
	defer l.Unlock()
	if err := l.Delete(names...); err != nil {
		return err
	}
	fmt.Fprintf(g.env.Stderr, "Removed the tokens of %s. Coze has no revocation endpoint: they stay valid at Coze until they expire.\n", list)
	return nil
}

// firstArgProfile completes NAME, the one argument, from the store.
func (g *globals) firstArgProfile(c *cobra.Command, args []string, typed string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return g.profileValues(c, args, typed) // complete.go
}

// confirm asks question on a terminal ([y/N], no answer is no); off a
// terminal it needs yes (--yes), and the usage error says what would have
// been done.
func (g *globals) confirm(ctx context.Context, yes bool, question, what string) error {
	if yes {
		return nil
	}
	if !g.stdinIsTerminal() {
		return usageError("%s: pass --yes to do it without a terminal to ask on", what)
	}
	yes, err := g.askYes(ctx, question)
	if err != nil {
		return err
	}
	if !yes {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("nothing changed")}
	}
	return nil
}

// askYes asks question on standard error with [y/N] and reads the answer
// from standard input: y or yes is a yes; anything else, and no answer
// (end of input), is a no. It fails only when ctx ends.
func (g *globals) askYes(ctx context.Context, question string) (bool, error) {
	fmt.Fprintf(g.env.Stderr, "%s [y/N] ", question)
	answer, _ := readLine(ctx, g.env.Stdin)
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}

// knownProfile is nil when the config directory has profile name, else a
// usage error naming the directory, with the close names.
func knownProfile(st *auth.Store, name string) error {
	names, err := st.Profiles()
	if err != nil {
		return err
	}
	if slices.Contains(names, name) {
		return nil
	}
	var near []string
	for _, n := range names {
		if strings.HasPrefix(n, name) || editDistance(name, n) <= suggestionDistance {
			near = append(near, coze.Sanitize(n))
		}
	}
	return usageError("no profile %q in %s (see `cozeauth profiles`)%s", name, st.Dir, didYouMean(near))
}

// quotedNames is `"a", "b" and "c"`.
func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "profile " + q[0]
	}
	return fmt.Sprintf("%d profiles: %s and %s", len(q), strings.Join(q[:len(q)-1], ", "), q[len(q)-1])
}
