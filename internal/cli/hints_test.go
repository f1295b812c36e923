package cli

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// The next step a failure names keeps the flags the run was given: the
// bare command would reach another profile or another Coze.
func TestHintsKeepTheRunsFlags(t *testing.T) {
	t.Parallel()
	const base = "http://127.0.0.1:9"
	dir := t.TempDir()
	storeTokens(t, dir, "work", auth.Settings{APIBase: base, WWWBase: base, ClientID: sandbox.PKCEClientID}, nil)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"login required", []string{"token", "--profile", "work", "--api-base", base},
			"; run `cozeauth login --profile work --api-base " + base + "`"},
		{"refresh, login required", []string{"refresh", "--profile", "work", "--api-base", base, "--storage", "file"},
			"; run `cozeauth login --profile work --api-base " + base + " --storage file`"},
		{"not set up", []string{"token", "--profile", "new", "--region", "cn"},
			"run `cozeauth --profile new --region cn` or `cozeauth login --profile new --region cn --client-id …`"},
		{"no flags, nothing added", []string{"token", "--profile", "work"}, "; run `cozeauth login --profile work`"},
		{"an odd value is quoted", []string{"token", "--profile", "work", "--www-base", base + "/a b"},
			"--www-base '" + base + "/a b'`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, dir, nil, "", tt.args...)
			if res.code != ExitLoginRequired || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d and %q in:\n%s", res.code, ExitLoginRequired, tt.want, res.stderr)
			}
		})
	}
}
