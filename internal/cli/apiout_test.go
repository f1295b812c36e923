package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// On a terminal `api` indents Coze's JSON and colours it (as gh does), with
// NO_COLOR only indents it; in a pipe it is byte for byte (TestAPI).
func TestAPIOnATerminalIsIndented(t *testing.T) {
	t.Parallel()
	const me = `{"code":0,"msg":"","data":{"user_name":"say \"hi\"","n":7400000000000000099,"ok":true}}`
	const indented = "{\r\n  \"code\": 0,\r\n  \"msg\": \"\",\r\n  \"data\": {\r\n    \"user_name\": \"say \\\"hi\\\"\",\r\n    \"n\": 7400000000000000099,\r\n    \"ok\": true\r\n  }\r\n}\r\n"
	for _, noColor := range []bool{true, false} {
		fake := newFakeCoze(t, func(w http.ResponseWriter, r *http.Request, _ string) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			io.WriteString(w, me)
		})
		dir := t.TempDir()
		storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, freshToken())
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		var screen bytes.Buffer
		read := make(chan struct{})
		go func() { io.Copy(&screen, ptmx); close(read) }()
		env := map[string]string{"COZEAUTH_CONFIG_DIR": dir}
		if noColor {
			env["NO_COLOR"] = "1"
		}
		var stderr bytes.Buffer
		code := Run(context.Background(), []string{"api", "/v1/users/me"}, &Env{
			Stdin: strings.NewReader(""), Stdout: tty, Stderr: &stderr, HTTP: fake.srv.Client(),
			Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return testNow },
		})
		tty.Close()
		<-read
		ptmx.Close()
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		out := screen.String()
		if diff := cmp.Diff(indented, ansi.Strip(out)); diff != "" {
			t.Errorf("NO_COLOR=%v: not indented as it came (-want +got):\n%s", noColor, diff)
		}
		if colored := strings.Contains(out, "\x1b["); colored == noColor {
			t.Errorf("NO_COLOR=%v: colour %v: %q", noColor, colored, out)
		}
	}
}

// colorJSON colours keys and values apart, and a quote escaped in a string
// does not end it.
func TestColorJSON(t *testing.T) {
	t.Parallel()
	got := colorJSON(`{"k": "a \"b\" c", "n": -1.5e3, "t": [true, null]}`)
	st := newJSONStyles()
	want := "{" + st.key.Render(`"k"`) + ": " + st.str.Render(`"a \"b\" c"`) + ", " + st.key.Render(`"n"`) + ": " + st.num.Render("-1.5e3") +
		", " + st.key.Render(`"t"`) + ": [" + st.lit.Render("true") + ", " + st.lit.Render("null") + "]}"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
