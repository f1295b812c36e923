package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// The fake tokens look like Coze's so a leak is easy to grep for.
const (
	oldAccess  = "czu_oldAccessToken0123456789abcdef"
	oldRefresh = "oldRefreshToken0123456789abcdef"
	newAccess  = "czu_newAccessToken0123456789abcdef"
	newRefresh = "newRefreshToken0123456789abcdef"
	testClient = "7420000000000000001.app.coze"
)

var secrets = []string{oldAccess, oldRefresh, newAccess, newRefresh}

// testNow is the fixed clock of every cli test here.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// seenRequest is what the fake Coze recorded of one open API call.
type seenRequest struct {
	Method, Path, Query string
	Auth, ContentType   string
	UserAgent, Custom   string
	Body                string
}

// fakeCoze stands in for Coze: the token endpoint rotates oldRefresh into
// newRefresh (and refuses anything else), and every other path is answered by
// the test's handler, which sees the bearer token.
type fakeCoze struct {
	srv      *httptest.Server
	api      func(w http.ResponseWriter, r *http.Request, token string)
	mu       sync.Mutex
	seen     []seenRequest
	refreshN int
}

func newFakeCoze(t *testing.T, api func(w http.ResponseWriter, r *http.Request, token string)) *fakeCoze {
	t.Helper()
	f := &fakeCoze{api: api}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCoze) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/api/permission/oauth2/token" {
		var req struct {
			GrantType    string `json:"grant_type"`
			RefreshToken string `json:"refresh_token"`
		}
		_ = json.Unmarshal(body, &req)
		f.mu.Lock()
		f.refreshN++
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if req.GrantType != "refresh_token" || req.RefreshToken != oldRefresh {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid refresh token"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{
			"access_token":  newAccess,
			"refresh_token": newRefresh,
			"expires_in":    testNow.Add(15 * time.Minute).Unix(),
		})
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.seen = append(f.seen, seenRequest{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Auth: token, ContentType: r.Header.Get("Content-Type"),
		UserAgent: r.Header.Get("User-Agent") + " " + r.Header.Get(coze.ClientUserAgentHeader), Custom: r.Header.Get("X-Custom"),
		Body: string(body),
	})
	f.mu.Unlock()
	f.api(w, r, token)
}

func (f *fakeCoze) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// storeTokens writes a profile's settings and token pair into dir.
func storeTokens(t *testing.T, dir, profile string, set auth.Settings, tok *auth.Token) {
	t.Helper()
	st := auth.NewStore(dir)
	if err := st.SaveSettings(profile, set); err != nil {
		t.Fatal(err)
	}
	if tok == nil {
		return
	}
	l, err := st.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if err := l.Save(profile, &auth.Record{Token: *tok}); err != nil {
		t.Fatal(err)
	}
}

// freshToken is valid beyond the refresh margin; staleToken is not valid at
// all but can be refreshed.
func freshToken() *auth.Token {
	return &auth.Token{AccessToken: oldAccess, RefreshToken: oldRefresh, Expiry: testNow.Add(10 * time.Minute), RefreshExpiry: testNow.Add(29 * 24 * time.Hour), IssuedAt: testNow.Add(-24 * time.Hour)}
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs cozeauth with the config directory dir and the fixed clock.
func runCLI(t *testing.T, dir string, hc *http.Client, stdin string, args ...string) runResult {
	t.Helper()
	return runCLIWith(t, dir, hc, stdin, nil, args...)
}

// runCLIWith is runCLI with more environment variables.
func runCLIWith(t *testing.T, dir string, hc *http.Client, stdin string, env map[string]string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, &Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "COZEAUTH_CONFIG_DIR" {
				return dir
			}
			return env[k]
		},
		HTTP:    hc,
		Now:     func() time.Time { return testNow },
		Version: "test",
	})
	return runResult{code, stdout.String(), stderr.String()}
}

// assertNoSecrets fails when any fake token shows on stdout or stderr; the
// fake Coze never puts one in a response body.
func assertNoSecrets(t *testing.T, res runResult) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(res.stdout, s) || strings.Contains(res.stderr, s) {
			t.Errorf("output shows token %q:\nstdout: %s\nstderr: %s", s, res.stdout, res.stderr)
		}
	}
}

