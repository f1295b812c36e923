package probe

import (
	"os/exec"
	"strings"
	"testing"
)

// The probe must be able to run where no token store exists: it speaks
// Coze's vocabulary (package coze) but never reaches the store, the keyring,
// the lock or JWT signing, so none of their packages may be linked into it.
func TestProbeDoesNotDependOnTheTokenStore(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/cozeauth/cozeauth/auth",
		"github.com/zalando/go-keyring",
		"github.com/godbus/dbus",
		"github.com/gofrs/flock",
		"github.com/golang-jwt/jwt",
		"golang.org/x/oauth2",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("probe depends on %s", dep)
			}
		}
	}
}
