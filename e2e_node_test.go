package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// nodeInstall makes this process's tests install the SDK one at a time.
var nodeInstall sync.Mutex

// nodeSDK installs the official Coze Node SDK pinned by testdata/node's
// package-lock.json into a cache directory (once per lock file) and
// returns a fresh directory holding the scripts, with that node_modules.
// Without node and npm the test is skipped, except under CI=true, where it
// fails: CI installs them (.ci/run).
func nodeSDK(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing: .ci/run installs nodejs and npm", tool)
			}
			t.Skipf("needs %s (apt-get install nodejs npm)", tool)
		}
	}
	lock, err := os.ReadFile("testdata/node/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	cache := filepath.Join(base, "cozeauth-test", "node-"+hex.EncodeToString(sum[:6]))
	// The tests of this process install one at a time: the second finds
	// the first's cache, and never replaces it under a running node.
	nodeInstall.Lock()
	defer nodeInstall.Unlock()
	if _, err := os.Stat(filepath.Join(cache, "node_modules", "@coze", "api", "package.json")); err != nil {
		staging, err := os.MkdirTemp(filepath.Dir(cache), "staging-")
		if err != nil {
			if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
				t.Fatal(err)
			}
			if staging, err = os.MkdirTemp(filepath.Dir(cache), "staging-"); err != nil {
				t.Fatal(err)
			}
		}
		defer os.RemoveAll(staging)
		for _, f := range []string{"package.json", "package-lock.json"} {
			b, _ := os.ReadFile(filepath.Join("testdata/node", f))
			os.WriteFile(filepath.Join(staging, f), b, 0o644)
		}
		npm := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
		npm.Dir = staging
		if out, err := npm.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
		os.RemoveAll(cache)
		if err := os.Rename(staging, cache); err != nil && !os.IsExist(err) {
			t.Logf("another run cached it first: %v", err)
		}
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(cache, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"proxy.mjs", "callback.mjs"} {
		b, _ := os.ReadFile(filepath.Join("testdata/node", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	return dir
}

// nodeStep is one line a script prints.
type nodeStep struct {
	Step, User, Event, Content string
	At                         int64
}

func runNode(t *testing.T, dir, script string, env []string) []nodeStep {
	t.Helper()
	cmd := exec.Command("node", script)
	cmd.Dir = dir
	cmd.Env = append(env, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, out, stderr.String())
	}
	var steps []nodeStep
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var s nodeStep
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("node printed %q: %v", sc.Text(), err)
		}
		steps = append(steps, s)
	}
	return steps
}

// Issue 18's "done when": the official SDK through the proxy calls
// users.me, streams a chat event by event, and keeps working past its
// first token's expiry without an error.
func TestEndToEndNodeSDKThroughTheProxy(t *testing.T) {
	t.Parallel()
	dir := nodeSDK(t)
	const pace = 150 // ms between the sandbox's streamed events
	e := startE2E(t, "--access-ttl", "4s", "--chat-pace", "150ms")
	e.login()
	margin := []string{"COZEAUTH_REFRESH_MARGIN=1s"}
	p := e.startProxy(margin)
	before := e.stats()

	steps := runNode(t, dir, "proxy.mjs", append(append([]string{}, e.env...), margin[0],
		"COZE_API_BASE="+p.url, "COZE_API_TOKEN="+p.key, "WAIT_MS=5000"))
	if len(steps) < 4 || steps[0].Step != "me" || steps[0].User != sandbox.UserName {
		t.Fatalf("steps %+v", steps)
	}
	last := steps[len(steps)-1]
	if last.Step != "me again" || last.User != sandbox.UserName {
		t.Errorf("after the token's expiry: %+v", last)
	}
	events := steps[1 : len(steps)-1]
	var names []string
	var reply strings.Builder
	for _, ev := range events {
		names = append(names, ev.Event)
		if ev.Event == "conversation.message.delta" {
			reply.WriteString(ev.Content)
		}
	}
	if names[0] != "conversation.chat.created" || names[len(names)-1] != "done" || reply.String() != "You said: hello proxy" {
		t.Errorf("events %v, reply %q", names, reply.String())
	}
	// Event by event: the sandbox paces them apart, so they arrived apart
	// (a buffered stream would arrive all at once at the end). A lower
	// bound only, which a slow machine can only exceed.
	if spread, least := events[len(events)-1].At-events[0].At, int64(len(events)-1)*pace/2; spread < least {
		t.Errorf("the %d events arrived within %d ms, want at least %d ms apart in all: the stream was buffered", len(events), spread, least)
	}
	if after := e.stats(); after.Refreshes <= before.Refreshes || after.RejectedRefreshes != 0 {
		t.Errorf("refreshes %d → %d (%d rejected): the proxy did not renew the token", before.Refreshes, after.Refreshes, after.RejectedRefreshes)
	}
	if strings.Contains(p.log(), " 401 ") || strings.Contains(p.log(), " 50") {
		t.Errorf("the proxy answered an error:\n%s", p.log())
	}
}

// The docs' coze-js token callback over `cozeauth token --json`.
func TestEndToEndNodeSDKTokenCallback(t *testing.T) {
	t.Parallel()
	dir := nodeSDK(t)
	e := startE2E(t)
	e.login()
	env := []string{"PATH=" + filepath.Dir(e.bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range e.env {
		if !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	steps := runNode(t, dir, "callback.mjs", env)
	if len(steps) != 1 || steps[0].User != sandbox.UserName {
		t.Errorf("steps %+v", steps)
	}
}