func TestAPI(t *testing.T) {
	t.Parallel()
	const me = `{"code":0,"msg":"","data":{"user_id":"7400000000000000099","user_name":"me"}}`
	const chat = `{"bot_id":"7340000000000000000","user_id":"me","stream":false,"additional_messages":[{"role":"user","content":"Hello","content_type":"text"}]}`
	okJSON := func(body string) func(http.ResponseWriter, *http.Request, string) {
		return func(w http.ResponseWriter, r *http.Request, _ string) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Tt-Logid", "20250601120000ABCDEF")
			io.WriteString(w, body)
		}
	}
	bodyFile := filepath.Join(t.TempDir(), "chat.json")
	if err := os.WriteFile(bodyFile, []byte(chat), 0o600); err != nil {
		t.Fatal(err)
	}
	ua := "cozeauth/test " + coze.ClientUserAgent("cozeauth/test") // from Env.Version, both headers

	tests := []struct {
		name  string
		args  []string // "BASE" is replaced by the fake's URL
		stdin string
		token *auth.Token // nil: not logged in
		api   func(w http.ResponseWriter, r *http.Request, token string)

		wantCode    int
		wantStdout  string // checked when wantStderr is empty or wantStdout is set
		wantStderr  []string
		wantSeen    []seenRequest
		wantRefresh string // refresh token on disk afterwards
	}{
		{
			name:       "GET",
			args:       []string{"api", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantStdout: me,
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "--jq prints a string field as it is",
			args:       []string{"api", "--jq", ".data.user_name", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantStdout: "me\n",
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "--jq keeps 19-digit ids and prints objects as JSON",
			args:       []string{"api", "-q", "[.data.user_id, (.data.user_id | tonumber)], {n: .data.user_name}", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(`{"code":0,"data":{"user_id":"7400000000000000099","user_name":"me"}}`),
			wantStdout: "[\"7400000000000000099\",7400000000000000099]\n{\"n\":\"me\"}\n",
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "--jq that is not jq is a usage error, with nothing sent",
			args:       []string{"api", "--jq", ".data[", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{`--jq ".data[" is not a jq expression`},
		},
		{
			name:  "--jq leaves a refusal as it came",
			args:  []string{"api", "--jq", ".data.user_name", "/v1/things"},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, `{"code":4200,"msg":"not found"}`)
			},
			wantCode:   ExitFailure,
			wantStdout: `{"code":4200,"msg":"not found"}`,
			wantStderr: []string{"4200"},
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/things", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "query string and full URL on the API base",
			args:       []string{"api", "BASE/v1/workspaces?page_num=1&page_size=1"},
			token:      freshToken(),
			api:        okJSON(`{"code":0}`),
			wantStdout: `{"code":0}`,
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/workspaces", Query: "page_num=1&page_size=1", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "POST body from stdin",
			args:       []string{"api", "/v3/chat", "-d", "@-"},
			stdin:      chat,
			token:      freshToken(),
			api:        okJSON(`{"code":0,"data":{"status":"in_progress"}}`),
			wantStdout: `{"code":0,"data":{"status":"in_progress"}}`,
			wantSeen:   []seenRequest{{Method: "POST", Path: "/v3/chat", Auth: oldAccess, ContentType: "application/json", UserAgent: ua, Body: chat}},
		},
		{
			name:       "body from a file, explicit method and headers",
			args:       []string{"api", "-X", "put", "/v1/things", "-d", "@" + bodyFile, "-H", "Content-Type: application/json; charset=utf-8", "-H", "X-Custom:  yes "},
			token:      freshToken(),
			api:        okJSON(`{"code":0}`),
			wantStdout: `{"code":0}`,
			wantSeen:   []seenRequest{{Method: "PUT", Path: "/v1/things", Auth: oldAccess, ContentType: "application/json; charset=utf-8", UserAgent: ua, Custom: "yes", Body: chat}},
		},
		{
			name:  "401 refreshes once and retries with the new token",
			args:  []string{"api", "/v3/chat", "-d", chat},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, token string) {
				if token != newAccess {
					w.WriteHeader(http.StatusUnauthorized)
					io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
					return
				}
				io.WriteString(w, `{"code":0,"msg":""}`)
			},
			wantStdout: `{"code":0,"msg":""}`,
			wantSeen: []seenRequest{
				{Method: "POST", Path: "/v3/chat", Auth: oldAccess, ContentType: "application/json", UserAgent: ua, Body: chat},
				{Method: "POST", Path: "/v3/chat", Auth: newAccess, ContentType: "application/json", UserAgent: ua, Body: chat},
			},
			wantRefresh: newRefresh,
		},
		{
			name:        "expired access token is refreshed before the call",
			args:        []string{"api", "/v1/users/me"},
			token:       &auth.Token{AccessToken: oldAccess, RefreshToken: oldRefresh, Expiry: testNow.Add(-time.Minute), RefreshExpiry: testNow.Add(time.Hour)},
			api:         okJSON(me),
			wantStdout:  me,
			wantSeen:    []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: newAccess, UserAgent: ua}},
			wantRefresh: newRefresh,
		},
		{
			name:  "still 401 after the refresh",
			args:  []string{"api", "/v1/users/me"},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, token string) {
				w.Header().Set("X-Tt-Logid", "LOGID401")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
			},
			wantCode:   ExitFailure,
			wantStdout: `{"code":4100,"msg":"authentication is invalid"}`,
			wantStderr: []string{"HTTP 401", "code 4100", "authentication is invalid", "LOGID401", "--region cn"},
			wantSeen: []seenRequest{
				{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua},
				{Method: "GET", Path: "/v1/users/me", Auth: newAccess, UserAgent: ua},
			},
			wantRefresh: newRefresh,
		},
		{
			name:  "401 for a token minted moments ago: no refresh",
			args:  []string{"api", "/v1/users/me"},
			token: &auth.Token{AccessToken: oldAccess, RefreshToken: oldRefresh, Expiry: testNow.Add(14 * time.Minute), RefreshExpiry: testNow.Add(29 * 24 * time.Hour), IssuedAt: testNow.Add(-30 * time.Second)},
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
			},
			wantCode:    ExitFailure,
			wantStdout:  `{"code":4100,"msg":"authentication is invalid"}`,
			wantStderr:  []string{"GET /v1/users/me", "HTTP 401", "code 4100", "the token is 30s old, so it was not refreshed", "--region cn"},
			wantSeen:    []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
			wantRefresh: oldRefresh,
		},
		{
			name:  "401 with a code a refresh cannot fix",
			args:  []string{"api", "/v1/workspaces"},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"code":4101,"msg":"no permission"}`)
			},
			wantCode:    ExitFailure,
			wantStdout:  `{"code":4101,"msg":"no permission"}`,
			wantStderr:  []string{"GET /v1/workspaces", "code 4101", "permission"},
			wantSeen:    []seenRequest{{Method: "GET", Path: "/v1/workspaces", Auth: oldAccess, UserAgent: ua}},
			wantRefresh: oldRefresh,
		},
		{
			name:  "401 without Coze's JSON: no refresh",
			args:  []string{"api", "/v1/users/me"},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `<html>proxy login</html>`)
			},
			wantCode:    ExitFailure,
			wantStdout:  `<html>proxy login</html>`,
			wantStderr:  []string{"HTTP 401", "carries no Coze code", "--api-base"},
			wantSeen:    []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
			wantRefresh: oldRefresh,
		},
		{
			name:       "coze error body with HTTP 200",
			args:       []string{"api", "/v1/workspaces"},
			token:      freshToken(),
			api:        okJSON(`{"code":4101,"msg":"no permission to call this API"}`),
			wantCode:   ExitFailure,
			wantStdout: `{"code":4101,"msg":"no permission to call this API"}`,
			wantStderr: []string{"HTTP 200", "code 4101", "no permission to call this API", "20250601120000ABCDEF", "--region"},
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/workspaces", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:  "log id from detail.logid, rate limit hint",
			args:  []string{"api", "/v3/chat", "-d", chat},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"code":4013,"msg":"too many requests","detail":{"logid":"DETAILLOGID"}}`)
			},
			wantCode:   ExitFailure,
			wantStdout: `{"code":4013,"msg":"too many requests","detail":{"logid":"DETAILLOGID"}}`,
			wantStderr: []string{"HTTP 429", "code 4013", "too many requests", "DETAILLOGID", "rate limited"},
			wantSeen:   []seenRequest{{Method: "POST", Path: "/v3/chat", Auth: oldAccess, ContentType: "application/json", UserAgent: ua, Body: chat}},
		},
		{
			name:  "non-JSON error",
			args:  []string{"api", "/v1/chat"},
			token: freshToken(),
			api: func(w http.ResponseWriter, r *http.Request, _ string) {
				http.NotFound(w, r)
			},
			wantCode:   ExitFailure,
			wantStdout: "404 page not found\n",
			wantStderr: []string{"GET /v1/chat", "HTTP 404", "Coze has no such path"},
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/chat", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "-i prints status line and headers",
			args:       []string{"api", "-i", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantStdout: "HTTP/1.1 200 OK\nContent-Length: " + strconv.Itoa(len(me)) + "\nContent-Type: application/json\nDate: DATE\nX-Tt-Logid: 20250601120000ABCDEF\n\n" + me,
			wantSeen:   []seenRequest{{Method: "GET", Path: "/v1/users/me", Auth: oldAccess, UserAgent: ua}},
		},
		{
			name:       "not logged in",
			args:       []string{"api", "/v1/users/me"},
			api:        okJSON(me),
			wantCode:   ExitLoginRequired,
			wantStderr: []string{"login required", "cozeauth login"},
		},
		{
			name:       "refresh refused",
			args:       []string{"api", "/v1/users/me"},
			token:      &auth.Token{AccessToken: oldAccess, RefreshToken: "someone-elses-rotated-token", Expiry: testNow.Add(-time.Minute), RefreshExpiry: testNow.Add(time.Hour)},
			api:        okJSON(me),
			wantCode:   ExitLoginRequired,
			wantStderr: []string{"coze refused the refresh token", "cozeauth login"},
		},
		{
			name:       "malformed -H",
			args:       []string{"api", "-H", "X-Custom yes", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{`-H "X-Custom yes" is not a header`},
		},
		{
			name:       "-H Authorization",
			args:       []string{"api", "-H", "Authorization: Bearer x", "/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"-H Authorization"},
		},
		{
			name:       "URL on another host",
			args:       []string{"api", "https://evil.example/v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"is not on the profile's API base"},
		},
		{
			name:       "path without slash",
			args:       []string{"api", "v1/users/me"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"like /v1/users/me"},
		},
		{
			name:       "no path",
			args:       []string{"api"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"api takes one PATH"},
		},
		{
			name:       "inline body that is not JSON",
			args:       []string{"api", "/v3/chat", "-d", "{bot_id:1}"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"not valid JSON"},
		},
		{
			name:       "missing body file",
			args:       []string{"api", "/v3/chat", "-d", "@/nonexistent/body.json"},
			token:      freshToken(),
			api:        okJSON(me),
			wantCode:   ExitUsage,
			wantStderr: []string{"could not read the request body"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFakeCoze(t, tc.api)
			dir := t.TempDir()
			storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: fake.srv.URL, ClientID: testClient}, tc.token)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "BASE", fake.srv.URL)
			}

			res := runCLI(t, dir, fake.srv.Client(), tc.stdin, args...)

			if res.code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr: %s", res.code, tc.wantCode, res.stderr)
			}
			stdout := res.stdout
			if i := strings.Index(stdout, "Date: "); i >= 0 {
				end := strings.IndexByte(stdout[i:], '\n')
				stdout = stdout[:i] + "Date: DATE" + stdout[i+end:]
			}
			if diff := cmp.Diff(tc.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, res.stderr)
				}
			}
			if tc.wantCode == ExitOK && res.stderr != "" {
				t.Errorf("stderr = %q, want nothing", res.stderr)
			}
			if diff := cmp.Diff(tc.wantSeen, fake.requests()); diff != "" {
				t.Errorf("requests Coze saw (-want +got):\n%s", diff)
			}
			assertNoSecrets(t, res)
			if tc.wantRefresh != "" {
				rec, err := auth.NewStore(dir).Load("default")
				if err != nil {
					t.Fatal(err)
				}
				if rec == nil || rec.RefreshToken != tc.wantRefresh {
					t.Errorf("refresh token on disk is not the rotated %q", tc.wantRefresh)
				}
			}
		})
	}
}

