package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpWidth is the widest a line of help may be.
const helpWidth = 100

// setHelp makes every command's help short: its own flags and the global
// ones that matter to it, lines of at most helpWidth columns; the root's
// help lists the global flags and the exit codes.
func setHelp(root *cobra.Command) {
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		writeHelp(c.OutOrStdout(), c)
	})
}

func writeHelp(w io.Writer, c *cobra.Command) {
	var b strings.Builder
	text := c.Long
	if text == "" {
		text = c.Short
	}
	b.WriteString(strings.TrimSpace(text) + "\n\nUsage:\n")
	if c.Runnable() {
		fmt.Fprintf(&b, "  %s\n", c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "  %s [command]\n", c.CommandPath())
	}
	if c.Example != "" {
		b.WriteString("\nExamples:\n" + strings.TrimRight(c.Example, "\n") + "\n")
	}
	if c.HasAvailableSubCommands() {
		writeCommandList(&b, c)
	}
	own := pflag.NewFlagSet(c.Name(), pflag.ContinueOnError)
	own.AddFlagSet(c.LocalNonPersistentFlags())
	for _, name := range commandGlobals(c) { // annotations.go
		if f := c.InheritedFlags().Lookup(name); f != nil {
			own.AddFlag(f)
		}
	}
	if own.HasAvailableFlags() {
		b.WriteString("\nFlags:\n" + own.FlagUsagesWrapped(helpWidth))
	}
	if !c.HasParent() {
		b.WriteString("\nGlobal flags, for every command, before or after its name:\n" + c.PersistentFlags().FlagUsagesWrapped(helpWidth))
		b.WriteString("\n" + exitCodesHelp)
		fmt.Fprintf(&b, "\nUse `%s COMMAND --help` for more about a command.\n", c.CommandPath())
	} else {
		b.WriteString("\n" + otherGlobals(c, own))
	}
	_, _ = io.WriteString(w, b.String())
}

// writeCommandList lists c's commands under their groups' titles (cobra
// groups, set where each command is made), then the ungrouped ones.
func writeCommandList(b *strings.Builder, c *cobra.Command) {
	list := func(title, group string) {
		var lines []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && sub.GroupID == group {
				lines = append(lines, hangWords(fmt.Sprintf("  %-11s %s", sub.Name(), sub.Short), helpWidth, strings.Repeat(" ", 14)))
			}
		}
		if len(lines) > 0 {
			b.WriteString("\n" + title + "\n" + strings.Join(lines, ""))
		}
	}
	for _, g := range c.Groups() {
		list(g.Title, g.ID)
	}
	title := "Commands:"
	if len(c.Groups()) > 0 {
		title = "Other commands:"
	}
	list(title, "")
}

// exitCodesHelp is the table of exit codes every command shares.
const exitCodesHelp = `Exit codes:
  0    ok (the wizard: it ended with a valid login)
  1    failure: network, Coze error, unreadable store (the wizard: left without a login)
  2    usage error
  3    probe: the path to Coze is partly or wholly blocked
  4    login required (never set up, logged out, expired, or refused)
  130  interrupted (Ctrl+C, SIGINT, SIGTERM, SIGHUP)
`

// otherGlobals points to the root's help for the global flags that c's help
// does not list, naming them.
func otherGlobals(c *cobra.Command, listed *pflag.FlagSet) string {
	var names []string
	c.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && listed.Lookup(f.Name) == nil {
			names = append(names, "--"+f.Name)
		}
	})
	root := c.Root().CommandPath()
	if len(names) == 0 {
		return fmt.Sprintf("Every global flag is listed above; see `%s --help` for the exit codes.\n", root)
	}
	return hangWords(fmt.Sprintf("Other global flags, see `%s --help`: %s.", root, strings.Join(names, ", ")), helpWidth, "  ")
}
