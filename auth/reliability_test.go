package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/auth/internal/filestore"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/input"
)

// The tests here reproduce the rows of issue 10's table, each against an
// httptest server playing Coze's token endpoint.

// answerPair answers a grant with a new pair.
func answerPair(w http.ResponseWriter, access, refresh string) {
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"refresh_token":%q}`, access, fixedNow.Add(15*time.Minute).Unix(), refresh)
}

// Row 1: the config directory cannot take the new file after Coze rotated
// the refresh token. The pair goes to a rescue file, the access token is
// handed out, and the next command using the config directory imports it.
func TestRefreshThatCannotBeSavedIsRescued(t *testing.T) {
	dir := privateDir(t)
	var broke func()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		broke() // the disk fills, the mount turns read-only: the write now fails
		answerPair(w, "czu_new", "r_new")
	}))
	t.Cleanup(srv.Close)
	clock := fixedNow.Add(12 * time.Minute) // inside the margin
	m := newTestManager(t, dir, srv.URL, func() time.Time { return clock })
	m.Store.RescueDirs = []string{filepath.Join(t.TempDir(), "state", "rescue")}
	var warnings []string
	m.Store.Warn = func(s string) { warnings = append(warnings, s) }
	save(t, m.Store, "default", testRecord("czu_old"))
	broke = func() { // a directory where the file must go: no rename can land
		os.Remove(m.Store.Path())
		os.Mkdir(m.Store.Path(), 0o700)
	}

	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "czu_new" {
		t.Fatalf("Token = %v, %v; want the new access token", rec, err)
	}
	rescue := filepath.Join(m.Store.RescueDirs[0], m.Store.rescueName())
	if len(warnings) != 1 || !strings.Contains(warnings[0], rescue) || !strings.Contains(warnings[0], "Fix the directory") {
		t.Errorf("warnings = %q, want one naming %s and what to fix", warnings, rescue)
	}
	for path, want := range map[string]os.FileMode{rescue: 0o600, filepath.Dir(rescue): 0o700} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v, want mode %04o", path, err, want)
		}
	}

	// The directory is fixed; the next command reads the rescued pair and
	// its first write imports it.
	os.Remove(m.Store.Path())
	next := NewStore(dir)
	next.RescueDirs = m.Store.RescueDirs
	if got, err := next.Load("default"); err != nil || got.RefreshToken != "r_new" {
		t.Fatalf("next command loads %v, %v; want the rescued r_new", got, err)
	}
	l, err := next.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if _, err := os.Stat(rescue); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rescue file still there after the import: %v", err)
	}
	if got, _ := next.readTokenStore(next.Path()); got == nil || got.Profiles["default"].RefreshToken != "r_new" {
		t.Errorf("tokens.json after the import: %+v", got)
	}
}

// Row 1, the worst case: neither the config directory nor any rescue
// directory takes the pair. The access token still comes back, in the error.
func TestRefreshThatCannotBeKeptAnywhereReturnsTheAccessToken(t *testing.T) {
	dir := privateDir(t)
	var broke func()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		broke()
		answerPair(w, "czu_new", "r_new")
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, nil, 0o600)
	m.Store.RescueDirs = []string{filepath.Join(notADir, "rescue")}
	save(t, m.Store, "default", testRecord("czu_old"))
	broke = func() { os.Remove(m.Store.Path()); os.Mkdir(m.Store.Path(), 0o700) }

	_, err := m.Token(context.Background())
	var unsaved *UnsavedError
	if !errors.As(err, &unsaved) || unsaved.Record.AccessToken != "czu_new" {
		t.Fatalf("Token error = %v, want an UnsavedError carrying czu_new", err)
	}
	if !strings.Contains(err.Error(), "cozeauth login") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

// Row 1, before anything is sent: a store that cannot take a file means no
// refresh at all; a token that still works is handed out meanwhile.
func TestRefreshIsNotSentWhenTheStoreCannotTakeIt(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory; the end-to-end test uses a read-only mount instead")
	}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		answerPair(w, "czu_new", "r_new")
	}))
	t.Cleanup(srv.Close)
	dir := privateDir(t)
	m := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow.Add(13 * time.Minute) })
	save(t, m.Store, "default", testRecord("czu_old"))
	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czu_old" {
		t.Errorf("Token = %v, %v; want the current token", rec, err)
	}
	_, err := m.Refresh(context.Background())
	var full *StoreFullError
	if !errors.As(err, &full) || calls.Load() != 0 {
		t.Errorf("Refresh = %v after %d calls; want a StoreFullError and no call", err, calls.Load())
	}
}

// Row 2: a token endpoint that accepts and never answers. Three callers a
// moment apart are all done within one deadline, the endpoint sees one
// sequence of tries, and the waiters use the holder's outcome.
func TestSilentEndpointIsOneBoundedSequence(t *testing.T) {
	var tries atomic.Int32
	first := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // only then does the server notice a client hang up
		tries.Add(1)
		once.Do(func() { close(first) })
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	dir := privateDir(t)
	clock := fixedNow.Add(14*time.Minute + 30*time.Second) // 30s left: not usable, must refresh
	managers := make([]*Manager, 3)
	for i := range managers {
		managers[i] = newTestManager(t, dir, srv.URL, func() time.Time { return clock })
		managers[i].deadline, managers[i].perTry = 300*time.Millisecond, 100*time.Millisecond
	}
	save(t, managers[0].Store, "default", testRecord("czu_old"))

	errs := make([]error, 3)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = managers[0].Token(context.Background()) })
	<-first // the holder's refresh is at the endpoint; the others queue
	for i := 1; i < 3; i++ {
		wg.Go(func() { _, errs[i] = managers[i].Token(context.Background()) })
	}
	wg.Wait()
	if n := tries.Load(); n > refreshTries {
		t.Errorf("the endpoint saw %d tries, want one sequence of at most %d", n, refreshTries)
	}
	// The holder's request went out: its error must not promise that the
	// kept token still works, since Coze may have rotated it.
	if errs[0] == nil || !strings.Contains(errs[0].Error(), "answer that rotated it was lost") {
		t.Errorf("holder's error %v does not say the answer may have been lost", errs[0])
	}
	for i, err := range errs {
		if err == nil || IsLoginRequired(err) {
			t.Errorf("caller %d: %v, want a passing failure", i, err)
		}
	}
	rec, _ := managers[0].Store.Load("default")
	if rec.Failure == nil || rec.Failure.Refused || rec.RefreshToken != "r-czu_old" {
		t.Errorf("store after the silent endpoint: failure %+v, refresh token %q", rec.Failure, rec.RefreshToken)
	}
	// A caller that holds a token still good for two minutes gets it back.
	m := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow.Add(13 * time.Minute) })
	m.deadline, m.perTry = 300*time.Millisecond, 100*time.Millisecond
	save(t, m.Store, "default", testRecord("czu_old")) // no failure marker
	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "czu_old" {
		t.Errorf("caller with a 2-minute token: %v, %v; want czu_old", rec, err)
	}
}

// Row 3: a refused refresh is remembered. The profile is logged out,
// Token says why without calling Coze, until an explicit refresh works.
func TestRefusedRefreshIsRemembered(t *testing.T) {
	var calls atomic.Int32
	refuse := atomic.Bool{}
	refuse.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set(coze.LogIDHeader, "log-1")
		if refuse.Load() {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"invalid_request","error_code":"invalid_request","error_message":"invalid request: refresh_token"}`)
			return
		}
		answerPair(w, "czu_new", "r_new")
	}))
	t.Cleanup(srv.Close)
	now := fixedNow.Add(12 * time.Minute)
	m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return now })
	save(t, m.Store, "default", testRecord("czu_old"))

	for i := range 3 {
		if _, err := m.Token(context.Background()); !IsLoginRequired(err) || !strings.Contains(err.Error(), "log-1") {
			t.Errorf("token %d: %v, want login required with Coze's log id", i, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("Coze saw %d refreshes, want 1: a refused token is not sent again", calls.Load())
	}
	st, _ := m.Status()
	if st.LoggedIn || !strings.Contains(st.LoggedOutReason, "refused") {
		t.Errorf("status: logged in %v, reason %q", st.LoggedIn, st.LoggedOutReason)
	}
	refuse.Store(false)
	if rec, err := m.Refresh(context.Background()); err != nil || rec.Failure != nil {
		t.Fatalf("explicit refresh: %v, %v", rec, err)
	}
	if st, _ := m.Status(); !st.LoggedIn {
		t.Errorf("still logged out after an accepted refresh")
	}
}

// Row 4: tokens go only to the API base and client id that issued them.
func TestTokensStayWithTheirIssuer(t *testing.T) {
	var seen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { seen.Add(1) }))
	t.Cleanup(other.Close)
	dir := privateDir(t)
	rec := testRecord("czu_old")
	rec.Issuer = Issuer{APIBase: "https://api.coze.com", ClientID: "1.app.coze"}
	rec.ClientSecret = "web-secret"
	m := newTestManager(t, dir, other.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
	save(t, m.Store, "default", rec)

	for _, call := range []func(context.Context) (*Record, error){m.Token, m.Refresh} {
		_, err := call(context.Background())
		var mm *IssuerMismatchError
		if !errors.As(err, &mm) || !strings.Contains(err.Error(), "https://api.coze.com") || !strings.Contains(err.Error(), other.URL) {
			t.Errorf("err = %v, want a mismatch naming both bases", err)
		}
	}
	if seen.Load() != 0 {
		t.Errorf("the other host got %d requests", seen.Load())
	}
	// A record from before issuers were kept is bound to the saved settings.
	legacy := testRecord("czu_old")
	save(t, m.Store, "default", legacy)
	m.Store.SaveSettings("default", Settings{Region: coze.RegionCN, ClientID: "1.app.coze"})
	if _, err := m.Token(context.Background()); !strings.Contains(fmt.Sprint(err), "https://api.coze.cn") {
		t.Errorf("legacy record: %v, want a mismatch naming the saved coze.cn", err)
	}
}

