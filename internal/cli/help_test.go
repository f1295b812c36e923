package cli

import (
	"regexp"
	"strings"
	"testing"
)

// Every command's -h fits 100 columns, shows an example, and lists the
// global flags once: all of them in `cozeauth --help`, only those that
// matter elsewhere.
func TestHelp(t *testing.T) {
	t.Parallel()
	root := newRootCmd(newGlobals(&Env{Getenv: func(string) string { return "" }}))
	cmds := []string{""}
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "completion" {
			cmds = append(cmds, c.Name())
		}
	}
	for _, name := range cmds {
		t.Run("cozeauth "+name, func(t *testing.T) {
			args := strings.Fields(name + " -h")
			res := runCLI(t, t.TempDir(), nil, "", args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			for _, l := range strings.Split(res.stdout, "\n") {
				if n := len([]rune(l)); n > helpWidth {
					t.Errorf("a line of %d columns: %q", n, l)
				}
			}
			if !strings.Contains(res.stdout, "\nExamples:\n  ") {
				t.Errorf("no example:\n%s", res.stdout)
			}
			globals := strings.Count(res.stdout, "[$COZE")
			switch name {
			case "":
				if globals < 8 || !strings.Contains(res.stdout, "130  interrupted") {
					t.Errorf("the root help lacks the global flags or the exit codes:\n%s", res.stdout)
				}
			case "profiles", "sandbox", "version":
				if globals != 0 {
					t.Errorf("%d global flags in the help of a command they do not change:\n%s", globals, res.stdout)
				}
			case "login":
				if !strings.Contains(res.stdout, "--client-id") {
					t.Errorf("login's help lacks --client-id:\n%s", res.stdout)
				}
			default:
				if strings.Contains(strings.Split(res.stdout, "Other global flags")[0], "--client-secret") {
					t.Errorf("a global flag that does not matter here is repeated:\n%s", res.stdout)
				}
			}
			if name != "" && !strings.Contains(res.stdout, "see `cozeauth --help`") {
				t.Errorf("no pointer to the global flags:\n%s", res.stdout)
			}
			// The pointer names only the global flags not listed above it.
			if i, j := strings.Index(res.stdout, "Other global flags"), strings.Index(res.stdout, "\nFlags:\n"); i >= 0 && j >= 0 {
				for _, f := range regexp.MustCompile(`--[a-z-]+`).FindAllString(res.stdout[i:], -1) {
					if f != "--help" && regexp.MustCompile(`(?m)^\s+(-\w, )?`+f+` `).MatchString(res.stdout[j:i]) {
						t.Errorf("the pointer to the other global flags names %s, listed above:\n%s", f, res.stdout)
					}
				}
			}
		})
	}
}
