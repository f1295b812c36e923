package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// fakeRefresher stands in for the refresher process: it serves each
// request with ServeRefresher in this process, over the same bytes a real
// one reads and writes. before runs first (it may block, or do what a
// refresher does before it dies); die makes it end without an answer,
// after serving unless dieFirst.
type fakeRefresher struct {
	env      *Env
	before   func()
	die      error
	dieFirst bool
	fail     error // Start itself fails

	mu     sync.Mutex
	starts int
	after  time.Duration // its clock: testNow+after, the command's
	done   sync.WaitGroup
}

func (f *fakeRefresher) Start(request []byte) (*RefresherProcess, error) {
	f.mu.Lock()
	f.starts++
	f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	ansR, ansW := io.Pipe()
	exited := make(chan struct{})
	f.done.Add(1)
	go func() {
		defer f.done.Done()
		defer close(exited)
		if f.before != nil {
			f.before()
		}
		var answer bytes.Buffer
		if !f.dieFirst {
			ServeRefresher(bytes.NewReader(request), &answer, f.env)
		}
		if f.die == nil {
			ansW.Write(answer.Bytes())
		}
		ansW.Close()
	}()
	return &RefresherProcess{Pid: 4242, Answer: ansR, Wait: func() error { <-exited; return f.die }}, nil
}

func (f *fakeRefresher) started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

// newFakeRefresher is a fake refresher on the clock of the command that
// starts it.
func newFakeRefresher() *fakeRefresher {
	f := &fakeRefresher{}
	f.env = &Env{
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return testNow.Add(f.after)
		},
		Sleep: func(context.Context, time.Duration) error { return nil },
	}
	return f
}

// runThrough runs a command as s.run does, its renewals through f.
func (s *sandboxed) runThrough(ctx context.Context, f *fakeRefresher, after time.Duration, args ...string) runResult {
	s.t.Helper()
	f.mu.Lock()
	f.after = after
	f.mu.Unlock()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, args, &Env{
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "COZEAUTH_CONFIG_DIR" {
				return s.dir
			}
			return ""
		},
		Now:       func() time.Time { return testNow.Add(after) },
		Sleep:     func(context.Context, time.Duration) error { return nil },
		Version:   "test",
		Refresher: f,
	})
	return runResult{code, stdout.String(), stderr.String()}
}

