package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// runCLIEnv is runCLI with more environment variables.
func runCLIEnv(t *testing.T, dir string, hc *http.Client, env map[string]string, args ...string) runResult {
	t.Helper()
	return runCLIWith(t, dir, hc, "", env, args...)
}

// meCoze answers /v1/users/me: Coze's user for tokens in users, 401 with
// code 4100 for any other.
func meCoze(t *testing.T, users map[string]string) *fakeCoze {
	return newFakeCoze(t, func(w http.ResponseWriter, r *http.Request, token string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set(coze.LogIDHeader, "20250601120000testlogid")
		if r.URL.Path != "/v1/users/me" {
			http.NotFound(w, r)
			return
		}
		name, ok := users[token]
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"code":4100,"msg":"authentication is invalid"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"code": 0, "msg": "", "data": map[string]string{"user_id": "7400000000000000099", "user_name": name, "nick_name": "Nick " + name}})
	})
}

func statusJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	return v
}

func TestStatusOffline(t *testing.T) {
	t.Parallel()
	coze := meCoze(t, map[string]string{oldAccess: "me"})
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: coze.srv.URL}, freshToken())

	res := runCLIEnv(t, dir, nil, nil, "status")

	if res.code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"Logged in: yes", "Token source: the token file", "Refresh expires:", "(in 29 days)"} {
		if !hasWords(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if n := len(coze.requests()); n != 0 || coze.refreshN != 0 {
		t.Errorf("status without --check made %d API calls and %d refreshes, want none", n, coze.refreshN)
	}
	assertNoSecrets(t, res)
}

// A profile never set up says how to set it up, in status and token alike,
// and both exit 4.
func TestStatusNotSetUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		out  func(runResult) string
		want string
	}{
		{[]string{"status"}, func(r runResult) string { return r.stdout },
			"Logged in: no, not set up: run `cozeauth` or `cozeauth login --client-id …`"},
		{[]string{"status", "--profile", "work"}, func(r runResult) string { return r.stdout },
			"not set up: run `cozeauth --profile work` or `cozeauth login --profile work --client-id …`"},
		{[]string{"token"}, func(r runResult) string { return r.stderr },
			"cozeauth: profile \"default\" is not set up: run `cozeauth` or `cozeauth login --client-id …`"},
		{[]string{"status", "--all"}, func(r runResult) string { return r.stdout },
			"Profile \"default\": not set up: run `cozeauth` or `cozeauth login --client-id …`"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runCLIEnv(t, t.TempDir(), nil, nil, tt.args...)
			if res.code != ExitLoginRequired {
				t.Errorf("exit %d, want 4", res.code)
			}
			if !hasWords(tt.out(res), tt.want) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tt.want, res.stdout, res.stderr)
			}
			if strings.Contains(res.stdout, "App:              \n") || strings.Contains(res.stdout, "pkce \n") {
				t.Errorf("a blank client id is shown:\n%s", res.stdout)
			}
		})
	}
}

