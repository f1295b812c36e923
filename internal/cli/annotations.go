package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// What a command says of itself, in its cobra.Command's Annotations, for
// the root and the help to read instead of lists of command names.
const (
	// annGlobals names, space-separated, the global flags that change
	// what the command does: its help lists them with its own flags.
	annGlobals = "cozeauth:globals"
	// annEnvToken marks a command that uses $COZE_API_TOKEN: the root
	// checks the variable before it runs (apptype.go).
	annEnvToken = "cozeauth:env-token"
	// annSandbox marks a command that takes --sandbox (sandboxflag.go).
	annSandbox = "cozeauth:sandbox"
)

// The groups of `cozeauth --help`'s command list.
const (
	groupLogin = "login"
	groupUse   = "use"
	groupCheck = "check"
)

var commandGroups = []*cobra.Group{
	{ID: groupLogin, Title: "Log in and keep the tokens:"},
	{ID: groupUse, Title: "Use Coze with them:"},
	{ID: groupCheck, Title: "Check the way to Coze, and test offline:"},
}

// annotations are a command's Annotations: the global flags its help
// lists and the marks it carries (annEnvToken, annSandbox).
func annotations(globals string, marks ...string) map[string]string {
	a := map[string]string{annGlobals: globals}
	for _, m := range marks {
		a[m] = "yes"
	}
	return a
}

// commandGlobals are the global flags that change what c does; its help
// lists them with its own flags. All of them are described once, in
// `cozeauth --help`.
func commandGlobals(c *cobra.Command) []string { return strings.Fields(c.Annotations[annGlobals]) }

// marked says whether c carries the mark.
func marked(c *cobra.Command, mark string) bool { return c.Annotations[mark] != "" }
