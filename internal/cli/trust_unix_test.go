//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// needOtherUser: planting another user's files needs chown, so root; CI
// runs as root, where a skip would hide a regression.
func needOtherUser(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("planting another user's files needs root (chown), and CI runs as root")
	}
	t.Skip("planting another user's files needs root (chown to uid 65534); run as root to cover it")
}

// snapshot lists a directory's entries with their sizes and modes, to
// show that nothing was written there.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		fi, _ := e.Info()
		b.WriteString(e.Name() + " " + fi.Mode().String() + " " + fi.ModTime().String() + "\n")
	}
	fi, _ := os.Lstat(dir)
	return b.String() + fi.Mode().String()
}

// Issue 15, item 1: a config directory of another user's (here 0777, with
// that user's logged-in tokens.json), or one others can write, is refused by
// token, status and profiles with exit 2, naming the directory and the fix;
// no token is printed and nothing is written or chmodded there.
func TestConfigDirNotOursIsRefusedByEveryCommand(t *testing.T) {
	for _, other := range []bool{true, false} {
		t.Run(map[bool]string{true: "another uid's, 0777", false: "ours, 0777"}[other], func(t *testing.T) {
			if other {
				needOtherUser(t)
			}
			s := loginToSandbox(t)
			if other {
				for _, p := range []string{s.dir, filepath.Join(s.dir, "tokens.json"), filepath.Join(s.dir, "config.json")} {
					if err := os.Lchown(p, 65534, 65534); err != nil && !os.IsNotExist(err) {
						t.Fatal(err)
					}
				}
			}
			os.Chmod(s.dir, 0o777)
			before := snapshot(t, s.dir)
			env := map[string]string{"XDG_STATE_HOME": filepath.Join(t.TempDir(), "state")}
			for _, args := range [][]string{{"token"}, {"status"}, {"status", "--all"}, {"status", "--json"}, {"profiles"}, {"refresh"}} {
				r := s.run(0, env, args...)
				why := map[bool]string{true: "is owned by uid 65534", false: "can be written by other users (mode 0777)"}[other]
				if r.code != ExitUsage || !strings.Contains(r.stderr, "refusing the config directory "+s.dir) || !strings.Contains(r.stderr, why) {
					t.Errorf("%v: exit %d, stderr %q; want 2, the directory refused because it %s", args, r.code, r.stderr, why)
				}
				if !other && !strings.Contains(r.stderr, "chmod 700 "+s.dir) {
					t.Errorf("%v: stderr %q does not say `chmod 700`", args, r.stderr)
				}
				if strings.Contains(r.stdout, "Logged in: yes") || strings.Contains(r.stdout, "logged_in\": true") {
					t.Errorf("%v: stdout says logged in:\n%s", args, r.stdout)
				}
				for _, tok := range s.tokens {
					if strings.Contains(r.stdout+r.stderr, tok) {
						t.Errorf("%v printed a token of the refused directory", args)
					}
				}
			}
			if after := snapshot(t, s.dir); after != before {
				t.Errorf("the refused directory changed:\n%s\nthen\n%s", before, after)
			}
		})
	}
}
