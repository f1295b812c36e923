package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// status --check asks the sandbox who the token belongs to, for every
// profile with --all, and tells a refused token from a working one.
func TestEndToEndStatusCheck(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	login := e.run(nil, "login", "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if login.code != 0 {
		t.Fatalf("login exited %d: %s", login.code, login.stderr)
	}
	before := e.stats()

	offline := e.run(nil, "status", "--all")
	if offline.code != 0 || !strings.Contains(offline.stdout, "default") {
		t.Fatalf("status --all exited %d:\n%s%s", offline.code, offline.stdout, offline.stderr)
	}
	if after := e.stats(); after != before {
		t.Errorf("status without --check spoke to Coze: %+v, then %+v", before, after)
	}

	checked := e.run(nil, "status", "--check")
	if checked.code != 0 || !strings.Contains(checked.stdout, "ok: Coze accepts the token of Sandbox User") {
		t.Errorf("status --check exited %d:\n%s%s", checked.code, checked.stdout, checked.stderr)
	}

	refused := e.run([]string{"COZE_API_TOKEN=pat_notKnownToTheSandbox0123456789"}, "status", "--check", "--json")
	var got struct {
		Source string `json:"source"`
		Check  struct {
			Result string `json:"result"`
			Code   int    `json:"code"`
		} `json:"check"`
	}
	if err := json.Unmarshal([]byte(refused.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, refused.stdout)
	}
	if refused.code != 4 || got.Source != "env" || got.Check.Result != "refused" {
		t.Errorf("an unknown $COZE_API_TOKEN: exit %d, %+v, want 4, env, refused\n%s", refused.code, got, refused.stderr)
	}
}