func TestStatusCheck(t *testing.T) {
	t.Parallel()
	const envToken = "pat_envToken0123456789abcdef"
	tests := []struct {
		name     string
		setup    func(t *testing.T, dir, api string)
		env      map[string]string
		args     []string
		wantCode int
		// want maps JSON paths (dot-separated) to values.
		want     map[string]any
		wantAuth string // the token Coze saw
	}{
		{
			name: "accepted",
			setup: func(t *testing.T, dir, api string) {
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, freshToken())
			},
			wantCode: ExitOK,
			want:     map[string]any{"source": "store", "state": "logged_in", "check.result": "ok", "check.user.user_name": "me", "user.nick_name": "Nick me"},
			wantAuth: oldAccess,
		},
		{
			// A refused access token with a live refresh token: one
			// refresh under the lock, and the new token is checked.
			name: "refused, then refreshed",
			setup: func(t *testing.T, dir, api string) {
				tok := freshToken()
				tok.AccessToken = "czu_revokedAccess0123456789abcdef"
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, tok)
			},
			wantCode: ExitOK,
			want:     map[string]any{"check.result": "ok", "check.refreshed": true, "check.user.user_name": "new"},
			wantAuth: newAccess,
		},
		{
			name: "refused, and the refresh refused too",
			setup: func(t *testing.T, dir, api string) {
				tok := freshToken()
				tok.AccessToken, tok.RefreshToken = "czu_revokedAccess0123456789abcdef", "spentRefreshToken0123456789"
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, tok)
			},
			wantCode: ExitLoginRequired,
			want:     map[string]any{"check.result": "login_required", "check.refreshed": nil},
			wantAuth: "czu_revokedAccess0123456789abcdef",
		},
		{
			name:     "a refused $COZE_API_TOKEN is not refreshed",
			setup:    func(*testing.T, string, string) {},
			env:      map[string]string{"COZE_API_TOKEN": "pat_unknownToken0123456789abcdef"},
			args:     []string{"--api-base", "API"},
			wantCode: ExitLoginRequired,
			want:     map[string]any{"check.result": "refused", "check.code": float64(4100), "check.http_status": float64(401), "check.logid": "20250601120000testlogid"},
			wantAuth: "pat_unknownToken0123456789abcdef",
		},
		{
			name: "refresh first, then ask",
			setup: func(t *testing.T, dir, api string) {
				tok := freshToken()
				tok.Expiry = testNow.Add(time.Minute) // inside the margin
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, tok)
			},
			wantCode: ExitOK,
			want:     map[string]any{"check.result": "ok", "check.user.user_name": "new"},
			wantAuth: newAccess,
		},
		{
			name: "refresh refused",
			setup: func(t *testing.T, dir, api string) {
				tok := freshToken()
				tok.Expiry, tok.RefreshToken = testNow.Add(-time.Minute), "spentRefreshToken0123456789"
				storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, tok)
			},
			wantCode: ExitLoginRequired,
			want:     map[string]any{"check.result": "login_required"},
		},
		{
			name:     "COZE_API_TOKEN on a profile never set up",
			setup:    func(*testing.T, string, string) {},
			env:      map[string]string{"COZE_API_TOKEN": envToken},
			args:     []string{"--api-base", "API"},
			wantCode: ExitOK,
			// No app: a static token names none (the text says "App: -").
			want:     map[string]any{"source": "env", "logged_in": true, "check.result": "ok", "check.user.user_name": "pat", "app_type": "", "client_id": ""},
			wantAuth: envToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			coze := meCoze(t, map[string]string{oldAccess: "me", newAccess: "new", envToken: "pat"})
			dir := t.TempDir()
			tt.setup(t, dir, coze.srv.URL)
			args := []string{"status", "--check", "--json"}
			for _, a := range tt.args {
				args = append(args, strings.ReplaceAll(a, "API", coze.srv.URL))
			}

			res := runCLIEnv(t, dir, nil, tt.env, args...)

			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstderr: %s", res.code, tt.wantCode, res.stderr)
			}
			got := statusJSON(t, res.stdout)
			for path, want := range tt.want {
				if diff := cmp.Diff(want, lookup(got, path)); diff != "" {
					t.Errorf("%s (-want +got):\n%s\n%s", path, diff, res.stdout)
				}
			}
			var sawAuth string
			for _, r := range coze.requests() {
				if r.Path == "/v1/users/me" {
					sawAuth = r.Auth
				}
			}
			if sawAuth != tt.wantAuth {
				t.Errorf("Coze was asked about %q, want %q", sawAuth, tt.wantAuth)
			}
			assertNoSecrets(t, res)
			if strings.Contains(res.stdout, envToken) {
				t.Errorf("stdout shows $COZE_API_TOKEN:\n%s", res.stdout)
			}
		})
	}
}