// The commands renew through the refresher, and only to renew: what they
// print, their exit codes and the refusal they remember are those of a
// renewal in process, warnings included.
func TestCommandsRenewThroughTheRefresher(t *testing.T) {
	const inMargin = 11 * time.Minute // 4 minutes left, inside the 5-minute margin
	s := loginToSandbox(t)
	f := newFakeRefresher()

	if r := s.runThrough(context.Background(), f, 0, "token"); r.code != ExitOK || r.stdout != s.tokens[0]+"\n" || f.started() != 0 {
		t.Errorf("token with a valid token: exit %d stdout %q, %d refreshers started; want the stored token and none", r.code, r.stdout, f.started())
	}
	r := s.runThrough(context.Background(), f, inMargin, "token")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "czu_") || r.stdout == s.tokens[0]+"\n" || f.started() != 1 {
		t.Fatalf("token inside the margin: exit %d stdout %q stderr %q, %d refreshers started", r.code, r.stdout, r.stderr, f.started())
	}
	if r := s.runThrough(context.Background(), f, inMargin, "refresh"); r.code != ExitOK || !strings.Contains(r.stdout, "Refreshed.") || f.started() != 2 {
		t.Errorf("refresh: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if st := s.sb.Stats(); st.Refreshes != 2 || st.RejectedRefreshes != 0 {
		t.Errorf("sandbox: %d refreshes, %d rejected; want 2 and 0", st.Refreshes, st.RejectedRefreshes)
	}

	// A passing failure with a token that still works: the refresher's
	// warning reaches the command's stderr, and the token is handed out.
	// (The sandbox's clock stands still at testNow: auth shifts the
	// expiry of what it issues by the skew, to 15 minutes after the
	// refresh at inMargin.)
	s.sb.SetFaults(sandbox.Faults{Status: 503, Message: "busy"})
	r = s.runThrough(context.Background(), f, 2*inMargin, "token")
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "czu_") || !strings.Contains(r.stderr, "warning: could not refresh") || !strings.Contains(r.stderr, "using the current access token") {
		t.Errorf("token with Coze failing: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	// A refusal: exit 4 with Coze's reason, remembered without asking the
	// refresher (or Coze) again; status says the same.
	s.sb.SetFaults(sandbox.Faults{RefuseRefresh: true})
	later := 2*inMargin + time.Minute // past the 30 s the failure above is remembered
	started := f.started()
	r = s.runThrough(context.Background(), f, later, "token")
	if r.code != ExitLoginRequired || r.stdout != "" || !strings.Contains(r.stderr, "coze refused the refresh token") || !strings.Contains(r.stderr, "run `cozeauth login`") {
		t.Errorf("refused token: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if again := s.runThrough(context.Background(), f, later, "token"); again.code != ExitLoginRequired || f.started() != started+1 {
		t.Errorf("token after the refusal: exit %d, %d more refreshers started; want 4 and none", again.code, f.started()-started-1)
	}
	if st := s.sb.Stats(); st.RejectedRefreshes != 1 {
		t.Errorf("Coze refused %d refreshes, want 1", st.RejectedRefreshes)
	}
	if r := s.run(later, nil, "status"); r.code != ExitLoginRequired || !strings.Contains(r.stdout, "coze refused the refresh token") {
		t.Errorf("status after the refusal: exit %d\n%s", r.code, r.stdout)
	}
	f.done.Wait()
}

// A refresher that ends without an answer (killed, crashed) or cannot
// start: the command says so and renews in its own process, which re-reads
// under the lock what the refresher may have saved before it died.
func TestRefresherThatDiesOrCannotStart(t *testing.T) {
	const inMargin = 11 * time.Minute
	killed := errors.New("signal: killed")
	for _, tt := range []struct {
		name      string
		setUp     func(s *sandboxed, f *fakeRefresher) // the refresher's misfortune
		wantCode  int
		wantWarn  string
		refreshes int
	}{
		{
			name: "dies before renewing",
			setUp: func(s *sandboxed, f *fakeRefresher) {
				f.die, f.dieFirst = killed, true
			},
			wantWarn:  "refresher process 4242 ended without an answer (signal: killed); refreshing in this process",
			refreshes: 1, // the command's own
		},
		{
			name: "dies after saving",
			setUp: func(s *sandboxed, f *fakeRefresher) {
				f.die = killed
			},
			wantWarn:  "ended without an answer (signal: killed)",
			refreshes: 1, // the dead refresher's, used as it is
		},
		{
			name: "dies between Coze's answer and the save",
			setUp: func(s *sandboxed, f *fakeRefresher) {
				f.before = func() { spend(s) }
				f.die, f.dieFirst = killed, true
			},
			wantCode:  ExitLoginRequired, // nothing brings that pair back
			wantWarn:  "ended without an answer",
			refreshes: 1,
		},
		{
			name: "cannot start",
			setUp: func(s *sandboxed, f *fakeRefresher) {
				f.fail = errors.New("fork/exec /gone/cozeauth: no such file or directory")
			},
			wantWarn:  "could not start a refresher process (fork/exec /gone/cozeauth: no such file or directory); refreshing in this one",
			refreshes: 1,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := loginToSandbox(t)
			f := newFakeRefresher()
			tt.setUp(s, f)
			r := s.runThrough(context.Background(), f, inMargin, "token")
			f.done.Wait()
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantWarn) {
				t.Errorf("exit %d stderr %q; want %d and %q", r.code, r.stderr, tt.wantCode, tt.wantWarn)
			}
			st := s.sb.Stats()
			if st.Refreshes != tt.refreshes || (tt.wantCode == ExitOK) != (st.RejectedRefreshes == 0) {
				t.Errorf("sandbox: %d refreshes, %d rejected; want %d", st.Refreshes, st.RejectedRefreshes, tt.refreshes)
			}
			if tt.wantCode != ExitOK {
				return
			}
			onDisk, err := auth.NewStore(s.dir).Load("default")
			if err != nil || r.stdout != onDisk.AccessToken+"\n" || onDisk.AccessToken == s.tokens[0] {
				t.Errorf("token printed %q; the store holds %v (%v), want the same new token", r.stdout, onDisk, err)
			}
		})
	}
}

// spend refreshes s's login behind cozeauth's back, as a refresher killed
// after Coze's answer would have: the stored refresh token is dead.
func spend(s *sandboxed) {
	body := fmt.Sprintf(`{"grant_type":"refresh_token","refresh_token":%q,"client_id":%q}`, s.tokens[1], sandbox.PKCEClientID)
	resp, err := http.Post(s.base+auth.TokenPath, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Errorf("spending the refresh token: HTTP %d", resp.StatusCode)
	}
}