// Row 6: a redirect from the token endpoint is not followed.
func TestTokenEndpointRedirectsAreNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	t.Cleanup(thief.Close)
	for _, status := range []int{307, 302} {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			target := thief.URL + "/token"
			if status == 302 {
				target = r.URL.String() // a loop
			}
			http.Redirect(w, r, target, status)
		}))
		t.Cleanup(srv.Close)
		m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
		save(t, m.Store, "default", testRecord("czu_old"))
		_, err := m.Refresh(context.Background())
		var re *GrantRedirectError
		if !errors.As(err, &re) || re.StatusCode != status || !strings.Contains(err.Error(), fmt.Sprint(status)) {
			t.Errorf("%d: err = %v, want a GrantRedirectError naming the status", status, err)
		}
		if status == 307 && !strings.Contains(fmt.Sprint(err), strings.TrimPrefix(thief.URL, "http://")) {
			t.Errorf("307: %v does not name the Location host", err)
		}
		if hits.Load() != 1 {
			t.Errorf("%d: the endpoint saw %d requests, want 1", status, hits.Load())
		}
	}
	if stolen.Load() != 0 {
		t.Errorf("the redirect target got %d requests", stolen.Load())
	}
}

// Row 9: text chosen by the server is escaped, and tokens that are not
// printable ASCII are refused before anything is saved.
func TestHostileAnswersAreNeutralised(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error_code":"invalid_request","error_message":"bad \u001b[2J\u001b]52;c;ZXZpbA==\u0007 token"}`)
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
	save(t, m.Store, "default", testRecord("czu_old"))
	_, err := m.Refresh(context.Background())
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), `\x1b[2J`) {
		t.Errorf("error = %q, want its escape sequences escaped", err)
	}
	for _, tok := range []string{"czu_\x00x", "czu_a\r\nb", "czu_\x1b[2J", "czu a", strings.Repeat("a", coze.MaxTokenLen+1), "czu_é"} {
		body := fmt.Sprintf(`{"access_token":%q,"refresh_token":"r_ok","expires_in":1}`, tok)
		resp := &http.Response{StatusCode: 200, Header: http.Header{}}
		if got, err := parseTokenAnswer(resp, []byte(body), fixedNow); err == nil {
			t.Errorf("access token %q accepted as %q", tok, got.AccessToken)
		}
		body = fmt.Sprintf(`{"access_token":"czu_ok","refresh_token":%q,"expires_in":1}`, tok)
		if _, err := parseTokenAnswer(resp, []byte(body), fixedNow); err == nil {
			t.Errorf("refresh token %q accepted", tok)
		}
	}
	ce := &ConsentError{Code: "access_denied", Description: "no\x1b]0;pwned\x07"}
	if strings.ContainsAny(ce.Error(), "\x1b\x07") {
		t.Errorf("consent error printed raw: %q", ce.Error())
	}
	u := &coze.User{NickName: "\u202eevil", UserName: "a\x1bb"}
	if d := u.Display(); strings.ContainsAny(d, "\x1b\u202e") {
		t.Errorf("user name printed raw: %q", d)
	}
}

