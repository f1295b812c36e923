package cli

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
)

// `status --check` on an access token Coze refuses (4100) while the refresh
// token lives refreshes once, saves the new pair, and says so.
func TestStatusCheckRefreshesARefusedToken(t *testing.T) {
	t.Parallel()
	coze := meCoze(t, map[string]string{newAccess: "new"})
	dir := t.TempDir()
	tok := freshToken()
	tok.AccessToken = "czu_revokedAccess0123456789abcdef"
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: coze.srv.URL}, tok)

	res := runCLIEnv(t, dir, nil, nil, "status", "--check")
	if res.code != ExitOK || !strings.Contains(res.stdout, "Check:           ok after a refresh: Coze refused the access token, so it was refreshed, and accepts the new one of") {
		t.Fatalf("exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if rec, err := auth.NewStore(dir).Load("default"); err != nil || rec == nil || rec.AccessToken != newAccess || rec.RefreshToken != newRefresh {
		t.Errorf("the refreshed pair was not saved: %+v, %v", rec, err)
	}
	assertNoSecrets(t, res)

	// Refused again after the refresh: a login is what is left.
	coze2 := meCoze(t, nil)
	dir2 := t.TempDir()
	storeTokens(t, dir2, "default", auth.Settings{ClientID: testClient, APIBase: coze2.srv.URL}, tok)
	res = runCLIEnv(t, dir2, nil, nil, "status", "--check")
	if res.code != ExitLoginRequired || !strings.Contains(res.stdout, "even after a refresh; run `cozeauth login`") {
		t.Errorf("exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}
