package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// rotatingCoze is a token endpoint that rotates refresh tokens and rejects a
// reused one, as Coze does.
type rotatingCoze struct {
	mu       sync.Mutex
	live     map[string]bool
	n        int
	refreshs int
	rejected int
	failNext []int  // statuses to answer before behaving
	onRefuse func() // called (unlocked) when a spent refresh token is refused
	now      func() time.Time
}

func newRotatingCoze(t *testing.T, now func() time.Time, initial string) (*rotatingCoze, *httptest.Server) {
	c := &rotatingCoze{live: map[string]bool{initial: true}, now: now}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *rotatingCoze) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", c.now().UTC().Format(http.TimeFormat))
	var body map[string]string
	json.NewDecoder(r.Body).Decode(&body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.failNext) > 0 {
		status := c.failNext[0]
		c.failNext = c.failNext[1:]
		w.WriteHeader(status)
		fmt.Fprint(w, `{"error":"internal_error","error_code":"internal_error","error_message":"try later"}`)
		return
	}
	if !c.live[body["refresh_token"]] {
		c.rejected++
		if c.onRefuse != nil {
			c.mu.Unlock()
			c.onRefuse()
			c.mu.Lock()
		}
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_request","error_code":"invalid_request","error_message":"refresh token is invalid"}`)
		return
	}
	delete(c.live, body["refresh_token"])
	c.n++
	c.refreshs++
	next := fmt.Sprintf("r%d", c.n)
	c.live[next] = true
	fmt.Fprintf(w, `{"access_token":"czu_%d","expires_in":%d,"refresh_token":%q}`, c.n, c.now().Add(15*time.Minute).Unix(), next)
}

func newTestManager(t *testing.T, dir, api string, now func() time.Time) *Manager {
	return &Manager{
		Config: Config{Profile: "default", Settings: Settings{ClientID: "1.app.coze", APIBase: api}},
		Store:  NewStore(dir),
		HTTP:   &http.Client{},
		Now:    now,
		Sleep:  func(context.Context, time.Duration) error { return nil },
	}
}

func TestManagerTokenValidMakesNoCall(t *testing.T) {
	now := func() time.Time { return fixedNow }
	coze, srv := newRotatingCoze(t, now, "r-a")
	m := newTestManager(t, t.TempDir(), srv.URL, now)
	save(t, m.Store, "default", testRecord("a")) // valid for 15m, margin 5m
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "a" {
		t.Fatalf("Token = %v, %v", rec, err)
	}
	if coze.refreshs != 0 {
		t.Errorf("a valid token caused %d refreshes", coze.refreshs)
	}
}

func TestManagerRefreshesInsideMarginAndPersistsRotation(t *testing.T) {
	clock := fixedNow.Add(11 * time.Minute) // 4 minutes left, inside the 5m margin
	now := func() time.Time { return clock }
	coze, srv := newRotatingCoze(t, now, "r-a")
	m := newTestManager(t, t.TempDir(), srv.URL, now)
	save(t, m.Store, "default", testRecord("a"))

	rec, err := m.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec.AccessToken != "czu_1" || rec.RefreshToken != "r1" {
		t.Fatalf("got %s/%s, want czu_1/r1", rec.AccessToken, rec.RefreshToken)
	}
	onDisk, _ := m.Store.Load("default")
	if onDisk.RefreshToken != "r1" {
		t.Errorf("rotated refresh token not on disk: %q", onDisk.RefreshToken)
	}
	// A second forced refresh uses the rotated token, not the first one.
	if _, err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if coze.rejected != 0 || coze.refreshs != 2 {
		t.Errorf("refreshes %d rejected %d, want 2 and 0", coze.refreshs, coze.rejected)
	}
}

// Many processes (here: managers with their own store handles and locks)
// asking at once after the token entered the margin: one refresh, nobody
// uses a stale refresh token, everyone gets the new access token.
func TestManagerConcurrentRefreshIsSafe(t *testing.T) {
	clock := fixedNow.Add(14 * time.Minute)
	now := func() time.Time { return clock }
	coze, srv := newRotatingCoze(t, now, "r-a")
	dir := t.TempDir()
	save(t, NewStore(dir), "default", testRecord("a"))

	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Go(func() {
			rec, err := newTestManager(t, dir, srv.URL, now).Token(context.Background())
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
				return
			}
			got[i] = rec.AccessToken
		})
	}
	wg.Wait()
	if coze.refreshs != 1 || coze.rejected != 0 {
		t.Errorf("refreshes %d rejected %d, want 1 and 0", coze.refreshs, coze.rejected)
	}
	for i, tok := range got {
		if tok != "czu_1" {
			t.Errorf("worker %d got %q, want czu_1", i, tok)
		}
	}
}

