package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// TestCommandsLeaveFlagsAsParsed runs each command and checks that what
// cobra parsed into the shared flags and login's app flags is what they
// hold when the command returns: another profile, the sandbox's bases or a
// console config file's settings are resolved into a config of their own
// (configWith, with), never written over the flags.
func TestCommandsLeaveFlagsAsParsed(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	cfgFile := filepath.Join(t.TempDir(), "coze_oauth_config.json")
	body := `{"client_type":"device","client_id":"` + sandbox.DeviceClientID + `","coze_api_base":"` + s.base + `","coze_www_base":"` + s.base + `"}`
	if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"status"},
		{"status", "--all"},
		{"status", "--all", "--check"},
		{"profiles"},
		{"token"},
		{"token", "--profile", "other"},
		{"refresh"},
		{"api", "/v1/users/me"},
		{"probe", "--targets", "api"},
		{"login", "--profile", "fromfile", "--config", cfgFile, "--timeout", "1ms"},
		{"logout", "--profile", "nobody"},
		{"logout", "--all", "--yes"},
		{"use", "default"},
		{"profiles", "rm", "nobody"},
		{"proxy", "--print-key"},
		{"exec", "--", "true"},
		{"token", "--json"},
		{"version"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			env := &Env{
				Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
				Getenv: func(k string) string {
					if k == "COZEAUTH_CONFIG_DIR" {
						return s.dir
					}
					return ""
				},
				Now:     func() time.Time { return testNow },
				Version: "test",
			}
			g := newGlobals(env)
			root := newRootCmd(g)
			ran := false
			watchFlags(root, g, func(cmd *cobra.Command, before, after flagsSeen) {
				ran = true
				if before != after {
					t.Errorf("%s changed the flags:\n before %+v\n after  %+v", cmd.CommandPath(), before, after)
				}
			})
			root.SetArgs(args)
			root.SetIn(env.Stdin)
			root.SetOut(env.Stdout)
			root.SetErr(env.Stderr)
			_ = root.ExecuteContext(context.Background()) // the outcome is other tests' concern
			g.waitForPending(env.Stderr, pendingLimit)
			if !ran {
				t.Fatalf("the command did not run: %s", stderr.String())
			}
		})
	}
}

// flagsSeen is what the flags hold at one moment.
type flagsSeen struct {
	flags sharedFlags
	app   appFlags
}

// watchFlags wraps the RunE of every command under root to hand check the
// flags as parsed and as left.
func watchFlags(root *cobra.Command, g *globals, check func(cmd *cobra.Command, before, after flagsSeen)) {
	for _, c := range root.Commands() {
		watchFlags(c, g, check)
	}
	run := root.RunE
	if run == nil {
		return
	}
	root.RunE = func(cmd *cobra.Command, args []string) error {
		before := flagsSeen{g.flags, g.app}
		defer func() { check(cmd, before, flagsSeen{g.flags, g.app}) }()
		return run(cmd, args)
	}
}
