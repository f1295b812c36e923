package cli

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
)

func TestTableFitsWidth(t *testing.T) {
	t.Parallel()
	tb := &table{
		header: []string{"NAME", "REGION", "CLIENT ID", "STATE"},
		shrink: []int{2, 0},
		drop:   []int{1},
	}
	tb.add("default", "com", "7420000000000000001.app.coze", "logged in")
	tb.add("a-very-long-profile-name", "cn", "7420000000000000002.app.coze", "no")
	tests := []struct {
		width int
		want  string
	}{
		{80, `NAME                      REGION  CLIENT ID                     STATE
default                   com     7420000000000000001.app.coze  logged in
a-very-long-profile-name  cn      7420000000000000002.app.coze  no
`},
		{60, `NAME                      CLIENT ID                STATE
default                   7420000000000000001.ap…  logged in
a-very-long-profile-name  7420000000000000002.ap…  no
`},
		{50, `NAME                      CLIENT ID      STATE
default                   742000000000…  logged in
a-very-long-profile-name  742000000000…  no
`},
		{30, ""}, // only its width is checked
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tb.render(&b, tt.width); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(b.String(), "\n") {
			if ansi.StringWidth(l) > tt.width {
				t.Errorf("width %d: line of %d columns: %q", tt.width, ansi.StringWidth(l), l)
			}
		}
		if tt.width >= 50 {
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("width %d (-want +got):\n%s", tt.width, diff)
			}
		}
	}
}

// TestTableOffATerminalIsWhole: with no width (a pipe, no $COLUMNS) no cell
// is cut and no column left out, however long the rows.
func TestTableOffATerminalIsWhole(t *testing.T) {
	t.Parallel()
	tb := &table{header: []string{"NAME", "REGION", "DETAIL"}, shrink: []int{2, 0}, drop: []int{1}, soft: map[int]int{2: 10}}
	detail := "lookup api.coze.com on 127.0.0.53:53: " + strings.Repeat("no such host ", 12)
	tb.add("a-very-long-profile-name", "cn", detail)
	var b strings.Builder
	if err := tb.render(&b, 0); err != nil {
		t.Fatal(err)
	}
	want := "NAME                      REGION  DETAIL\na-very-long-profile-name  cn      " + strings.TrimSpace(detail) + "\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTablesInAPipeAreWhole: `status --all` into a pipe keeps the columns
// and whole account names that a 80-column terminal would cut.
func TestTablesInAPipeAreWhole(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	twoProfiles(t, dir)
	long := "a-profile-with-a-rather-long-name-for-the-whole-team"
	if err := auth.NewStore(dir).SaveSettings(long, auth.Settings{ClientID: "7420000000000000003.app.coze"}); err != nil {
		t.Fatal(err)
	}
	header := regexp.MustCompile(`(?m)^PROFILE +SOURCE +REGION +APP +ACCOUNT +LOGGED IN +ACCESS +REFRESH$`)
	res := runCLI(t, dir, nil, "", "status", "--all")
	if !header.MatchString(res.stdout) || !strings.Contains(res.stdout, long+" ") || strings.Contains(res.stdout, "…") {
		t.Errorf("status --all in a pipe left columns out or cut a cell:\n%s", res.stdout)
	}
	res = runCLIEnv(t, dir, nil, map[string]string{"COLUMNS": "50"}, "status", "--all")
	if header.MatchString(res.stdout) {
		t.Errorf("$COLUMNS=50 no longer fits the table:\n%s", res.stdout)
	}

	f := newProbeCoze(t)
	probed := runProbeCLI(t.Context(), t, map[string]string{"COZE_API_TOKEN": "env"}, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL)
	if strings.Contains(probed.stdout, "…") || !regexp.MustCompile(`(?m)^TARGET +STATUS +CLASS +TIME +DETAIL$`).MatchString(probed.stdout) {
		t.Errorf("probe in a pipe cut a cell or left a column out:\n%s", probed.stdout)
	}
}

func TestWrapWords(t *testing.T) {
	t.Parallel()
	got := wrapWords("Profile \"work\": the refresh token expired 2 days ago: run `cozeauth login --profile work` and try again", 40, "  ")
	want := "  Profile \"work\": the refresh token\n  expired 2 days ago: run\n  `cozeauth login --profile work` and\n  try again\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(got, "\n") {
		if len(l) > 40 {
			t.Errorf("line longer than 40: %q", l)
		}
	}
}

// probe's table, summary and hints fit the width, cut or wrapped between
// words, never in the middle of one.
func TestProbeFitsWidth(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	for _, width := range []int{60, 80} {
		res := runProbeCLI(t.Context(), t, map[string]string{"COLUMNS": itoa(width), "COZE_API_TOKEN": "env"},
			"probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL)
		if res.code != ExitOK {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		for _, l := range strings.Split(res.stdout, "\n") {
			if ansi.StringWidth(l) > width {
				t.Errorf("width %d: line of %d columns: %q", width, ansi.StringWidth(l), l)
			}
		}
		if !strings.Contains(res.stdout, "…") {
			t.Errorf("width %d: nothing was cut:\n%s", width, res.stdout)
		}
		// The detail keeps room to say something: at 60 columns the time
		// is left out before the detail is cut to a word.
		if width == 60 && !regexp.MustCompile(`(?m)^  v3_chat +401 +auth_required +code 4100`).MatchString(res.stdout) {
			t.Errorf("width 60: the time was not left out for the detail:\n%s", res.stdout)
		}
		// The hint, joined again, is whole: wrapped only between words.
		hint := strings.Join(strings.Fields(res.stdout[strings.Index(res.stdout, "Hints:"):]), " ")
		if !strings.Contains(hint, "the token was refused: it was most likely issued by the other region; use --region cn for a coze.cn token") {
			t.Errorf("width %d: the hint was not wrapped between words:\n%s", width, res.stdout)
		}
	}
}

// The line probe writes to a terminal's stderr before it starts wraps
// between words at the terminal's width too.
func TestProbeStartLineFitsWidth(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 50}); err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	read := make(chan struct{})
	go func() { io.Copy(&screen, ptmx); close(read) }()
	res := runProbeCLIWith(t.Context(), t, nil, func(e *Env) { e.Stderr = tty }, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL)
	tty.Close()
	<-read
	if res.code != ExitOK {
		t.Fatalf("exit %d", res.code)
	}
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	if !strings.Contains(out, "Probing 9 targets") {
		t.Fatalf("no start line on the terminal: %q", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if n := ansi.StringWidth(l); n > 50 && !strings.HasPrefix(strings.TrimSpace(l), "http") {
			t.Errorf("a line of %d columns on a 50-column terminal: %q", n, l)
		}
	}
}