func TestManagerRefreshErrors(t *testing.T) {
	tests := []struct {
		name          string
		failNext      []int
		stored        string // refresh token on disk
		wantLogin     bool
		wantErrSubstr string
		wantRefreshed bool
		wantStale     bool          // the old, still valid access token comes back
		clock         time.Duration // since the token was issued; default 20m (expired)
	}{
		{name: "5xx twice then success is retried", failNext: []int{502, 503}, stored: "r-a", wantRefreshed: true},
		{name: "5xx three times gives up but keeps the token", failNext: []int{500, 500, 500}, stored: "r-a", wantErrSubstr: "tried 3 times"},
		{name: "5xx three times inside the margin hands out the still-valid token", failNext: []int{500, 500, 500}, stored: "r-a", clock: 12 * time.Minute, wantStale: true},
		{name: "4xx means login required", stored: "r-stale", wantLogin: true, wantErrSubstr: "refresh token is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.clock == 0 {
				tt.clock = 20 * time.Minute
			}
			now := func() time.Time { return fixedNow.Add(tt.clock) }
			coze, srv := newRotatingCoze(t, now, "r-a")
			coze.failNext = tt.failNext
			m := newTestManager(t, t.TempDir(), srv.URL, now)
			rec := testRecord("a")
			rec.RefreshToken = tt.stored
			save(t, m.Store, "default", rec)

			var warned []string
			m.Store.Warn = func(s string) { warned = append(warned, s) }
			got, err := m.Token(context.Background())
			if tt.wantStale {
				if err != nil || got.AccessToken != "a" || len(warned) != 1 || !strings.Contains(warned[0], "could not refresh") {
					t.Fatalf("Token = %v, %v, warnings %q; want the old token with a warning", got, err, warned)
				}
				return
			}
			if tt.wantRefreshed {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSubstr) || IsLoginRequired(err) != tt.wantLogin {
				t.Fatalf("error = %v; want login-required=%v containing %q", err, tt.wantLogin, tt.wantErrSubstr)
			}
			if after, _ := m.Store.Load("default"); after == nil || after.RefreshToken != tt.stored {
				t.Errorf("a failed refresh changed the stored token: %+v", after)
			}
		})
	}
}

func TestManagerLoginRequired(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(31 * 24 * time.Hour) }
	m := newTestManager(t, t.TempDir(), "http://127.0.0.1:1", now)
	if _, err := m.Token(context.Background()); !IsLoginRequired(err) {
		t.Errorf("no token: error = %v, want login required", err)
	}
	save(t, m.Store, "default", testRecord("a"))
	_, err := m.Token(context.Background())
	if !IsLoginRequired(err) || !strings.Contains(err.Error(), "30 days") {
		t.Errorf("expired refresh token: error = %v, want login required naming the 30 days", err)
	}
	var lr *LoginRequiredError
	if errors.As(err, &lr); !strings.Contains(err.Error(), "cozeauth login") {
		t.Errorf("error %q does not say what to run", err)
	}
}

func TestManagerStatusAndLogout(t *testing.T) {
	now := func() time.Time { return fixedNow }
	m := newTestManager(t, t.TempDir(), "http://api.test", now)
	st, err := m.Status()
	if err != nil || st.LoggedIn {
		t.Fatalf("empty store: %+v, %v", st, err)
	}
	rec := testRecord("czu_abcdefghijklmnop")
	save(t, m.Store, "default", rec)
	st, _ = m.Status()
	if !st.LoggedIn || st.AccessToken != "czu_…mnop" || !st.AccessExpiresAt.Equal(rec.Expiry) || st.AppType != AppPKCE {
		t.Errorf("status = %+v", st)
	}
	if had, err := m.Logout(context.Background()); !had || err != nil {
		t.Fatalf("Logout = %v, %v", had, err)
	}
	if r, _ := m.Store.Load("default"); r != nil {
		t.Error("logout left the token")
	}
}

// A caller that gives up while Coze is answering a refresh must not lose the
// refresh token Coze has already rotated.
func TestManagerRefreshSurvivesCallerCancel(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started) // Coze has rotated by now
		<-release
		fmt.Fprintf(w, `{"access_token":"czu_new","expires_in":%d,"refresh_token":"r-new"}`, fixedNow.Add(time.Hour).Unix())
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, t.TempDir(), srv.URL, func() time.Time { return fixedNow })
	save(t, m.Store, "default", testRecord("a"))

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
		close(release)
	}()
	m.Refresh(ctx)
	if rec, _ := m.Store.Load("default"); rec == nil || rec.RefreshToken != "r-new" {
		t.Fatalf("after a canceled refresh the store holds %+v, want the rotated r-new", rec)
	}
}

