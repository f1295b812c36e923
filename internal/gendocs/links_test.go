package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// Every relative link in README.md and under docs/ leads to a file that
// exists, and its #anchor, if any, to a heading of that file.
func TestDocsLinksResolve(t *testing.T) {
	root := filepath.Join("..", "..")
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %v: is docs/ there?", files)
	}
	for _, problem := range brokenLinks(files) {
		t.Error(problem)
	}
}

// The checker finds a missing file, a missing anchor and a link that
// leaves the repository, and passes what is whole, ignoring code.
func TestBrokenLinksFindsEachKind(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("docs/b.md", "# B page\n\n## The `probe`: classes\n")
	a := write("a.md", "[ok](docs/b.md) [anchor](docs/b.md#the-probe-classes) [self](#top)\n"+
		"# Top\n[gone](docs/c.md) [bad anchor](docs/b.md#nope) ![pic](img.png)\n"+
		"[web](https://example.com/x) `[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n")
	got := strings.Join(brokenLinks([]string{a}), "\n")
	for _, want := range []string{"docs/c.md", "#nope", "img.png"} {
		if !strings.Contains(got, want) {
			t.Errorf("not reported: %s\nreport:\n%s", want, got)
		}
	}
	for _, fine := range []string{"the-probe-classes", "#top", "example.com", "nowhere.md"} {
		if strings.Contains(got, fine) {
			t.Errorf("reported a whole link %s:\n%s", fine, got)
		}
	}
}

var (
	linkRe       = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCodeRe = regexp.MustCompile("`[^`]*`")
	headingRe    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// brokenLinks lists each relative link of files that leads nowhere.
func brokenLinks(files []string) []string {
	var problems []string
	anchors := map[string]map[string]bool{}
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for n, line := range proseLines(string(body)) {
			for _, m := range linkRe.FindAllStringSubmatch(inlineCodeRe.ReplaceAllString(line, ""), -1) {
				if p := checkLink(file, m[1], anchors); p != "" {
					problems = append(problems, fmt.Sprintf("%s:%d: %s", file, n+1, p))
				}
			}
		}
	}
	return problems
}

// checkLink says what is wrong with target, a link in file, or "".
func checkLink(file, target string, anchors map[string]map[string]bool) string {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Sprintf("link %q does not parse: %v", target, err)
	}
	if u.Scheme != "" || u.Host != "" {
		return "" // not relative
	}
	dest := file
	if u.Path != "" {
		dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(u.Path))
		if _, err := os.Stat(dest); err != nil {
			return fmt.Sprintf("link %q: no file %s", target, dest)
		}
	}
	if u.Fragment == "" || !strings.HasSuffix(dest, ".md") {
		return ""
	}
	if anchors[dest] == nil {
		body, err := os.ReadFile(dest)
		if err != nil {
			return err.Error()
		}
		anchors[dest] = headingAnchors(string(body))
	}
	if !anchors[dest][u.Fragment] {
		return fmt.Sprintf("link %q: %s has no heading #%s", target, dest, u.Fragment)
	}
	return ""
}

// proseLines is body's lines with those inside fenced code blocks blanked,
// so that line numbers still match.
func proseLines(body string) []string {
	lines := strings.Split(body, "\n")
	fenced := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			lines[i] = ""
			continue
		}
		if fenced {
			lines[i] = ""
		}
	}
	return lines
}

// headingAnchors are the anchors GitHub gives body's headings: lower case,
// punctuation dropped, spaces as hyphens, "-1", "-2"… for repeats.
func headingAnchors(body string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	for _, l := range proseLines(body) {
		m := headingRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}
