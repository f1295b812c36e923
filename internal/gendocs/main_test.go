package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

const regenerate = "run `go generate ./...` at the module root and commit docs/cli"

// docs/cli holds exactly the pages the commands generate, as they generate
// them: a changed flag, help text or command without its page regenerated
// fails here, and so does a page of a command that is gone.
func TestReferenceIsCurrent(t *testing.T) {
	want, err := markdownPages(rootCommand())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "cli")
	have, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range have {
		name := filepath.Base(p)
		if _, ok := want[name]; !ok {
			t.Errorf("docs/cli/%s is not the page of any command (a removed or hidden one?): %s", name, regenerate)
		}
	}
	for _, name := range sortedKeys(want) {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("docs/cli/%s is missing: %s", name, regenerate)
			continue
		}
		if diff := cmp.Diff(string(want[name]), string(got)); diff != "" {
			t.Errorf("docs/cli/%s differs from what the commands generate (-generated +file):\n%s\n%s", name, diff, regenerate)
		}
	}
}

// Every command a person can run has a page; a hidden one and help have
// none; no page carries cobra's dated footer.
func TestReferenceCoversTheCommands(t *testing.T) {
	root := rootCommand()
	root.AddCommand(&cobra.Command{Use: "secret", Hidden: true, Run: func(*cobra.Command, []string) {}})
	pages, err := markdownPages(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cozeauth.md", "cozeauth_login.md", "cozeauth_token.md", "cozeauth_api.md", "cozeauth_status.md", "cozeauth_probe.md", "cozeauth_sandbox.md", "cozeauth_completion_bash.md"} {
		if _, ok := pages[name]; !ok {
			t.Errorf("no page %s among %v", name, sortedKeys(pages))
		}
	}
	for _, name := range []string{"cozeauth_help.md", "cozeauth_secret.md"} {
		if _, ok := pages[name]; ok {
			t.Errorf("%s exists: hidden commands and help get no page", name)
		}
	}
	for _, name := range sortedKeys(pages) {
		if strings.Contains(string(pages[name]), "Auto generated") {
			t.Errorf("%s carries cobra's dated footer", name)
		}
	}
}

// Writing removes a page no command has any longer and keeps other files.
func TestWritePagesRemovesStalePages(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"cozeauth_gone.md", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writePages(dir, map[string][]byte{"cozeauth.md": []byte("root\n")}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"cozeauth.md", "notes.txt"}, names); diff != "" {
		t.Errorf("files after writing (-want +got):\n%s", diff)
	}
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// -man writes a man page per command beside the markdown, from the same
// commands.
func TestRunWritesManPages(t *testing.T) {
	md, man := filepath.Join(t.TempDir(), "md"), filepath.Join(t.TempDir(), "man")
	if err := run(md, man); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cozeauth.1", "cozeauth-login.1", "cozeauth-sandbox.1"} {
		body, err := os.ReadFile(filepath.Join(man, name))
		if err != nil {
			t.Errorf("no man page %s: %v", name, err)
			continue
		}
		if !strings.Contains(string(body), ".TH \"COZEAUTH\"") {
			t.Errorf("%s has no COZEAUTH header:\n%.300s", name, body)
		}
	}
	if _, err := os.Stat(filepath.Join(md, "cozeauth_login.md")); err != nil {
		t.Errorf("no markdown beside the man pages: %v", err)
	}
}
