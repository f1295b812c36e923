package cli

import (
	"slices"
	"testing"
)

// Every command but the generic ones sits in a group of `cozeauth --help`,
// and the marks the root acts on are where they belong.
func TestCommandAnnotations(t *testing.T) {
	t.Parallel()
	root := NewRootCommand(&Env{Getenv: func(string) string { return "" }})
	var envToken, sandboxFlag []string
	for _, c := range root.Commands() {
		if c.GroupID == "" && !slices.Contains([]string{"completion", "help", "version"}, c.Name()) {
			t.Errorf("%s is in no group", c.Name())
		}
		if marked(c, annEnvToken) {
			envToken = append(envToken, c.Name())
		}
		if marked(c, annSandbox) {
			sandboxFlag = append(sandboxFlag, c.Name())
			if c.Flags().Lookup("sandbox") == nil {
				t.Errorf("%s is marked for --sandbox but has no such flag", c.Name())
			}
		}
	}
	if want := []string{"api", "exec", "probe", "proxy", "status", "token"}; !slices.Equal(want, envToken) {
		t.Errorf("commands checking $COZE_API_TOKEN = %v, want %v", envToken, want)
	}
	if want := []string{"login", "status", "token"}; !slices.Equal(want, sandboxFlag) {
		t.Errorf("commands with --sandbox = %v, want %v", sandboxFlag, want)
	}
}
