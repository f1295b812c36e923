package cli

import (
	"os"
	"testing"

	"github.com/cozeauth/cozeauth/internal/testbin"
)

// binaries builds cozeauth and the fake browser once for all the tests of
// this package that run them as processes (the tmux end-to-end tests).
var binaries *testbin.Cache

func TestMain(m *testing.M) { os.Exit(testbin.Around(m, &binaries).Run()) }
