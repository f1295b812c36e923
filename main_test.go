package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cozeauth/cozeauth/internal/testbin"
)

// binaries builds cozeauth and its test helpers once for all the tests of
// this package that run them as processes.
var binaries *testbin.Cache

// TestMain lets the scripts in testdata/script run this test binary as the
// `cozeauth` command, and removes the built binaries when the tests end.
func TestMain(m *testing.M) {
	if target := os.Getenv(bareProxyEnv); target != "" { // BenchmarkProxy's baseline
		os.Exit(runBareProxy(target))
	}
	testscript.Main(testbin.Around(m, &binaries), map[string]func(){"cozeauth": main})
}

// TestScripts checks what a person sees at the command line: messages,
// exit codes and files, one scenario per testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("COZEAUTH_CONFIG_DIR", env.WorkDir+"/config")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){"exits": exits},
	})
}

// exits N command args… runs a command and checks its exit code, which
// testscript's `! exec` does not tell apart.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	for _, k := range []string{"PATH", "HOME", "COZEAUTH_CONFIG_DIR", "NO_COLOR"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if strconv.Itoa(code) != args[0] {
		ts.Fatalf("%v exited %d, want %s", args[1:], code, args[0])
	}
}