// --check that cannot reach Coze exits 1 and says so.
func TestStatusCheckUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	api := srv.URL
	srv.Close() // nothing listens there now
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: api}, freshToken())

	res := runCLIEnv(t, dir, nil, nil, "status", "--check")

	if res.code != ExitFailure {
		t.Errorf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !hasWords(res.stdout, "Check: could not reach Coze: ") {
		t.Errorf("stdout does not say Coze was unreachable:\n%s", res.stdout)
	}
}

// --check with an API base other than the one that issued the tokens is a
// usage error naming both, and nothing is sent to either.
func TestStatusCheckOtherIssuer(t *testing.T) {
	t.Parallel()
	coze := meCoze(t, map[string]string{oldAccess: "me"})
	other := meCoze(t, map[string]string{oldAccess: "me"})
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: coze.srv.URL}, freshToken())

	res := runCLIEnv(t, dir, nil, map[string]string{"COZE_API_BASE": other.srv.URL}, "status", "--check")

	if res.code != ExitUsage {
		t.Errorf("exit %d, want 2\n%s%s", res.code, res.stdout, res.stderr)
	}
	// Once: in the status's "Logged in" row, not again as the error.
	out := res.stdout + res.stderr
	if !strings.Contains(out, coze.srv.URL) || !strings.Contains(out, other.srv.URL) {
		t.Errorf("the output does not name both API bases:\n%s%s", res.stdout, res.stderr)
	}
	if n := strings.Count(out, "nothing was sent"); n != 1 {
		t.Errorf("the mismatch is said %d times, want once:\n%s%s", n, res.stdout, res.stderr)
	}
	for _, f := range []*fakeCoze{coze, other} {
		if n := len(f.requests()); n != 0 || f.refreshN != 0 {
			t.Errorf("%d API calls and %d refreshes were made, want none", n, f.refreshN)
		}
	}
}

// --all: a row per profile in the width given, the checked account, and a
// sentence for each profile that needs something.
func TestStatusAll(t *testing.T) {
	t.Parallel()
	coze := meCoze(t, map[string]string{oldAccess: "me"})
	dir := t.TempDir()
	twoProfiles(t, dir)
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient, APIBase: coze.srv.URL}, freshToken())

	for _, width := range []int{60, 80, 120} {
		res := runCLIEnv(t, dir, nil, map[string]string{"COLUMNS": itoa(width)}, "status", "--all", "--check")

		if res.code != ExitLoginRequired {
			t.Errorf("width %d: exit %d, want 4 (work needs a login)", width, res.code)
		}
		lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > width {
				t.Errorf("width %d: a line of %d columns: %q", width, w, l)
			}
		}
		if len(lines) < 4 || !strings.HasPrefix(lines[1], "default") || !strings.HasPrefix(lines[2], "work") {
			t.Fatalf("width %d: want a header and a row per profile:\n%s", width, res.stdout)
		}
		if width >= 120 && (!strings.Contains(lines[1], "Nick me (@me)") || !strings.HasSuffix(lines[1], "ok")) {
			t.Errorf("the default row lacks the checked account or result: %q", lines[1])
		}
		if !strings.Contains(res.stdout, "Profile \"work\": the refresh token expired 24h ago") {
			t.Errorf("width %d: no sentence for work:\n%s", width, res.stdout)
		}
	}
}

// JSON timestamps are RFC 3339 in whole seconds, UTC, in every command.
func TestJSONTimestampsWholeSeconds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := freshToken()
	tok.IssuedAt = testNow.Add(-time.Hour + 123456789*time.Nanosecond).In(time.FixedZone("CST", 8*3600))
	tok.Expiry = testNow.Add(10*time.Minute + 500*time.Millisecond)
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient}, tok)

	for _, args := range [][]string{{"status", "--json"}, {"status", "--all", "--json"}, {"profiles", "--json"}} {
		res := runCLIEnv(t, dir, nil, nil, args...)
		for _, want := range []string{`"access_token_expires_at": "2025-06-01T12:10:00Z"`} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("%v: lacks %s:\n%s", args, want, res.stdout)
			}
		}
		if strings.Contains(args[0], "status") && !strings.Contains(res.stdout, `"issued_at": "2025-06-01T11:00:00Z"`) {
			t.Errorf("%v: issued_at not in whole seconds UTC:\n%s", args, res.stdout)
		}
		if strings.Contains(res.stdout, ".123") || strings.Contains(res.stdout, ".5") || strings.Contains(res.stdout, "+08:00") {
			t.Errorf("%v: a fraction of a second or an offset:\n%s", args, res.stdout)
		}
	}
}

