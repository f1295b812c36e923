package cli

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// A login whose app type was guessed and that Coze refuses with "invalid
// app type" is told the one type to try, not the list of every rule; with
// --app-type given the answer is Coze's own, explained as before.
func TestInvalidAppTypeAdvice(t *testing.T) {
	t.Parallel()
	_, base := startSandbox(t)
	key := writeJWTKey(t, t.TempDir(), "key.pem")
	bases := []string{"--api-base", base, "--www-base", base, "--timeout", "30s"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
		notWant  string
	}{
		{"device flow on a pkce app", []string{"--device", "--client-id", sandbox.PKCEClientID}, ExitFailure,
			"(access_deny: invalid app type, log id ", "a JWT a service app"},
		{"device flow on a pkce app, advice", []string{"--device", "--client-id", sandbox.PKCEClientID}, ExitFailure,
			"this is not a device app; if it is a pkce app, use `--app-type pkce`", "a JWT a service app"},
		{"jwt on a pkce app", []string{"--client-id", sandbox.PKCEClientID, "--public-key-id", sandbox.JWTPublicKeyID, "--private-key-file", key}, ExitFailure,
			"this is not a service (jwt) app", "a JWT a service app"},
		{"the type was given", []string{"--app-type", "device", "--client-id", sandbox.PKCEClientID}, ExitFailure,
			"a JWT a service app", "this is not a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, t.TempDir(), nil, "", append(append([]string{"login"}, bases...), tt.args...)...)
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.want) || strings.Contains(res.stderr, tt.notWant) {
				t.Errorf("exit %d, want %d, %q and not %q in:\n%s", res.code, tt.wantCode, tt.want, tt.notWant, res.stderr)
			}
		})
	}
}