// TestAPISandbox logs in to the embedded fake Coze and calls it as docs/scripts.md
// shows, so `cozeauth api` meets the same server the end-to-end tests use.
func TestAPISandbox(t *testing.T) {
	t.Parallel()
	s := loginToSandbox(t)
	sb, dir, tokens := s.sb, s.dir, s.tokens

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{
			name:       "users/me",
			args:       []string{"api", "/v1/users/me"},
			wantStdout: []string{`"code":0`, sandbox.UserName},
		},
		{
			name:       "scripts page chat example",
			args:       []string{"api", "-X", "POST", "/v3/chat", "-d", `{"bot_id":"7340000000000000000","user_id":"me","stream":false,"additional_messages":[{"role":"user","content":"Hello","content_type":"text"}]}`},
			wantStdout: []string{`"status":"in_progress"`},
		},
		{
			name:       "scripts page workflow example",
			args:       []string{"api", "/v1/workflow/run", "-d", `{"workflow_id":"7350000000000000000"}`},
			wantStdout: []string{`"code":0`, `"execute_id":"`},
		},
		{
			name:       "scripts page workspaces example",
			args:       []string{"api", "-i", "/v1/workspaces?page_num=1&page_size=10"},
			wantStdout: []string{"HTTP/1.1 200 OK", "X-Tt-Logid: ", `"workspace_type":"personal"`},
		},
		{
			name:       "the seed's wrong path: reported, no refresh",
			args:       []string{"api", "-X", "POST", "/v1/workflows/run"},
			wantCode:   ExitFailure,
			wantStdout: []string{`"code":4004`},
			wantStderr: []string{"POST /v1/workflows/run", "HTTP 404", "Coze has no such path", "/v1/workflow/run, singular"},
		},
		{
			name:       "business error",
			args:       []string{"api", "/v3/chat", "-d", `{"user_id":"me"}`},
			wantCode:   ExitFailure,
			wantStdout: []string{"bot_id is required"},
			wantStderr: []string{"HTTP 200", "code 4000", "bot_id is required", "log id "},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runCLI(t, dir, &http.Client{}, "", tc.args...)
			if got.code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr: %s", got.code, tc.wantCode, got.stderr)
			}
			for _, s := range tc.wantStdout {
				if !strings.Contains(got.stdout, s) {
					t.Errorf("stdout does not hold %q:\n%s", s, got.stdout)
				}
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(got.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, got.stderr)
				}
			}
			for _, s := range tokens {
				if strings.Contains(got.stdout+got.stderr, s) {
					t.Errorf("output shows a token:\nstdout: %s\nstderr: %s", got.stdout, got.stderr)
				}
			}
		})
	}
	if st := sb.Stats(); st.Refreshes != 0 || st.RejectedRefreshes != 0 {
		t.Errorf("sandbox saw %d refreshes (%d rejected), want none: every answer above was one a refresh cannot change", st.Refreshes, st.RejectedRefreshes)
	}
}

// A refused $COZE_API_TOKEN is never refreshed and has no age: the hint
// says to check that token, not that a stored one was too new to refresh.
func TestAPIRefusedEnvToken(t *testing.T) {
	t.Parallel()
	fake := meCoze(t, map[string]string{})
	res := runCLIEnv(t, t.TempDir(), fake.srv.Client(), map[string]string{"COZE_API_TOKEN": "pat_revoked0123456789"},
		"api", "--api-base", fake.srv.URL, "/v1/users/me")
	if res.code != ExitFailure {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitFailure, res.stderr)
	}
	for _, want := range []string{"$COZE_API_TOKEN", "expired or been revoked"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	for _, bad := range []string{" old, so it was not refreshed", "pat_revoked"} {
		if strings.Contains(res.stderr, bad) {
			t.Errorf("stderr holds %q:\n%s", bad, res.stderr)
		}
	}
}
