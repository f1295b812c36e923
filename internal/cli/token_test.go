package cli

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
)

func TestTokenJSONAndHeader(t *testing.T) {
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: "https://api.coze.cn"}, freshToken())

	res := runCLI(t, dir, nil, "", "token", "--json")
	if res.code != 0 {
		t.Fatalf("token --json: exit %d\n%s", res.code, res.stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("token --json printed %q: %v", res.stdout, err)
	}
	want := map[string]any{
		"access_token": oldAccess, "token_type": "Bearer",
		"expires_at": "2025-06-01T12:10:00Z", "expires_in": float64(600),
		"api_base": "https://api.coze.cn", "profile": "default", "app_type": "pkce",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token --json (-want +got):\n%s", diff)
	}

	if res := runCLI(t, dir, nil, "", "token", "--header"); res.code != 0 || res.stdout != "Authorization: Bearer "+oldAccess+"\n" {
		t.Errorf("token --header = exit %d %q", res.code, res.stdout)
	}
	if res := runCLI(t, dir, nil, "", "token", "--json", "--header"); res.code != ExitUsage {
		t.Errorf("--json with --header: exit %d, want %d", res.code, ExitUsage)
	}
}

func TestTokenJSONOfAStaticToken(t *testing.T) {
	res := runCLIWith(t, t.TempDir(), nil, "", map[string]string{"COZE_API_TOKEN": "pat_staticToken0123"}, "token", "--json")
	var got map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil || res.code != 0 {
		t.Fatalf("exit %d %q: %v", res.code, res.stdout, err)
	}
	want := map[string]any{
		"access_token": "pat_staticToken0123", "token_type": "Bearer", "expires_at": nil, "expires_in": nil,
		"api_base": "https://api.coze.com", "profile": "default", "app_type": "static",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestTokenJSONNotLoggedIn(t *testing.T) {
	if res := runCLI(t, t.TempDir(), nil, "", "token", "--json"); res.code != ExitLoginRequired || res.stdout != "" {
		t.Errorf("= exit %d %q, want %d and nothing on stdout", res.code, res.stdout, ExitLoginRequired)
	}
}
