package cli

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print cozeauth's version",
		Long: `Print cozeauth's version: the one set at build time, else the module version
(go install …@v1.2.3), else the commit it was built from and that commit's
date, with "modified" when the checkout had changes; and the Go version.`,
		Example: `  cozeauth version`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), "cozeauth "+g.version())
			return nil
		},
	}
}

// version is this build's version, from the build info unless set with
// -ldflags "-X main.version=…".
func (g *globals) version() string {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(g.env.Version, info)
}

// describeBuild says which cozeauth this is: set (when not "dev" or
// empty), else the module version, else the VCS revision and its date.
func describeBuild(set string, info *debug.BuildInfo) string {
	if set != "" && set != "dev" {
		return set
	}
	if info == nil {
		return "dev (no build information)"
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	var parts []string
	if rev := vcs["vcs.revision"]; rev != "" {
		parts = append(parts, "commit "+rev[:min(len(rev), 12)])
	}
	if t := vcs["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	if vcs["vcs.modified"] == "true" {
		parts = append(parts, "modified")
	}
	if info.GoVersion != "" {
		parts = append(parts, info.GoVersion)
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "dev"
	}
	// A pseudo-version already names the commit; keep the details anyway,
	// they are what a bug report needs.
	v = strings.TrimSuffix(v, "+dirty")
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, ", ") + ")"
}