// Row 10: Retry-After is honoured within the deadline; a certificate that
// fails verification is not retried.
func TestRetryAfterAndCertificateFailures(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(503)
			return
		}
		answerPair(w, "czu_new", "r_new")
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
	var slept []time.Duration
	m.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	save(t, m.Store, "default", testRecord("czu_old"))
	if rec, err := m.Refresh(context.Background()); err != nil || rec.AccessToken != "czu_new" {
		t.Fatalf("Refresh = %v, %v", rec, err)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, slept); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}

	var conns atomic.Int32
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answerPair(w, "x", "y") }))
	tlsSrv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	m = newTestManager(t, privateDir(t), tlsSrv.URL, func() time.Time { return fixedNow.Add(12 * time.Minute) })
	m.Sleep = func(context.Context, time.Duration) error { t.Error("a certificate failure was retried"); return nil }
	save(t, m.Store, "default", testRecord("czu_old"))
	_, err := m.Refresh(context.Background()) // the client does not trust the test certificate
	if !isCertificateError(err) || conns.Load() != 1 {
		t.Errorf("err = %v after %d connections; want one certificate failure", err, conns.Load())
	}
}

// Row 11: a margin at least as long as the token's life is clamped, so
// concurrent callers with a fresh token do not each refresh.
func TestLongMarginIsClampedNotAStorm(t *testing.T) {
	coze, srv := newRotatingCoze(t, func() time.Time { return fixedNow }, "r-czu_old")
	dir := privateDir(t)
	clock := fixedNow.Add(time.Minute) // 14 minutes left of 15
	save(t, NewStore(dir), "default", testRecord("czu_old"))
	var warned atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		m := newTestManager(t, dir, srv.URL, func() time.Time { return clock })
		m.Config.RefreshMargin = 20 * time.Minute
		m.Store.Warn = func(s string) {
			if strings.Contains(s, "refresh margin") {
				warned.Add(1)
			}
		}
		wg.Go(func() {
			for range 3 {
				if _, err := m.Token(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if coze.refreshs != 0 || warned.Load() != 16 {
		t.Errorf("%d refreshes and %d warnings; want none and one per manager", coze.refreshs, warned.Load())
	}
	// The default margin is not clamped for a pkce, web or device app, even
	// for a token shorter than it (the sandbox's --access-ttl 3m).
	m := newTestManager(t, dir, srv.URL, func() time.Time { return fixedNow.Add(11 * time.Minute) })
	short := testRecord("x")
	short.Expiry = short.IssuedAt.Add(3 * time.Minute)
	if got := m.margin(short); got != DefaultRefreshMargin {
		t.Errorf("default margin became %s", got)
	}
}

// Row 6 for the device flow: a redirect of the device-code endpoint or of a
// poll ends the login; the device code is not sent again.
func TestDeviceEndpointsDoNotFollowRedirects(t *testing.T) {
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == DevicePath {
			fmt.Fprint(w, `{"device_code":"dc","user_code":"ABCD-EFGH","verification_uri":"https://www.coze.com/device","expires_in":300,"interval":5}`)
			return
		}
		polls.Add(1)
		http.Redirect(w, r, "http://elsewhere.test/token", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	m := newTestManager(t, privateDir(t), srv.URL, func() time.Time { return fixedNow })
	flow, err := m.BeginDevice(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = flow.Wait(context.Background())
	var re *GrantRedirectError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "elsewhere.test") || polls.Load() != 1 {
		t.Errorf("err = %v after %d polls; want one poll and a redirect error naming the host", err, polls.Load())
	}
}

// Row 9's bounds: a store file over 1 MiB is refused as unreadable (and left
// alone), a pasted text over 64 KiB is refused without being echoed.
func TestInputsAreBounded(t *testing.T) {
	s := NewStore(privateDir(t))
	big := `{"profiles":{"default":{"access_token":"` + strings.Repeat("a", filestore.MaxFile) + `"}}}`
	os.WriteFile(s.Path(), []byte(big), 0o600)
	_, err := s.Load("default")
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a %d-byte store = %v, want a CorruptError saying it is too large", len(big), err)
	}
	req := &AuthRequest{State: "s"}
	pasted := "http://localhost:8080/callback?state=s&code=" + strings.Repeat("c", input.MaxPaste)
	if _, err := req.CodeFromURL(pasted); err == nil || strings.Contains(err.Error(), "ccc") {
		t.Errorf("CodeFromURL of %d bytes = %v", len(pasted), err)
	}
}

// The remembered failure says what Coze said, without a dangling ": " when
// the answer had a message but no error code.
func TestFailureMessage(t *testing.T) {
	tests := []struct {
		code, message, want string
	}{
		{"invalid_request", "invalid request: refresh_token", "invalid_request: invalid request: refresh_token"},
		{"", "refresh token expired", "refresh token expired"},
		{"invalid_grant", "", "invalid_grant"},
	}
	m := newTestManager(t, t.TempDir(), "http://127.0.0.1:9", func() time.Time { return fixedNow })
	for _, tt := range tests {
		f := m.failureOf(&OAuthError{StatusCode: 400, Code: tt.code, Message: tt.message})
		if f.Message != tt.want {
			t.Errorf("code %q, message %q: remembered %q, want %q", tt.code, tt.message, f.Message, tt.want)
		}
	}
}
