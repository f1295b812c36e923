package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// probeNow is the fixed clock of the probe command's tests.
var probeNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// probeCoze answers the probe's targets as coze.com does without a token,
// and users_me for the token "good". It records the bearer tokens it saw
// and the User-Agents.
type probeCoze struct {
	srv *httptest.Server
	mu  sync.Mutex
	// tokens are the bearer tokens sent to users_me; agents every User-Agent.
	tokens, agents []string
	// hold, when set, makes GET /v1/chat wait for the request to be
	// canceled, reporting on it when it starts.
	hold chan struct{}
	// handler serves it all; skew moves the Date of its answers.
	handler http.Handler
	skew    time.Duration
}

func newProbeCoze(t *testing.T) *probeCoze {
	t.Helper()
	f := &probeCoze{}
	mux := http.NewServeMux()
	answer := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Tt-Logid", "20250601120000LOGID")
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	mux.Handle("POST /v3/chat", answer(401, `{"code":4100,"msg":"authentication is invalid"}`))
	mux.Handle("POST /v1/workflow/run", answer(401, `{"code":4100,"msg":"authentication is invalid"}`))
	mux.HandleFunc("GET /api/permission/oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/sign", http.StatusFound)
	})
	mux.Handle("POST /open_api/v2/chat", answer(200, `{"code":4000,"msg":"bot_id is required"}`))
	mux.Handle("POST /v1/workflows/run", answer(401, `{"code":4100,"msg":"authentication is invalid"}`))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>Coze</html>") })
	mux.HandleFunc("GET /v1/chat", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			answer(401, `{"code":4100,"msg":"authentication is invalid"}`)(w, r)
			return
		}
		if f.hold != nil {
			f.hold <- struct{}{}
			<-r.Context().Done()
			return
		}
		http.NotFound(w, r)
	})
	mux.HandleFunc("GET /v1/users/me", func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		f.tokens = append(f.tokens, tok)
		f.mu.Unlock()
		if tok != "good" {
			answer(401, `{"code":4100,"msg":"authentication is invalid"}`)(w, r)
			return
		}
		answer(200, `{"code":0,"msg":"","data":{"user_id":"7","user_name":"ada","nick_name":"Ada"}}`)(w, r)
	})
	mux.HandleFunc("POST /api/permission/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid refresh token"}`)
	})
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.agents = append(f.agents, r.UserAgent()+" "+r.Header.Get(coze.ClientUserAgentHeader))
		f.mu.Unlock()
		w.Header().Set("Date", probeNow.Add(f.skew).Format(http.TimeFormat))
		mux.ServeHTTP(w, r)
	})
	f.srv = httptest.NewServer(f.handler)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *probeCoze) seen() (tokens, agents []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tokens), slices.Clone(f.agents)
}

// closedURL is a loopback URL nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

type probeRun struct {
	code           int
	stdout, stderr string
}

// runProbeCLI runs cozeauth with a config directory of its own and env.
func runProbeCLI(ctx context.Context, t *testing.T, env map[string]string, args ...string) probeRun {
	t.Helper()
	return runProbeCLIWith(ctx, t, env, nil, args...)
}

// runProbeCLIWith is runProbeCLI with a hook to change the Env.
func runProbeCLIWith(ctx context.Context, t *testing.T, env map[string]string, change func(*Env), args ...string) probeRun {
	t.Helper()
	// Wide enough that no row is cut; TestProbeFitsWidth checks narrow ones.
	vars := map[string]string{"COZEAUTH_CONFIG_DIR": t.TempDir(), "COLUMNS": "200"}
	for k, v := range env {
		vars[k] = v
	}
	var stdout, stderr bytes.Buffer
	e := &Env{
		Stdout:  &stdout,
		Stderr:  &stderr,
		Getenv:  func(k string) string { return vars[k] },
		Now:     func() time.Time { return probeNow },
		Version: "test",
	}
	if change != nil {
		change(e)
	}
	code := Run(ctx, args, e)
	return probeRun{code, stdout.String(), stderr.String()}
}

// saveProbeToken logs profile "default" in, in dir.
func saveProbeToken(t *testing.T, dir string, tok auth.Token) {
	t.Helper()
	l, err := auth.NewStore(dir).Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if err := l.Save("default", &auth.Record{Token: tok}); err != nil {
		t.Fatal(err)
	}
}

// probeJSON is the --json shape, decoded loosely enough to see every key.
type probeJSON struct {
	Verdict    string           `json:"verdict"`
	Proxy      *string          `json:"proxy"`
	DurationMS *float64         `json:"duration_ms"`
	ClockSkewS *float64         `json:"clock_skew_s"`
	Targets    []map[string]any `json:"targets"`
}

func TestProbeJSON(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	res := runProbeCLI(t.Context(), t, nil, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL+"/", "--json", "--token", "good")
	if res.code != ExitOK {
		t.Fatalf("exit %d, want 0; stderr: %s", res.code, res.stderr)
	}
	var got probeJSON
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, res.stdout)
	}
	if got.Verdict != "reachable" || got.Proxy == nil || *got.Proxy != "" || got.DurationMS == nil || got.ClockSkewS == nil || *got.ClockSkewS != 0 {
		t.Errorf("report header = %+v, want reachable, direct, with a duration", got)
	}
	type row struct {
		Group, Name, Method, Class string
		Status                     float64
		Code                       any
		User                       any
	}
	var rows []row
	wantKeys := []string{"class", "coze_code", "coze_msg", "error", "family", "group", "hint", "label", "logid", "method", "name", "remote_addr", "resolved", "status", "timings_ms", "url"}
	for _, tg := range got.Targets {
		rows = append(rows, row{tg["group"].(string), tg["name"].(string), tg["method"].(string), tg["class"].(string), tg["status"].(float64), tg["coze_code"], tg["user"]})
		var keys []string
		for k := range tg {
			if k != "user" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tg["name"], diff)
		}
		if diff := cmp.Diff([]string{"connect", "dns", "first_byte", "tls", "total"}, sortedKeys(tg["timings_ms"])); diff != "" {
			t.Errorf("%s: timings_ms keys (-want +got):\n%s", tg["name"], diff)
		}
	}
	want := []row{
		{"api", "v3_chat", "POST", "auth_required", 401, 4100.0, nil},
		{"api", "workflow_run", "POST", "auth_required", 401, 4100.0, nil},
		{"oauth", "oauth_token", "POST", "answered", 400, nil, nil},
		{"oauth", "oauth_authorize", "GET", "ok", 302, nil, nil},
		{"websocket", "ws_chat", "GET", "auth_required", 401, 4100.0, nil},
		{"account", "users_me", "GET", "ok", 200, 0.0, "Ada (@ada)"},
		{"legacy", "open_api_v2_chat", "POST", "ok", 200, 4000.0, nil},
		{"legacy", "workflows_run", "POST", "auth_required", 401, 4100.0, nil},
		{"legacy", "www", "GET", "ok", 200, nil, nil},
		{"legacy", "v1_chat", "GET", "not_found", 404, nil, nil},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if ws := got.Targets[4]; ws["url"] != "ws"+strings.TrimPrefix(f.srv.URL, "http")+"/v1/chat" {
		t.Errorf("ws_chat url %v, want the ws base derived from the API base", ws["url"])
	}
	_, agents := f.seen()
	for _, a := range agents {
		if a != "cozeauth/test "+coze.ClientUserAgent("cozeauth/test") {
			t.Errorf("User-Agent and %s %q, want cozeauth/test and its JSON", coze.ClientUserAgentHeader, a)
		}
	}
}

// tableRows are the target names in the first column of the table.
func tableRows(out string) []string {
	var names []string
	lines := strings.Split(out, "\n")
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		if !strings.HasPrefix(l, " ") {
			continue // a group's heading
		}
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

func sortedKeys(v any) []string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestProbeTable(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	closed := closedURL(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // lines or pieces the output must contain
		dontWant []string
	}{
		{
			name: "reachable", args: []string{"--api-base", f.srv.URL, "--www-base", f.srv.URL}, wantCode: ExitOK,
			want: []string{
				"TARGET              STATUS  CLASS            TIME      DETAIL",
				"API — the open API, answered without a token\n  v3_chat           401     auth_required",
				"code 4100: authentication is invalid · chat",
				"OAuth — what cozeauth's logins and refreshes need\n  oauth_token       400     answered",
				"invalid_request: invalid refresh token · token endpoint: logins and refreshes",
				"  oauth_authorize   302     ok",
				"WebSocket — the ws host that streams chat\n  ws_chat           401     auth_required",
				"Legacy — the four endpoints of the first connectivity report\n  open_api_v2_chat  200     ok",
				"code 4000: bot_id is required · legacy v2 chat",
				"  workflows_run     401     auth_required",
				"not a Coze route: answered by the auth gateway",
				"  v1_chat           404     not_found",
				"Verdict:  reachable — all 9 targets answered over HTTP: nothing blocks the path to these hosts",
				"Probed:   " + strings.TrimPrefix(f.srv.URL, "http://") + "\n",
				"Proxy:    none (direct)",
			},
			dontWant: []string{"Hints:", "users_me", "\x1b[", "Clock:"},
		},
		{
			name: "current only", args: []string{"--api-base", f.srv.URL, "--www-base", f.srv.URL, "--targets", "current"}, wantCode: ExitOK,
			want:     []string{"ws_chat", "Verdict:  reachable — all 5 targets answered"},
			dontWant: []string{"Legacy", "open_api_v2_chat"},
		},
		{
			name: "legacy only (by its old name, seed)", args: []string{"--api-base", f.srv.URL, "--www-base", f.srv.URL, "--targets", "seed"}, wantCode: ExitOK,
			want:     []string{"open_api_v2_chat", "Verdict:  reachable — all 4 targets answered"},
			dontWant: []string{"v3_chat", "ws_chat"},
		},
		{
			name: "groups by name", args: []string{"--api-base", f.srv.URL, "--www-base", f.srv.URL, "--targets", "oauth,websocket"}, wantCode: ExitOK,
			want:     []string{"oauth_token", "oauth_authorize", "ws_chat", "Verdict:  reachable — all 3 targets answered"},
			dontWant: []string{"v3_chat", "open_api_v2_chat", "Legacy"},
		},
		{
			name: "web host refused", args: []string{"--api-base", f.srv.URL, "--www-base", closed}, wantCode: ExitBlocked,
			want: []string{
				"  oauth_authorize   -       connect_refused",
				"  www               -       connect_refused",
				"Verdict:  partial — 7 of 9 targets answered; the others failed below HTTP or were answered by something else",
				"Hints:\n  oauth, legacy (2 targets; connect_refused)\n    the connection was refused",
			},
		},
		{
			name: "ws host refused", args: []string{"--api-base", f.srv.URL, "--www-base", f.srv.URL, "--ws-base", strings.Replace(closed, "http:", "ws:", 1)}, wantCode: ExitBlocked,
			want: []string{"  ws_chat           -       connect_refused", "Verdict:  partial — 8 of 9"},
		},
		{
			name: "unreachable", args: []string{"--api-base", closed, "--www-base", closed}, wantCode: ExitBlocked,
			want: []string{
				"Verdict:  unreachable — none of the 9 targets answered over HTTP",
				"  api, oauth, websocket, legacy (9 targets; connect_refused)\n",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runProbeCLI(t.Context(), t, nil, append([]string{"probe"}, tt.args...)...)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", res.code, tt.wantCode, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.stdout)
				}
			}
			for _, w := range tt.dontWant {
				if strings.Contains(res.stdout, w) {
					t.Errorf("output has %q:\n%s", w, res.stdout)
				}
			}
			if res.stderr != "" {
				t.Errorf("stderr %q, want nothing", res.stderr)
			}
		})
	}
}

func TestProbeUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero timeout", []string{"--timeout", "0s"}, "--timeout 0s"},
		{"bad timeout", []string{"--timeout", "soon"}, "invalid argument"},
		{"bad base", []string{"--api-base", "ftp://x"}, "not an http(s) URL"},
		{"token and no-auth", []string{"--token", "x", "--no-auth"}, "contradict"},
		{"bad region", []string{"--region", "eu"}, "unknown region"},
		{"argument", []string{"coze.com"}, "no arguments"},
		{"bad target set", []string{"--targets", "new"}, "--targets \"new\""},
		{"bad ws base", []string{"--ws-base", "ftp://ws.example.com"}, "--ws-base"},
		{"interval without watch", []string{"--interval", "1s"}, "go with --watch"},
		{"zero interval", []string{"--watch", "--interval", "0s"}, "--interval 0s"},
		{"negative count", []string{"--watch", "--count", "-1"}, "--count -1"},
		{"all regions with a base", []string{"--region", "all", "--api-base", "http://127.0.0.1:1"}, "drop --api-base"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runProbeCLI(t.Context(), t, nil, append([]string{"probe"}, tt.args...)...)
			if res.code != ExitUsage {
				t.Errorf("exit %d, want %d", res.code, ExitUsage)
			}
			if !strings.Contains(res.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", res.stderr, tt.want)
			}
		})
	}
}

// TestProbeToken checks where the users_me token comes from.
func TestProbeToken(t *testing.T) {
	t.Parallel()
	fresh := auth.Token{AccessToken: "good", RefreshToken: "r1", Expiry: probeNow.Add(time.Hour), IssuedAt: probeNow}
	stale := auth.Token{AccessToken: "old", RefreshToken: "r0", Expiry: probeNow.Add(-time.Hour), IssuedAt: probeNow.Add(-2 * time.Hour)}
	current := []string{"v3_chat", "workflow_run", "oauth_token", "oauth_authorize", "ws_chat"}
	seed := []string{"open_api_v2_chat", "workflows_run", "www", "v1_chat"}
	four := slices.Concat(current, seed)
	five := slices.Concat(current, []string{"users_me"}, seed)
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		stored     *auth.Token
		wantTokens []string // sent to users_me
		wantRows   []string
		wantStderr string
		wantOut    string
	}{
		{name: "not logged in", wantRows: four},
		{name: "flag", args: []string{"--token", "good"}, env: map[string]string{"COZE_API_TOKEN": "env"}, wantTokens: []string{"good"}, wantRows: five, wantOut: "token of Ada (@ada)"},
		{name: "environment", env: map[string]string{"COZE_API_TOKEN": "env"}, stored: &fresh, wantTokens: []string{"env"}, wantRows: five, wantOut: "code 4100: authentication is invalid"},
		{name: "logged in", stored: &fresh, wantTokens: []string{"good"}, wantRows: five, wantOut: "users_me          200     ok"},
		{name: "no-auth", args: []string{"--no-auth"}, env: map[string]string{"COZE_API_TOKEN": "env"}, stored: &fresh, wantRows: four},
		{name: "refresh refused", stored: &stale, wantRows: four, wantStderr: "Note: skipping users_me: login required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newProbeCoze(t)
			dir := t.TempDir()
			if tt.stored != nil {
				saveProbeToken(t, dir, *tt.stored)
			}
			env := map[string]string{"COZEAUTH_CONFIG_DIR": dir}
			for k, v := range tt.env {
				env[k] = v
			}
			args := append([]string{"probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL}, tt.args...)
			res := runProbeCLI(t.Context(), t, env, args...)
			if res.code != ExitOK {
				t.Errorf("exit %d, want 0; stderr: %s", res.code, res.stderr)
			}
			tokens, _ := f.seen()
			if diff := cmp.Diff(tt.wantTokens, tokens); diff != "" {
				t.Errorf("users_me tokens (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantRows, tableRows(res.stdout)); diff != "" {
				t.Errorf("rows (-want +got):\n%s\n%s", diff, res.stdout)
			}
			if !strings.Contains(res.stderr, tt.wantStderr) || (tt.wantStderr == "" && res.stderr != "") {
				t.Errorf("stderr %q, want %q", res.stderr, tt.wantStderr)
			}
			if !strings.Contains(res.stdout, tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, res.stdout)
			}
			for _, secret := range []string{"good", "env", "old"} {
				if strings.Contains(res.stdout+res.stderr, " "+secret+" ") {
					t.Errorf("output shows the token %q", secret)
				}
			}
		})
	}
}

// TestProbeInterrupt cancels the command's context while one target is
// still waiting: what finished is shown, the rest as canceled, and the exit
// code is 130 like every interrupted command's (3 would blame the network).
func TestProbeInterrupt(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	f.hold = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-f.hold
		cancel()
	}()
	res := runProbeCLI(ctx, t, nil, "probe", "--api-base", f.srv.URL, "--www-base", f.srv.URL, "--timeout", "1h")
	if res.code != ExitInterrupted {
		t.Errorf("exit %d, want %d", res.code, ExitInterrupted)
	}
	// v1_chat was held; the others may have finished or not.
	for _, w := range []string{"  v1_chat           -       canceled", "interrupted before this target finished"} {
		if !strings.Contains(res.stdout, w) {
			t.Errorf("output lacks %q:\n%s", w, res.stdout)
		}
	}
	if diff := cmp.Diff([]string{"v3_chat", "workflow_run", "oauth_token", "oauth_authorize", "ws_chat", "open_api_v2_chat", "workflows_run", "www", "v1_chat"}, tableRows(res.stdout)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.Contains(l, "reset") || strings.Contains(l, "timeout") || strings.Contains(l, "refused") {
			t.Errorf("a target failed other than by the cancel: %s", l)
		}
	}
	if !strings.Contains(res.stderr, "Interrupted") {
		t.Errorf("stderr %q does not say it was interrupted", res.stderr)
	}
}

// A 5xx page from the API host (the token endpoint, the open API) is an
// answer, so the path is open, but no login or refresh can work through
// it: the verdict is degraded and the probe exits 3.
func TestProbeServerErrorsAreDegraded(t *testing.T) {
	t.Parallel()
	f := newProbeCoze(t)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
	}))
	t.Cleanup(failing.Close)
	res := runProbeCLI(t.Context(), t, nil, "probe", "--api-base", failing.URL, "--www-base", f.srv.URL, "--targets", "current")
	if res.code != ExitBlocked {
		t.Errorf("exit %d, want %d:\n%s%s", res.code, ExitBlocked, res.stdout, res.stderr)
	}
	for _, want := range []string{"  oauth_token      502     server_error", "Verdict:  degraded", "Coze or something in the path fails"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
}