func TestManagerRefreshOddAnswers(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantRefresh string // on disk afterwards
		wantCalls   int
		wantLogin   bool
	}{
		{"an odd field does not cost the rotated token", `{"access_token":"czu_n","refresh_token":"r-n","expires_in":"soon","token_type":1}`, "r-n", 1, false},
		{"an error body on 200 means login", `{"error_code":"invalid_request","error_message":"refresh token used"}`, "r-a", 1, true},
		{"a 200 without a token is not retried", `{"hello":"world"}`, "r-a", 1, false},
		{"a 200 that is not JSON is not retried and not quoted", `access_token=czu_secret`, "r-a", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls++
				fmt.Fprint(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			m := newTestManager(t, t.TempDir(), srv.URL, func() time.Time { return fixedNow })
			save(t, m.Store, "default", testRecord("a"))
			_, err := m.Refresh(context.Background())
			if IsLoginRequired(err) != tt.wantLogin || calls != tt.wantCalls {
				t.Errorf("err = %v (login required %v), calls %d; want login %v, calls %d", err, IsLoginRequired(err), calls, tt.wantLogin, tt.wantCalls)
			}
			if err != nil && strings.Contains(err.Error(), "czu_secret") {
				t.Errorf("the error quotes the body: %v", err)
			}
			if rec, _ := m.Store.Load("default"); rec.RefreshToken != tt.wantRefresh {
				t.Errorf("refresh token on disk = %q, want %q", rec.RefreshToken, tt.wantRefresh)
			}
		})
	}
}

// While the token still works, a process does not queue behind another
// process's slow refresh.
func TestManagerDoesNotQueueWhileTokenUsable(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(12 * time.Minute) } // 3m left: inside the margin, still usable
	m := newTestManager(t, t.TempDir(), "http://127.0.0.1:1", now)
	m.lockWait = 50 * time.Millisecond
	save(t, m.Store, "default", testRecord("a"))
	var warned []string
	m.Store.Warn = func(s string) { warned = append(warned, s) }
	held, err := NewStore(m.Store.Dir).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec, err := m.Token(ctx) // waits lockWaitWhileUsable, then uses the token
	if err != nil || rec.AccessToken != "a" || len(warned) != 1 {
		t.Fatalf("Token = %v, %v, warnings %q", rec, err, warned)
	}
}

// A program about to exit can wait for a refresh under way, through any of
// the Managers that share its Pending.
func TestManagerCloseWaitsForRefresh(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		fmt.Fprintf(w, `{"access_token":"czu_new","expires_in":%d,"refresh_token":"r-new"}`, fixedNow.Add(time.Hour).Unix())
	}))
	t.Cleanup(srv.Close)
	var pending Pending
	dir := t.TempDir()
	m := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow })
	other := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow })
	m.Pending, other.Pending = &pending, &pending
	save(t, m.Store, "default", testRecord("a"))

	ctx, cancel := context.WithCancel(context.Background())
	go m.Refresh(ctx)
	<-started
	cancel() // the caller gives up; the refresh must not
	if !pending.Busy() {
		t.Fatal("no work pending while the refresh was under way")
	}
	closed := make(chan error)
	go func() { closed <- other.Close(context.Background()) }()
	close(release)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if rec, _ := m.Store.Load("default"); rec.RefreshToken != "r-new" {
		t.Errorf("after Close the store holds %q, want r-new", rec.RefreshToken)
	}
}

// A web profile refreshes with the secret its login stored (Client's doc:
// the given secret overrides the configured one), not with whatever
// $COZE_CLIENT_SECRET this run has, which may be another app's: Coze would
// refuse it and the profile would be remembered as refused.
func TestRefreshUsesTheStoredSecret(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		fmt.Fprintf(w, `{"access_token":"czu_new","refresh_token":"r-new","expires_in":%d}`, fixedNow.Add(15*time.Minute).Unix())
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return fixedNow })
	m.Config.Settings.AppType = AppWeb
	rec := testRecord("czu_old")
	rec.ClientSecret = "secret-of-this-app"
	save(t, m.Store, "default", rec)
	m.Config.ClientSecret = "secret-of-another-app"
	if _, err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer secret-of-this-app" {
		t.Errorf("refresh sent Authorization %q, want the stored secret", auth)
	}
}
