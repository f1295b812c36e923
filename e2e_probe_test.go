package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestEndToEndProbeWithNoNetwork: on a machine with no network at all (a
// network namespace of its own: nothing can leave it), no target is taken
// for a DNS block or a censored coze.com; each says there is no network,
// and the report suggests no other region.
func TestEndToEndProbeWithNoNetwork(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the binary")
	}
	if exec.Command("unshare", "-n", "true").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI runs as root and needs unshare -n for this test")
		}
		t.Skip("needs unshare -n (root, or a user namespace)")
	}
	bin := cozeauthBin(t)
	run := func(args ...string) (string, int) {
		cmd := exec.Command("unshare", append([]string{"-n", bin}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "COZEAUTH_CONFIG_DIR=" + t.TempDir(), "NO_COLOR=1"}
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	out, code := run("probe", "--no-auth", "--json", "--timeout", "5s")
	var rep struct {
		Targets []struct{ Name, Class, Error string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 3 || len(rep.Targets) == 0 {
		t.Fatalf("probe --json: exit %d, %v:\n%s", code, err, out)
	}
	for _, r := range rep.Targets {
		if r.Class != "no_network" {
			t.Errorf("%s classed %s (%s), want no_network", r.Name, r.Class, r.Error)
		}
	}
	text, _ := run("probe", "--no-auth", "--timeout", "5s")
	if !strings.Contains(text, "no network to send on") || strings.Contains(text, "mainland China") || strings.Contains(text, " dns ") {
		t.Errorf("the report blames DNS or the region for a machine with no network:\n%s", text)
	}
}
