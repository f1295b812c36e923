package cli

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// runTerm runs cozeauth as runCLIEnv does, with stdin a terminal (or not)
// that answers stdin.
func runTerm(t *testing.T, dir string, terminal bool, stdin string, env map[string]string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "COZEAUTH_CONFIG_DIR" {
				return dir
			}
			return env[k]
		},
		StdinIsTerminal: func() bool { return terminal },
		Now:             func() time.Time { return testNow },
	})
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func profileNames(t *testing.T, dir string) []string {
	t.Helper()
	names, err := auth.NewStore(dir).Profiles()
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// `cozeauth use NAME` makes NAME the profile of every command that names
// none; --profile and $COZE_PROFILE still win; status and profiles mark it.
func TestUseSetsTheDefaultProfile(t *testing.T) {
	dir := t.TempDir()
	twoProfiles(t, dir)
	if res := runCLIEnv(t, dir, nil, nil, "use", "wrok"); res.code != ExitUsage || !strings.Contains(res.stderr, "Did you mean this?\n\twork") {
		t.Errorf("use wrok: exit %d\n%s", res.code, res.stderr)
	}
	if res := runCLIEnv(t, dir, nil, nil, "use", "work"); res.code != ExitOK {
		t.Fatalf("use work: exit %d\n%s", res.code, res.stderr)
	}
	profileOf := func(env map[string]string, args ...string) string {
		t.Helper()
		res := runCLIEnv(t, dir, nil, env, append([]string{"status", "--json"}, args...)...)
		return statusJSON(t, res.stdout)["profile"].(string)
	}
	if got := profileOf(nil); got != "work" {
		t.Errorf("status uses %q, want the saved default work", got)
	}
	if got := profileOf(nil, "--profile", "default"); got != "default" {
		t.Errorf("--profile default: status uses %q", got)
	}
	if got := profileOf(map[string]string{"COZE_PROFILE": "default"}); got != "default" {
		t.Errorf("$COZE_PROFILE=default: status uses %q", got)
	}
	if res := runCLIEnv(t, dir, nil, nil, "profiles"); !hasWords(res.stdout, "work * cn") || strings.Contains(res.stdout, "default *") {
		t.Errorf("profiles does not mark work alone:\n%s", res.stdout)
	}
	if res := runCLIEnv(t, dir, nil, nil, "status"); !hasWords(res.stdout, "Profile: work (the default") {
		t.Errorf("status does not mark work:\n%s", res.stdout)
	}
	// A login of another profile keeps the default.
	storeTokens(t, dir, "third", auth.Settings{ClientID: testClient}, nil)
	if got := profileOf(nil); got != "work" {
		t.Errorf("after saving another profile's settings, status uses %q", got)
	}
	if res := runCLIEnv(t, dir, nil, nil, "use", "default"); res.code != ExitOK {
		t.Fatalf("use default: exit %d\n%s", res.code, res.stderr)
	}
	if got := profileOf(nil); got != "default" {
		t.Errorf("after use default, status uses %q", got)
	}
}

// `profiles rm NAME` removes the profile's settings and tokens: with --yes,
// or after a yes on a terminal; off a terminal without --yes it is a usage
// error that changes nothing, as is an unknown name.
func TestProfilesRm(t *testing.T) {
	tests := []struct {
		name     string
		terminal bool
		stdin    string
		args     []string
		code     int
		removed  bool
		want     string
	}{
		{"--yes", false, "", []string{"--yes"}, ExitOK, true, `Removed profile "work"`},
		{"terminal, yes", true, "y\n", nil, ExitOK, true, `Remove profile "work": its settings and its tokens? [y/N]`},
		{"terminal, no", true, "n\n", nil, ExitFailure, false, "nothing changed"},
		{"terminal, no answer", true, "", nil, ExitFailure, false, "nothing changed"},
		{"pipe without --yes", false, "y\n", nil, ExitUsage, false, "pass --yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			twoProfiles(t, dir)
			if res := runCLIEnv(t, dir, nil, nil, "use", "work"); res.code != ExitOK {
				t.Fatal(res.stderr)
			}
			res := runTerm(t, dir, tt.terminal, tt.stdin, nil, append([]string{"profiles", "rm", "work"}, tt.args...)...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d, and %q in:\n%s", res.code, tt.code, tt.want, res.stderr)
			}
			names := profileNames(t, dir)
			if slices.Contains(names, "work") == tt.removed || !slices.Contains(names, "default") {
				t.Errorf("profiles left: %v", names)
			}
			if rec, _ := auth.NewStore(dir).Load("default"); rec == nil || rec.RefreshToken != oldRefresh {
				t.Errorf("the other profile's tokens changed: %+v", rec)
			}
			wantDefault := map[bool]string{true: "default", false: "work"}[tt.removed] // the saved default goes with it
			if got, _ := auth.NewStore(dir).DefaultProfile(); got != wantDefault {
				t.Errorf("default profile %q, want %q", got, wantDefault)
			}
		})
	}
	dir := t.TempDir()
	twoProfiles(t, dir)
	if res := runCLIEnv(t, dir, nil, nil, "profiles", "rm", "wrk", "--yes"); res.code != ExitUsage || !strings.Contains(res.stderr, "Did you mean this?\n\twork") {
		t.Errorf("rm wrk: exit %d\n%s", res.code, res.stderr)
	}
	if names := profileNames(t, dir); len(names) != 2 {
		t.Errorf("an unknown name removed something: %v", names)
	}
}

// `logout --all` forgets every profile's tokens and keeps their settings;
// off a terminal it needs --yes.
func TestLogoutAll(t *testing.T) {
	dir := t.TempDir()
	twoProfiles(t, dir)
	if res := runTerm(t, dir, false, "", nil, "logout", "--all"); res.code != ExitUsage || !strings.Contains(res.stderr, "pass --yes") {
		t.Errorf("without --yes off a terminal: exit %d\n%s", res.code, res.stderr)
	}
	if rec, _ := auth.NewStore(dir).Meta("work"); rec == nil {
		t.Fatal("a refused logout --all removed tokens")
	}
	res := runTerm(t, dir, true, "yes\n", nil, "logout", "--all")
	if res.code != ExitOK || !strings.Contains(res.stderr, `Remove the tokens of 2 profiles: "default" and "work"? [y/N]`) {
		t.Errorf("logout --all on a terminal: exit %d\n%s", res.code, res.stderr)
	}
	for _, p := range []string{"default", "work"} {
		if rec, _ := auth.NewStore(dir).Meta(p); rec != nil {
			t.Errorf("profile %s still has tokens", p)
		}
	}
	if names := profileNames(t, dir); len(names) != 2 {
		t.Errorf("the settings went too: %v", names)
	}
	if res := runTerm(t, dir, false, "", nil, "logout", "--all"); res.code != ExitOK || !strings.Contains(res.stderr, "No profile has tokens") {
		t.Errorf("nothing to log out: exit %d\n%s", res.code, res.stderr)
	}
}

// use and profiles rm complete NAME from the store.
func TestUseCompletesProfiles(t *testing.T) {
	dir := t.TempDir()
	twoProfiles(t, dir)
	for _, cmd := range [][]string{{"use"}, {"profiles", "rm"}} {
		res := runCLIEnv(t, dir, nil, nil, append(append([]string{"__complete"}, cmd...), "")...)
		if !strings.Contains(res.stdout, "default\nwork\n") {
			t.Errorf("%v completes:\n%s", cmd, res.stdout)
		}
	}
}
