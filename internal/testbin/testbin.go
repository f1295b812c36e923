// Package testbin builds the binaries that end-to-end tests run, each once
// per test process: a `go build` costs seconds, and a suite that rebuilt
// cozeauth in every test spent most of its time compiling. It is imported
// only by tests; nothing in cozeauth itself uses it.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// Module is the import path of cozeauth's main package.
const Module = "github.com/cozeauth/cozeauth"

// Cache builds each package at most once, on first use, into one directory.
type Cache struct {
	dir   string
	mu    sync.Mutex
	built map[string]func() (string, error)
}

// New returns a cache in a new temporary directory; [Cache.Close] removes it.
func New() (*Cache, error) {
	dir, err := os.MkdirTemp("", "cozeauth-testbin-")
	if err != nil {
		return nil, fmt.Errorf("testbin: %w", err)
	}
	return &Cache{dir: dir, built: map[string]func() (string, error){}}, nil
}

// Close removes the binaries.
func (c *Cache) Close() error { return os.RemoveAll(c.dir) }

// Path returns the binary of pkg (an import path), building it the first
// time any test asks. Tests that ask for the same package at once share one
// build; a failed build fails every test that needed it.
func (c *Cache) Path(t testing.TB, pkg string) string {
	t.Helper()
	c.mu.Lock()
	build, ok := c.built[pkg]
	if !ok {
		build = sync.OnceValues(func() (string, error) { return c.build(pkg) })
		c.built[pkg] = build
	}
	c.mu.Unlock()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func (c *Cache) build(pkg string) (string, error) {
	name := path.Base(pkg)
	if pkg == Module {
		name = "cozeauth"
	}
	out := filepath.Join(c.dir, name)
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// Around wraps a TestMain's m: its Run makes a cache, stores it in *dst
// for the tests, runs them and removes the binaries. It fits both
// os.Exit(testbin.Around(m, &bins).Run()) and testscript.Main.
func Around(m interface{ Run() int }, dst **Cache) interface{ Run() int } {
	return around{m, dst}
}

type around struct {
	m   interface{ Run() int }
	dst **Cache
}

func (a around) Run() int {
	c, err := New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	*a.dst = c
	return a.m.Run()
}
