package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/probe"
)

// t0 is the fixed time every test starts at.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

const testClientID = "7000000000000000001.app.coze"

// testVerificationURI is where the fake Coze sends device logins: fixed, so
// that the QR code in the golden files does not change from run to run.
const testVerificationURI = "https://www.coze.test/device"

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// fakeCoze answers the token endpoint and /v1/users/me with fixed,
// obviously fake tokens numbered in issue order.
type fakeCoze struct {
	clock *fakeClock
	ttl   time.Duration

	mu           sync.Mutex
	issued       int
	failExchange bool
	refreshCode  int // HTTP status for refreshes; 0 means they work
	// deviceAnswer is the error every device poll gets (authorization_pending,
	// access_denied, …); "" issues the tokens. failDevice refuses to give a
	// user code, as Coze does for an app that is not a device app.
	deviceAnswer string
	failDevice   bool
	grants       []string
	srv          *httptest.Server
}

func newFakeCoze(t testing.TB, clock *fakeClock) *fakeCoze {
	fc := &fakeCoze{clock: clock, ttl: 15 * time.Minute}
	fc.srv = httptest.NewServer(fc)
	t.Cleanup(fc.srv.Close)
	return fc
}

func (fc *fakeCoze) set(f func(fc *fakeCoze)) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	f(fc)
}

