package cli

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// offline is an HTTP client that sends nothing anywhere: these commands
// must print the authorize URL without asking Coze.
func offline(t *testing.T) *http.Client {
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		t.Errorf("unexpected request to %s", r.URL)
		return nil, errors.New("offline")
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var anyAuthorizeURL = regexp.MustCompile(`(https?://\S+/api/permission/oauth2/authorize\?\S+)`)

// A cn API base, wherever it comes from, sends the browser to www.coze.cn,
// as coze-go, coze-js and coze-py derive the web host (api.X → www.X).
func TestConsentHostFollowsAPIBase(t *testing.T) {
	t.Parallel()
	const cn = "https://api.coze.cn"
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) (env map[string]string, args []string)
		want  string
	}{
		{"--api-base", func(*testing.T, string) (map[string]string, []string) {
			return nil, []string{"--api-base", cn}
		}, "https://www.coze.cn/"},
		{"$COZE_API_BASE", func(*testing.T, string) (map[string]string, []string) {
			return map[string]string{"COZE_API_BASE": cn}, nil
		}, "https://www.coze.cn/"},
		{"the profile", func(t *testing.T, dir string) (map[string]string, []string) {
			if err := auth.NewStore(dir).SaveSettings("default", auth.Settings{APIBase: cn, ClientID: sandbox.PKCEClientID}); err != nil {
				t.Fatal(err)
			}
			return nil, nil
		}, "https://www.coze.cn/"},
		{"a console config file", func(t *testing.T, dir string) (map[string]string, []string) {
			path := filepath.Join(t.TempDir(), "coze_oauth_config.json")
			os.WriteFile(path, []byte(`{"client_type":"pkce","client_id":"`+sandbox.PKCEClientID+`","coze_api_base":"`+cn+`"}`), 0o600)
			return nil, []string{"--config", path}
		}, "https://www.coze.cn/"},
		{"another api. host", func(*testing.T, string) (map[string]string, []string) {
			return nil, []string{"--api-base", "https://api.coze.example"}
		}, "https://www.coze.example/"},
		{"a host without api.", func(*testing.T, string) (map[string]string, []string) {
			return nil, []string{"--api-base", "https://coze.example"}
		}, "https://coze.example/"},
		{"--www-base wins", func(*testing.T, string) (map[string]string, []string) {
			return nil, []string{"--api-base", cn, "--www-base", "https://web.example"}
		}, "https://web.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env, args := tt.setup(t, dir)
			if env == nil {
				env = map[string]string{}
			}
			if env["COZE_CLIENT_ID"] == "" && !strings.Contains(strings.Join(args, " "), "--config") {
				env["COZE_CLIENT_ID"] = sandbox.PKCEClientID
			}
			res := runCLIWith(t, dir, offline(t), "", env, append([]string{"login", "--paste"}, args...)...)
			m := anyAuthorizeURL.FindStringSubmatch(res.stderr)
			if m == nil {
				t.Fatalf("no authorize URL printed (exit %d):\n%s", res.code, res.stderr)
			}
			if !strings.HasPrefix(m[1], tt.want+"api/permission/oauth2/authorize?") {
				t.Errorf("authorize URL %s, want it on %s", m[1], tt.want)
			}
			// status shows the same consent host.
			st := runCLIWith(t, dir, offline(t), "", env, append([]string{"status"}, withoutConfig(args)...)...)
			if tt.name != "a console config file" && !strings.Contains(st.stdout, "Consent page:    "+strings.TrimSuffix(tt.want, "/")+"\n") {
				t.Errorf("status does not show consent page %s:\n%s", tt.want, st.stdout)
			}
		})
	}
}

// withoutConfig drops --config and its value: status does not import one.
func withoutConfig(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--config" {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// A paste-back login takes a web app's https production callback: the URI
// is sent exactly, and the address the browser lands on logs in.
func TestLoginPasteHTTPSRedirect(t *testing.T) {
	t.Parallel()
	const redirect = "https://bots.example.com/oauth/callback?tenant=a%2Fb"
	r := startLoginEnv(t, &fakeClock{}, map[string]string{"COZE_REDIRECT_URI": redirect}, "--paste")
	r.srv.RegisterRedirectURI(redirect)
	authorize := waitFor(t, r.stderr, authorizeURL)
	u, err := url.Parse(authorize)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("redirect_uri"); got != redirect {
		t.Fatalf("authorize URL carries redirect_uri %q, want %q exactly", got, redirect)
	}
	landed, err := r.srv.Approve(authorize)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(landed, "https://bots.example.com/oauth/callback?") {
		t.Fatalf("the browser would land on %s", landed)
	}
	io.WriteString(r.stdin, landed+"\n")
	if code := r.exit(t); code != 0 || !r.loggedIn(t) {
		t.Fatalf("exit %d, logged in %v:\n%s", code, r.loggedIn(t), r.stderr)
	}
}

// A listener flow keeps the loopback-http rule, and its refusal says how
// to do without a listener.
func TestLoginListenerRefusesHTTPSRedirect(t *testing.T) {
	t.Parallel()
	res := runCLIWith(t, t.TempDir(), offline(t), "", map[string]string{"COZE_CLIENT_ID": sandbox.PKCEClientID,
		"COZE_REDIRECT_URI": "https://bots.example.com/oauth/callback"}, "login", "--no-browser")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "or use --paste") {
		t.Errorf("exit %d, want %d with a hint at --paste:\n%s", res.code, ExitUsage, res.stderr)
	}
}
