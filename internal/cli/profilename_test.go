package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// A profile name is read from the store, which another program (or person)
// may have written: it is escaped wherever it is printed, as user names and
// Coze's texts are, so it cannot clear the screen or move the cursor.
func TestPlantedProfileNameIsEscaped(t *testing.T) {
	t.Parallel()
	const planted = "p\x1b[2Jx"
	dir := t.TempDir()
	set := auth.Settings{ClientID: sandbox.PKCEClientID, APIBase: "https://api.coze.com"}
	expired := &auth.Token{AccessToken: "czu_old", RefreshToken: "r_old", Expiry: testNow.Add(-time.Hour), RefreshExpiry: testNow.Add(-time.Minute), IssuedAt: testNow.Add(-31 * 24 * time.Hour)}
	storeTokens(t, dir, planted, set, expired)
	storeTokens(t, dir, "neverloggedin", set, nil)
	for _, args := range [][]string{{"profiles"}, {"status", "--all"}, {"status", "--profile", planted}, {"token", "--profile", planted}} {
		res := runCLIWith(t, dir, offline(t), "", nil, args...)
		out := res.stdout + res.stderr
		if strings.Contains(out, "\x1b") {
			t.Errorf("%v printed a raw ESC:\n%q", args, out)
		}
		if !strings.Contains(out, `p\x1b[2Jx`) {
			t.Errorf("%v does not name the profile, escaped:\n%s", args, out)
		}
	}
}
