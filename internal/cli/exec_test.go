package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// TestExecChild is not a test: it is the child `cozeauth exec --proxy`
// runs in TestExecProxy, calling $COZE_API_BASE with $COZE_API_TOKEN as a
// Coze SDK would.
func TestExecChild(t *testing.T) {
	if os.Getenv("COZEAUTH_TEST_EXEC_CHILD") != "1" {
		t.Skip("only run as exec's child")
	}
	req, _ := http.NewRequest(http.MethodGet, os.Getenv("COZE_API_BASE")+"/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+os.Getenv("COZE_API_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(9)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s %s\n", resp.StatusCode, resp.Header.Get("X-Cozeauth-Proxy"), body)
	os.Exit(0)
}

func TestExecPutsTheTokenInTheEnvironment(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, Region: coze.RegionCN}, freshToken())
	res := runCLI(t, dir, nil, "", "exec", "--", "sh", "-c", `echo "$COZE_API_TOKEN $COZE_API_BASE $COZE_WWW_BASE $COZE_WS_BASE"; exit 7`)
	want := oldAccess + " https://api.coze.cn https://www.coze.cn wss://ws.coze.cn\n"
	if res.code != 7 || res.stdout != want {
		t.Errorf("= exit %d %q, want exit 7 (the child's) and %q\n%s", res.code, res.stdout, want, res.stderr)
	}
	// Flags after the command are the command's.
	if res := runCLI(t, dir, nil, "", "exec", "sh", "-c", "echo $0", "--proxy"); res.code != 0 || res.stdout != "--proxy\n" {
		t.Errorf("exec sh -c … --proxy = exit %d %q, want the child to get --proxy", res.code, res.stdout)
	}
}

func TestExecErrorsBeforeTheChildStartsAreOurs(t *testing.T) {
	dir := t.TempDir()
	if res := runCLI(t, dir, nil, "", "exec", "--", "sh", "-c", "echo ran"); res.code != ExitLoginRequired || res.stdout != "" {
		t.Errorf("not logged in: exit %d %q, want %d and no child", res.code, res.stdout, ExitLoginRequired)
	}
	if res := runCLI(t, dir, nil, "", "exec"); res.code != ExitUsage {
		t.Errorf("no command: exit %d, want %d", res.code, ExitUsage)
	}
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, Region: coze.RegionCN}, freshToken())
	if res := runCLI(t, dir, nil, "", "exec", "--", "/nonexistent/program"); res.code != ExitFailure || !strings.Contains(res.stderr, "could not start") {
		t.Errorf("a missing program: exit %d %q, want %d", res.code, res.stderr, ExitFailure)
	}
}

// exec --proxy: the child gets the proxy's one-time key, never the token,
// and its calls reach Coze with the token.
func TestExecProxy(t *testing.T) {
	f := newFakeCoze(t, func(w http.ResponseWriter, r *http.Request, token string) {
		io.WriteString(w, `{"code":0,"msg":"","data":{"user_name":"me"}}`)
	})
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: f.srv.URL}, freshToken())
	t.Setenv("COZEAUTH_TEST_EXEC_CHILD", "1")
	res := runCLI(t, dir, nil, "", "exec", "--proxy", "--", os.Args[0], "-test.run=^TestExecChild$")
	if res.code != 0 || !strings.HasPrefix(res.stdout, `200 1 {"code":0,"msg":"","data":{"user_name":"me"}}`) {
		t.Fatalf("= exit %d %q\n%s", res.code, res.stdout, res.stderr)
	}
	seen := f.requests()
	if len(seen) != 1 || seen[0].Auth != oldAccess || seen[0].Path != "/v1/users/me" {
		t.Errorf("coze saw %+v, want one call with the token", seen)
	}
	assertNoSecrets(t, res)
}
