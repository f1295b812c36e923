package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts in testdata/script run this test binary as the
// `cozeauth` command.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{"cozeauth": run}))
}

// TestScripts checks what a person sees at the command line: messages,
// exit codes and files, one scenario per testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("COZEAUTH_CONFIG_DIR", env.WorkDir+"/config")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
