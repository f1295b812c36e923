package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/cozeauth/cozeauth/coze"
)

// flagValues are the values shells complete for a flag, by flag name; a
// flag of that name on any command gets them. --profile completes from the
// store instead (profileValues).
var flagValues = map[string][]string{
	"region":   {string(coze.RegionCOM) + "\tcoze.com", string(coze.RegionCN) + "\tcoze.cn"},
	"app-type": {"pkce\tmobile / PC desktop / single-page app", "web\tweb back-end app", "device\tTV / device / command-line program", "jwt\tservice app"},
	"storage":  {"file\ta 0600 file in the config directory", "keyring\tthe system keyring", "etcd://\ta shared etcd cluster: etcd://host:2379/prefix", "postgres://\ta shared PostgreSQL database (a libpq URL)"},
	"targets":  {"current", "legacy", "all", "api", "oauth", "websocket", "account"},
}

// registerCompletions lets shells complete the values of --profile,
// --region, --app-type, --storage and --targets wherever they appear
// (`cozeauth completion bash` prints the script that asks).
func registerCompletions(root *cobra.Command, g *globals) {
	register := func(c *cobra.Command, fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) {
			switch values, ok := flagValues[f.Name]; {
			case f.Name == "profile":
				_ = c.RegisterFlagCompletionFunc(f.Name, g.profileValues)
			case f.Name == "region":
				_ = c.RegisterFlagCompletionFunc(f.Name, regionValues)
			case ok:
				_ = c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		})
	}
	register(root, root.PersistentFlags())
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		register(c, c.LocalNonPersistentFlags())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// regionValues are the regions, and for probe also all of them at once.
func regionValues(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	values := flagValues["region"]
	if c.Name() == "probe" {
		values = append(values[:len(values):len(values)], "all\tboth regions at once")
	}
	return values, cobra.ShellCompDirectiveNoFileComp
}

// profileValues are the profiles in the store that the command would use.
func (g *globals) profileValues(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	st, err := g.store()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	names, err := st.Profiles()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	for i, n := range names {
		names[i] = strings.ReplaceAll(n, "\t", " ") // a tab would start a description
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