func (fc *fakeCoze) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Tt-Logid", "20250102FAKELOGID")
	w.Header().Set("Date", fc.clock.Now().UTC().Format(http.TimeFormat)) // a Date of the fake clock, as Coze's is of its own
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case auth.DevicePath:
		fc.mu.Lock()
		fail := fc.failDevice
		fc.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_client","error_code":"invalid_client","error_message":"this app cannot use the device code grant"}`)
			return
		}
		io.WriteString(w, `{"device_code":"fake-device-code","user_code":"BCDF-GHJK","verification_uri":"`+testVerificationURI+`","expires_in":300,"interval":5}`)
	case auth.TokenPath:
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		fc.mu.Lock()
		defer fc.mu.Unlock()
		fc.grants = append(fc.grants, body["grant_type"])
		switch {
		case body["grant_type"] == "authorization_code" && fc.failExchange:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant","error_code":"invalid_grant","error_message":"the authorization code has expired"}`)
			return
		case body["grant_type"] == "refresh_token" && fc.refreshCode != 0:
			w.WriteHeader(fc.refreshCode)
			io.WriteString(w, `{"error":"internal_error","error_code":"internal_error","error_message":"try again later"}`)
			return
		case body["grant_type"] == auth.DeviceGrantType && fc.deviceAnswer != "":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q,"error_description":"the fake says %s"}`, fc.deviceAnswer, fc.deviceAnswer)
			return
		}
		fc.issued++
		json.NewEncoder(w).Encode(map[string]any{
			"access_token":  fmt.Sprintf("czu_fake_access_%04d", fc.issued),
			"refresh_token": fmt.Sprintf("fake_refresh_%04d", fc.issued),
			"expires_in":    fc.clock.Now().Add(fc.ttl).Unix(),
		})
	case "/v1/users/me":
		io.WriteString(w, `{"code":0,"msg":"","data":{"user_id":"1","user_name":"tester","nick_name":"Test User"}}`)
	default:
		http.NotFound(w, r)
	}
}

// fakeBrowser records what it was asked to open.
type fakeBrowser struct {
	mu   sync.Mutex
	urls []string
	err  error
}

func (b *fakeBrowser) Open(u string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.urls = append(b.urls, u)
	return b.err
}

func (b *fakeBrowser) opened() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// fakeProber answers each target with a canned result, in order; targets
// named in fail get a refused connection.
type fakeProber struct {
	mu      sync.Mutex
	runs    [][]probe.Target
	fail    map[string]bool
	hold    chan struct{} // when set, each result waits for a receive
	timings probe.Timings
}

func (p *fakeProber) Start(ctx context.Context, targets []probe.Target) <-chan probe.Result {
	p.mu.Lock()
	p.runs = append(p.runs, targets)
	fail, hold := p.fail, p.hold
	p.mu.Unlock()
	ch := make(chan probe.Result, len(targets))
	go func() {
		defer close(ch)
		for i, t := range targets {
			if hold != nil {
				select {
				case <-hold:
				case <-ctx.Done():
					return
				}
			}
			ch <- cannedResult(i, t, fail[t.Name], p.timings)
		}
	}()
	return ch
}

func (p *fakeProber) ProxySummary([]probe.Target) string { return "" }

func (p *fakeProber) started() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.runs)
}

func cannedResult(i int, t probe.Target, fail bool, tm probe.Timings) probe.Result {
	r := probe.Result{Index: i, Name: t.Name, Group: t.Group, Label: t.Label, Method: t.Method, URL: t.URL, RemoteAddr: "127.0.0.1:1"}
	if tm == (probe.Timings{}) {
		tm = probe.Timings{DNS: 4 * time.Millisecond, Connect: 12 * time.Millisecond, TLS: 30 * time.Millisecond, FirstByte: 120 * time.Millisecond, Total: 140 * time.Millisecond}
	}
	if fail {
		r.Class = probe.ClassConnectRefused
		r.Error = "connection refused"
		r.Hint = "the connection was refused: a firewall or a wrong address answered"
		r.Timings = probe.Timings{DNS: tm.DNS, Connect: tm.Connect, Total: tm.DNS + tm.Connect}
		return r
	}
	r.Timings = tm
	switch t.Name {
	case "workflows_run", "v3_chat", "workflow_run", "ws_chat":
		r.Status, r.Class = 401, probe.ClassAuthRequired
	case "oauth_token":
		r.Status, r.Class = 400, probe.ClassHTTPError
	case "v1_chat":
		r.Status, r.Class = 404, probe.ClassNotFound
	case "users_me":
		r.Status, r.Class, r.User = 200, probe.ClassOK, "Test User (@tester)"
	default:
		r.Status, r.Class = 200, probe.ClassOK
	}
	return r
}

// fixture is a wired-up UI with fakes for every effect.
type fixture struct {
	deps    Deps
	clock   *fakeClock
	coze    *fakeCoze
	browser *fakeBrowser
	prober  *fakeProber
	store   *auth.Store
	// sleep is the managers' wait between device polls (nil: none at all).
	sleep func(ctx context.Context, d time.Duration) error
}

// viewText is what the model draws, without colours and attributes.
func viewText(m Model) string { return ansi.Strip(m.content()) }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clock := &fakeClock{t: t0}
	fc := newFakeCoze(t, clock)
	f := &fixture{
		clock:   clock,
		coze:    fc,
		browser: &fakeBrowser{},
		prober:  &fakeProber{},
		store:   auth.NewStore(t.TempDir()),
	}
	f.deps = Deps{
		Initial: auth.Config{Profile: "default", Settings: auth.Settings{
			Region: coze.RegionCOM, APIBase: fc.srv.URL, WWWBase: fc.srv.URL,
			ClientID: testClientID, RedirectURI: "http://127.0.0.1:0/callback",
		}},
		Services: Services{
			Manager: func(c auth.Config) *auth.Manager {
				return &auth.Manager{Config: c, Store: f.store, HTTP: fc.srv.Client(), Now: clock.Now,
					Sleep: func(ctx context.Context, d time.Duration) error {
						if f.sleep != nil {
							return f.sleep(ctx, d)
						}
						return nil
					}}
			},
			Prober:    f.prober,
			Browser:   f.browser,
			Clipboard: &Clipboard{},
			Now:       clock.Now,
		},
		// The fake accepts any redirect URI, so the listener may pick its port.
		SandboxHooks: SandboxHooks{Approve: approveURL, AnyRedirectPort: true},
		Appearance:   Appearance{Spinner: spinner.Spinner{Frames: []string{"*"}, FPS: time.Hour}},
	}
	return f
}

// approveURL does what a consent page's Approve does: it sends the browser
// to the redirect URI with a code and the request's state.
func approveURL(authorizeURL string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	return q.Get("redirect_uri") + "?" + url.Values{"code": {"fake-code"}, "state": {q.Get("state")}}.Encode(), nil
}

// loggedIn saves a token for the default profile, issued at the clock's now.
func (f *fixture) loggedIn(t testing.TB) {
	t.Helper()
	now := f.clock.Now()
	l, err := f.store.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	err = l.Save("default", &auth.Record{
		Token: auth.Token{AccessToken: "czu_fake_access_saved", RefreshToken: "fake_refresh_saved",
			Expiry: now.Add(15 * time.Minute), RefreshExpiry: now.Add(auth.RefreshTokenLifetime), IssuedAt: now},
		User: &coze.User{UserID: "1", UserName: "tester", NickName: "Test User"},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// step sends msg to m.
func step(m Model, msg tea.Msg) (Model, tea.Cmd) {
	next, cmd := m.Update(msg)
	return next.(Model), cmd
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// typeText sends s one rune at a time.
func typeText(m Model, s string) Model {
	for _, r := range s {
		m, _ = step(m, press(string(r)))
	}
	return m
}

// await runs cmd, and every command of a batch, each on its own goroutine,
// and returns the first message of type T. Commands that wait on a timer
// (spinner, clock) are left running; they are not waited for.
// clipboardWrites runs a copy command's batch and returns what it has
// Bubble Tea write for the clipboard: the text of tea.SetClipboard first,
// then each tea.Raw sequence.
func clipboardWrites(t testing.TB, cmd tea.Cmd) (text string, raw []string) {
	t.Helper()
	batch, ok := cmd().(tea.BatchMsg)
	if !ok {
		t.Fatalf("the copy is not a batch of commands")
	}
	for _, c := range batch {
		switch msg := c().(type) {
		case tea.RawMsg:
			raw = append(raw, fmt.Sprint(msg.Msg))
		case urlCopiedMsg:
		default:
			if fmt.Sprintf("%T", msg) != "tea.setClipboardMsg" {
				t.Fatalf("unexpected %T in the copy", msg)
			}
			text = fmt.Sprint(msg)
		}
	}
	return text, raw
}

func await[T tea.Msg](t testing.TB, cmd tea.Cmd) T {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	var launch func(tea.Cmd)
	launch = func(c tea.Cmd) {
		if c == nil {
			return
		}
		go func() {
			msg := c()
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					launch(c)
				}
				return
			}
			msgs <- msg
		}()
	}
	launch(cmd)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case msg := <-msgs:
			if m, ok := msg.(T); ok {
				return m
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T arrived", zero)
			return zero
		}
	}
}

// isQuit reports whether cmd (or a command of its batch) quits.
func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				if isQuit(c) {
					return true
				}
			}
			return false
		}
		_, ok := msg.(tea.QuitMsg)
		return ok
	case <-time.After(50 * time.Millisecond):
		return false // a timer: not a quit
	}
}

// loggedInModel returns a model on the dashboard of a saved login.
func (f *fixture) dashboard(t *testing.T) Model {
	t.Helper()
	f.loggedIn(t)
	m := New(f.deps)
	m, _ = step(m, await[profileLoadedMsg](t, m.Init()))
	if m.screen != screenDashboard {
		t.Fatalf("screen = %v, want dashboard", m.screen)
	}
	return m
}

// form returns a model on the setup form.
func (f *fixture) form(t *testing.T) Model {
	t.Helper()
	m := New(f.deps)
	m, _ = step(m, await[profileLoadedMsg](t, m.Init()))
	if m.screen != screenForm {
		t.Fatalf("screen = %v, want form", m.screen)
	}
	return m
}

// consent returns a model waiting on the consent screen, and the command
// that returned with the wait.
func (f *fixture) consent(t *testing.T) (Model, tea.Cmd) {
	t.Helper()
	m, cmd := step(f.form(t), press("enter"))
	if m.screen != screenConsent {
		t.Fatalf("screen = %v, want consent", m.screen)
	}
	m, cmd = step(m, await[loginStartedMsg](t, cmd))
	t.Cleanup(func() { m.Close() })
	return m, cmd
}

// sleepUntilCancelled is a wait between polls that only ends with its
// context: the poll never comes, so a test sees a login still waiting.
func sleepUntilCancelled(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// device returns a model showing a device code, reached from the form with
// app type device, and the command that polls for its approval.
func (f *fixture) device(t *testing.T) (Model, tea.Cmd) {
	t.Helper()
	m, cmd := f.deviceStarting(t)
	m, cmd = step(m, await[deviceStartedMsg](t, cmd))
	t.Cleanup(func() { m.Close() })
	return m, cmd
}

// deviceStarting submits the form of a device app: the device screen asks
// Coze for a code.
func (f *fixture) deviceStarting(t *testing.T) (Model, tea.Cmd) {
	t.Helper()
	f.deps.Initial.Settings.AppType = auth.AppDevice
	m, cmd := step(f.form(t), press("enter"))
	if m.screen != screenDevice || m.device.phase != deviceStarting {
		t.Fatalf("enter: screen %v phase %v, want device starting", m.screen, m.device.phase)
	}
	return m, cmd
}

func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
