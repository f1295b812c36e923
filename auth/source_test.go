package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// apiAndTokens serves the rotating token endpoint and /v1/users/me, which
// accepts only an access token that the token endpoint issued.
func apiAndTokens(t *testing.T, now func() time.Time) (*rotatingCoze, *httptest.Server) {
	coze := &rotatingCoze{live: map[string]bool{"r-a": true}, now: now}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == TokenPath {
			coze.ServeHTTP(w, r)
			return
		}
		authz := r.Header.Get("Authorization")
		if !strings.HasPrefix(authz, "Bearer czu_") {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"code":4100,"msg":"authentication is invalid"}`)
			return
		}
		fmt.Fprintf(w, `{"code":0,"data":{"user_name":%q}}`, strings.TrimPrefix(authz, "Bearer "))
	}))
	t.Cleanup(srv.Close)
	return coze, srv
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

func TestHTTPClientSharedByGoroutinesAcrossRotation(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(12 * time.Minute) } // inside the margin
	coze, srv := apiAndTokens(t, now)
	dir := t.TempDir()
	save(t, NewStore(dir), "default", testRecord("a"))

	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			c := newTestManager(t, dir, srv.URL, now).HTTPClient(context.Background())
			for range 3 {
				if body, err := get(c, srv.URL+"/v1/users/me"); err != nil || !strings.Contains(body, "czu_1") {
					t.Errorf("goroutine %d: %q, %v", i, body, err)
				}
			}
		})
	}
	wg.Wait()
	if coze.refreshs != 1 || coze.rejected != 0 {
		t.Errorf("refreshes %d, rejected %d; want 1 and 0", coze.refreshs, coze.rejected)
	}
}

// TestHTTPClientAcrossProcesses runs this test binary twice more as separate
// processes that share the store; each must use the token the other rotated.
func TestHTTPClientAcrossProcesses(t *testing.T) {
	if os.Getenv("COZEAUTH_TEST_CHILD") != "" {
		childProcess()
		return
	}
	now := func() time.Time { return time.Now() }
	coze, srv := apiAndTokens(t, now)
	dir := t.TempDir()
	rec := testRecord("a")
	rec.Expiry = time.Now().Add(time.Minute) // inside the margin: the first caller must refresh
	save(t, NewStore(dir), "default", rec)

	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHTTPClientAcrossProcesses$")
			cmd.Env = append(os.Environ(), "COZEAUTH_TEST_CHILD=1", "CHILD_DIR="+dir, "CHILD_API="+srv.URL)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("process %d: %v\n%s", i, err, out)
			}
		})
	}
	wg.Wait()
	if coze.refreshs != 1 || coze.rejected != 0 {
		t.Errorf("refreshes %d, rejected %d; want 1 and 0", coze.refreshs, coze.rejected)
	}
}

func childProcess() {
	m := &Manager{
		Config: Config{Profile: "default", Settings: Settings{ClientID: "1.app.coze", APIBase: os.Getenv("CHILD_API")}},
		Store:  NewStore(os.Getenv("CHILD_DIR")),
		HTTP:   &http.Client{},
	}
	if _, err := get(m.HTTPClient(context.Background()), os.Getenv("CHILD_API")+"/v1/users/me"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func TestOpenUnknownProfileSaysLogin(t *testing.T) {
	t.Setenv("COZEAUTH_CONFIG_DIR", t.TempDir())
	_, err := Open("nope")
	if !IsLoginRequired(err) || !strings.Contains(err.Error(), "cozeauth login --profile nope") {
		t.Fatalf("Open = %v, want login required naming the command", err)
	}
}

// Open resolves a profile as the command line does: the same environment
// over the same saved settings.
func TestOpenResolvesLikeTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("COZEAUTH_CONFIG_DIR", dir)
	t.Setenv("COZE_PROFILE", "work")
	t.Setenv("COZE_API_BASE", "")
	t.Setenv("COZE_REGION", "")
	t.Setenv("COZEAUTH_REFRESH_MARGIN", "90s")
	if err := NewStore(dir).SaveSettings("work", Settings{Region: coze.RegionCN, ClientID: "9.app.coze", Storage: "file"}); err != nil {
		t.Fatal(err)
	}
	m, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Profile: "work", Settings: Settings{Region: coze.RegionCN, ClientID: "9.app.coze", RedirectURI: DefaultRedirectURI, Storage: "file"}, RefreshMargin: 90 * time.Second}
	if m.Config != want {
		t.Errorf("Open config = %+v, want %+v", m.Config, want)
	}
	if _, err := Open("nobody"); !IsLoginRequired(err) {
		t.Errorf("Open of a missing profile = %v, want login required", err)
	}
}
