package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What `cozeauth sandbox` suggests logs in to a profile of its own, never
// the real default one; so do the examples of its help.
func TestSandboxSuggestsItsOwnProfile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0", "--quiet"}, &Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv: func(string) string { return "" },
			Now:    time.Now,
		})
	}()
	base := waitFor(t, &stdout, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)`))
	cancel() // as Ctrl-C does
	if code := <-done; code != ExitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want %d", code, ExitInterrupted)
	}
	if !strings.Contains(stderr.String(), "cozeauth login --profile sandbox --api-base "+base) {
		t.Errorf("the suggested login does not use --profile sandbox:\n%s", stderr.String())
	}
	help := runCLI(t, t.TempDir(), nil, "", "sandbox", "--help")
	for _, l := range strings.Split(help.stdout, "\n") {
		if strings.Contains(l, "cozeauth login") && !strings.Contains(l, "--profile sandbox") {
			t.Errorf("a help example logs in to the default profile: %q", l)
		}
	}
}