// A command told to stop while its refresher works returns at once,
// saying that the refresher finishes; the refresher saves the rotated
// pair, which the next command uses.
func TestInterruptedCommandLeavesTheRefresherToSave(t *testing.T) {
	const inMargin = 11 * time.Minute
	s := loginToSandbox(t)
	f := newFakeRefresher()
	release := make(chan struct{})
	f.before = func() { <-release }
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan runResult, 1)
	go func() { result <- s.runThrough(ctx, f, inMargin, "token") }()
	for f.started() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // SIGTERM
	r := <-result
	if r.code != ExitInterrupted || r.stdout != "" || !strings.Contains(r.stderr, "refresher process 4242 finishes it and saves the new tokens") {
		t.Errorf("interrupted token: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	close(release)
	f.done.Wait()
	next := s.runThrough(context.Background(), f, inMargin, "token")
	if next.code != ExitOK || !strings.HasPrefix(next.stdout, "czu_") || next.stdout == s.tokens[0]+"\n" || f.started() != 1 {
		t.Errorf("token after: exit %d stdout %q stderr %q, %d refreshers; want the refresher's token, no new refresher", next.code, next.stdout, next.stderr, f.started())
	}
	if st := s.sb.Stats(); st.Refreshes != 1 || st.RejectedRefreshes != 0 {
		t.Errorf("sandbox: %d refreshes, %d rejected; want 1 and 0", st.Refreshes, st.RejectedRefreshes)
	}
}

// The refresher's errors come back as what the commands tell apart: the
// same text, the same exit code, `token`'s unsaved access token, and
// `status --check`'s verdict.
func TestRefresherOutcomeDecoding(t *testing.T) {
	rec := &auth.Record{Token: auth.Token{AccessToken: "czu_new", RefreshToken: "r-new", Expiry: testNow.Add(15 * time.Minute)}}
	login := &auth.LoginRequiredError{Profile: "work", Reason: "coze refused the refresh token", Err: errors.New("coze answered HTTP 400: invalid_request")}
	timeout := &url.Error{Op: "Post", URL: "https://api.coze.com/api/permission/oauth2/token", Err: context.DeadlineExceeded}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"login required", login},
		{"login required, wrapped", fmt.Errorf("while renewing: %w", login)},
		{"nothing stored", &auth.LoginRequiredError{Profile: "default", Reason: "no token is stored"}},
		{"another issuer", &auth.IssuerMismatchError{Profile: "default", Stored: auth.Issuer{APIBase: "https://api.coze.com", ClientID: "1.app.coze"}, Resolved: auth.Issuer{APIBase: "https://api.coze.cn", ClientID: "1.app.coze"}}},
		{"unsaved", &auth.UnsavedError{Record: rec, Dir: "/cfg", Err: errors.New("read-only file system"), RescueErr: errors.New("no space left on device")}},
		{"timeout", fmt.Errorf("coze did not answer within 10s: %w (tried 3 times; the stored token was kept, try again later)", timeout)},
		{"deadline", fmt.Errorf("waiting: %w", context.DeadlineExceeded)},
		{"plain", errors.New("could not create a file in /cfg: permission denied")},
		{"usage", auth.Config{Settings: auth.Settings{AppType: auth.AppPKCE}}.CheckFlow(auth.FlowJWT)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(refreshOutcome{Error: wireErrorOf(tt.err)})
			if err != nil {
				t.Fatal(err)
			}
			var o refreshOutcome
			if err := json.Unmarshal(data, &o); err != nil {
				t.Fatal(err)
			}
			_, got := o.result()
			if got == nil || got.Error() != tt.err.Error() {
				t.Fatalf("text: got %v, want %q", got, tt.err)
			}
			if exitCode(got) != exitCode(tt.err) {
				t.Errorf("exit code %d, want %d", exitCode(got), exitCode(tt.err))
			}
			if g, w := failedCheck(got), failedCheck(tt.err); g.Result != w.Result {
				t.Errorf("status --check says %s, want %s", g.Result, w.Result)
			}
			var wantU, gotU *auth.UnsavedError
			if errors.As(tt.err, &wantU) != errors.As(got, &gotU) || wantU != nil && gotU.Record.AccessToken != wantU.Record.AccessToken {
				t.Errorf("unsaved error: got %v, want %v", gotU, wantU)
			}
			var wantM, gotM *auth.IssuerMismatchError
			if errors.As(tt.err, &wantM) != errors.As(got, &gotM) || wantM != nil && *gotM != *wantM {
				t.Errorf("issuer mismatch: got %v, want %v", gotM, wantM)
			}
		})
	}

	var o refreshOutcome
	if err := json.Unmarshal([]byte(`{"record":{"access_token":"czu_new"},"warnings":["warning: one"]}`), &o); err != nil {
		t.Fatal(err)
	}
	if got, err := o.result(); err != nil || got.AccessToken != "czu_new" {
		t.Errorf("a record: got %v, %v", got, err)
	}
}

// The request carries the whole resolved Config: a field the refresher
// lost would renew another profile, or the same one differently.
func TestRefresherRequestKeepsTheConfig(t *testing.T) {
	var cfg auth.Config
	fillAll(t, reflect.ValueOf(&cfg).Elem(), "Config")
	data, err := json.Marshal(refreshRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var got refreshRequest
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, got.Config) {
		t.Errorf("the Config changed on the way:\n%+v\n%+v", cfg, got.Config)
	}
}

// fillAll sets every field of v, the struct named path, to something not
// zero; a field it cannot set (unexported) cannot be sent either.
func fillAll(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch {
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{"k":1}`))
		return
	case !v.CanSet():
		t.Errorf("%s cannot be set: the refresher's request cannot carry it", path)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(t, v.Elem(), path)
	case reflect.String:
		v.SetString("x-" + path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(7)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillAll(t, v.Index(0), path+"[0]")
	default:
		t.Errorf("%s: fillAll knows no %s; teach it", path, v.Kind())
	}
}