// lookup follows a dot-separated path through decoded JSON objects.
func lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

// hasWords says whether out contains want, with runs of spaces made one in
// both.
func hasWords(out, want string) bool {
	squeeze := func(s string) string {
		for strings.Contains(s, "  ") {
			s = strings.ReplaceAll(s, "  ", " ")
		}
		return s
	}
	return strings.Contains(squeeze(out), squeeze(want))
}

// status, profiles and the dashboard count days alike: a refresh token
// with 29 days and 13 hours left has 30 days left everywhere.
func TestDaysLeftAgree(t *testing.T) {
	t.Parallel()
	exp := testNow.Add(29*24*time.Hour + 13*time.Hour)
	if got := timefmt.Relative(exp, testNow); got != "in 30 days" {
		t.Errorf("status says %q, want in 30 days", got)
	}
	if got := timeLeft(&exp, testNow); got != "30 days left" {
		t.Errorf("the tables say %q, want 30 days left", got)
	}
}

// With $COZE_API_TOKEN set, status --all shows it as the current profile's
// token even when that profile is not in the store.
func TestStatusAllShowsTheEnvironmentToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storeTokens(t, dir, "work", auth.Settings{ClientID: testClient}, freshToken())

	res := runCLIEnv(t, dir, nil, map[string]string{"COZE_API_TOKEN": "pat_envToken0123456789abcdef"}, "status", "--all", "--json")

	if res.code != ExitOK {
		t.Errorf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, res.stdout)
	}
	var got [][2]any
	for _, p := range list {
		got = append(got, [2]any{p["profile"], p["source"]})
	}
	if diff := cmp.Diff([][2]any{{"default", "env"}, {"work", "store"}}, got); diff != "" {
		t.Errorf("profiles and sources (-want +got):\n%s", diff)
	}
}

// A refresh Coze refused, remembered by the store, shows as refused with
// what Coze said, in the table and the JSON, and exits 4.
func TestStatusRefusedRefresh(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{ClientID: testClient}, nil)
	l, err := auth.NewStore(dir).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok := freshToken()
	tok.Expiry = testNow.Add(-time.Minute)
	err = l.Save("default", &auth.Record{Token: *tok, Failure: &auth.Failure{At: testNow.Add(-time.Hour), Refused: true, Reason: "coze refused the refresh token", Message: "invalid_grant", Status: 400}})
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}

	res := runCLIEnv(t, dir, nil, nil, "status", "--json")
	if res.code != ExitLoginRequired {
		t.Errorf("exit %d, want 4", res.code)
	}
	got := statusJSON(t, res.stdout)
	if got["state"] != "refused" || !strings.Contains(fmt.Sprint(got["problem"]), "coze refused the refresh token: invalid_grant") {
		t.Errorf("state %v, problem %v", got["state"], got["problem"])
	}
	res = runCLIEnv(t, dir, nil, nil, "status", "--all")
	if !hasWords(res.stdout, `Profile "default": coze refused the refresh token: invalid_grant`) {
		t.Errorf("the table does not say the refresh was refused:\n%s", res.stdout)
	}
}

// status --check with another API base than the tokens' issuer is a usage
// error, as for token, refresh and api, and nothing is sent anywhere.
func TestStatusCheckIssuerMismatch(t *testing.T) {
	t.Parallel()
	issuer := meCoze(t, map[string]string{oldAccess: "ada"})
	other := meCoze(t, map[string]string{oldAccess: "ada"})
	dir := t.TempDir()
	storeTokens(t, dir, "default", auth.Settings{Region: coze.RegionCOM, APIBase: issuer.srv.URL, ClientID: testClient}, freshToken())
	res := runCLIEnv(t, dir, other.srv.Client(), nil, "status", "--check", "--api-base", other.srv.URL)
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d (usage)\n%s%s", res.code, ExitUsage, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout+res.stderr, issuer.srv.URL) || !strings.Contains(res.stdout+res.stderr, other.srv.URL) {
		t.Errorf("the output does not name both API bases:\n%s%s", res.stdout, res.stderr)
	}
	if n := len(issuer.requests()) + len(other.requests()); n != 0 {
		t.Errorf("%d requests were sent, want none", n)
	}
}

// A $COZE_API_TOKEN that cannot go in a header (a pasted newline, a space)
// is a usage error that names the variable, before anything is printed or
// sent; it was printed as it was, or reported as "could not reach coze".
func TestEnvTokenMustBeOneToken(t *testing.T) {
	t.Parallel()
	fake := meCoze(t, map[string]string{})
	for _, cmd := range [][]string{{"token"}, {"api", "/v1/users/me"}, {"status", "--check"}} {
		res := runCLIEnv(t, t.TempDir(), fake.srv.Client(), map[string]string{"COZE_API_TOKEN": "pat_first\npat_second"},
			append(cmd, "--api-base", fake.srv.URL)...)
		if res.code != ExitUsage || res.stdout != "" || !strings.Contains(res.stderr, "$COZE_API_TOKEN") || strings.Contains(res.stderr, "pat_first") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error naming the variable, not its value", cmd, res.code, res.stdout, res.stderr)
		}
	}
	if n := len(fake.requests()); n != 0 {
		t.Errorf("%d requests were sent, want none", n)
	}
}

// A jwt profile signs each new token with its key file: once that file is
// gone, offline `status` says so (state key_missing, the file and the login
// that fixes it, exit 4) instead of "logged in" until the next mint fails.
func TestStatusJWTKeyFileMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := writeJWTKey(t, dir, "private_key.pem")
	set := auth.Settings{ClientID: sandbox.JWTClientID, AppType: auth.AppJWT,
		JWT: &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID, PrivateKeyFile: key}}
	storeTokens(t, dir, "default", set, &auth.Token{AccessToken: oldAccess, Expiry: testNow.Add(10 * time.Minute), IssuedAt: testNow.Add(-5 * time.Minute)})
	state := func() (int, profileJSON) {
		t.Helper()
		res := runCLIEnv(t, dir, nil, nil, "status", "--json")
		var p profileJSON
		if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
			t.Fatalf("status --json: %v\n%s%s", err, res.stdout, res.stderr)
		}
		return res.code, p
	}
	if code, p := state(); code != 0 || p.State != "logged_in" || !p.LoggedIn {
		t.Fatalf("with the key file: exit %d, %+v", code, p)
	}
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	code, p := state()
	if code != ExitLoginRequired || p.State != "key_missing" || p.LoggedIn {
		t.Errorf("without the key file: exit %d state %q logged_in %v, want %d key_missing false", code, p.State, p.LoggedIn, ExitLoginRequired)
	}
	for _, w := range []string{key, "cozeauth login --private-key-file"} {
		if !strings.Contains(p.Problem, w) {
			t.Errorf("problem %q lacks %q", p.Problem, w)
		}
	}
	res := runCLIEnv(t, dir, nil, nil, "status")
	if res.code != ExitLoginRequired || !strings.Contains(res.stdout+res.stderr, key) {
		t.Errorf("status: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// profiles agrees with status.
	res = runCLIEnv(t, dir, nil, nil, "profiles", "--json")
	var list []profileJSON
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil || len(list) != 1 || list[0].LoggedIn {
		t.Errorf("profiles --json without the key file: %v\n%s", err, res.stdout)
	}
}

type profileJSON struct {
	State    string `json:"state"`
	Problem  string `json:"problem"`
	LoggedIn bool   `json:"logged_in"`
}
