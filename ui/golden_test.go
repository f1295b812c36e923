package ui

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/cozeauth/cozeauth/auth"
)

// The golden tests run the whole program (Init, commands, Update, View) in
// teatest at a fixed size, with a fixed clock, the ASCII colour profile and a
// one-frame spinner, and compare the final screen, as text, with
// testdata/*.golden. Nobody answers the program's background query, so the
// screens are the dark default.
// Regenerate with: go test ./ui -run Golden -update

const goldenW, goldenH = 80, 24

// program is a teatest program whose model notes each screen it draws, so
// that tests wait for what the screen holds rather than for the bytes the
// renderer sent (v2's renderer sends only the cells that changed).
type program struct {
	*teatest.TestModel
	screen *lastScreen
	width  int
}

type lastScreen struct {
	mu   sync.Mutex
	text string
}

func (l *lastScreen) set(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = s
}

func (l *lastScreen) get() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text
}

// watched is the model under test, noting its screen after every update.
type watched struct {
	Model
	screen *lastScreen
}

func (w watched) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := w.Model.Update(msg)
	w.Model = next.(Model)
	w.screen.set(viewText(w.Model))
	return w, cmd
}

func startProgram(t *testing.T, f *fixture) *program {
	t.Helper()
	return startProgramSized(t, f, goldenW, goldenH)
}

func startProgramSized(t *testing.T, f *fixture, w, h int) *program {
	t.Helper()
	screen := &lastScreen{}
	tm := teatest.NewTestModel(t, watched{New(f.deps), screen}, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	return &program{tm, screen, w}
}

// waitFor polls the program's screen until it shows want.
func waitFor(t *testing.T, p *program, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.screen.get(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q; last screen:\n%s", want, p.screen.get())
		}
		time.Sleep(5 * time.Millisecond) // polling for a condition, not waiting out time
	}
}

// finalView quits the program and returns its last screen, with the
// addresses that change from run to run replaced by fixed ones.
func finalView(t *testing.T, tm *program, f *fixture) []byte {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(watched).Model
	defer fm.Close()
	v := viewText(fm)
	if fm.consent.flow != nil {
		// The authorize URL carries a random state and PKCE challenge, and
		// the callback a free port: show fixed ones of the same length.
		u := fm.consent.flow.URL()
		fixed := normalizeURL(u)
		v = strings.Replace(v, hardwrap(u, tm.width), hardwrap(fixed, tm.width), 1)
		port := portOf(fm.consent.flow.RedirectURI())
		nines := strings.Repeat("9", len(port))
		v = strings.ReplaceAll(v, "127.0.0.1:"+port+"/", "127.0.0.1:"+nines+"/")
		v = strings.ReplaceAll(v, port+":localhost:"+port, nines+":localhost:"+nines)
	}
	// The fake Coze's address, also without its scheme (the probe's
	// WebSocket target is on the same host, under ws://).
	v = strings.ReplaceAll(v, strings.TrimPrefix(f.coze.srv.URL, "http://"), "127.0.0.1:"+strings.Repeat("8", len(portOf(f.coze.srv.URL))))
	return []byte(v)
}

func portOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Port()
}

var randomParam = regexp.MustCompile(`(state|code_challenge)=([A-Za-z0-9_-]+)`)

func normalizeURL(u string) string {
	u = randomParam.ReplaceAllStringFunc(u, func(s string) string {
		k, v, _ := strings.Cut(s, "=")
		return k + "=" + strings.Repeat("X", len(v))
	})
	u = regexp.MustCompile(`127\.0\.0\.1%3A\d+`).ReplaceAllStringFunc(u, func(s string) string {
		return "127.0.0.1%3A" + strings.Repeat("9", len(s)-len("127.0.0.1%3A"))
	})
	return regexp.MustCompile(`^http://127\.0\.0\.1:\d+`).ReplaceAllStringFunc(u, func(s string) string {
		return "http://127.0.0.1:" + strings.Repeat("8", len(s)-len("http://127.0.0.1:"))
	})
}

// headlessReason is what internal/browser.HeadlessReason says on Linux without a display.
const headlessReason = "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"

// TestGolden draws each screen at goldenW×goldenH, after the keys that
// lead there; testdata/TestGolden/NAME.golden is what it must look like.
func TestGolden(t *testing.T) {
	// submit waits for the form, then presses Enter.
	submit := func(field string) func(t *testing.T, p *program) {
		return func(t *testing.T, p *program) {
			waitFor(t, p, field)
			p.Send(press("enter"))
		}
	}
	// onDashboard waits for the dashboard, then types key.
	onDashboard := func(key string) func(t *testing.T, p *program) {
		return func(t *testing.T, p *program) {
			waitFor(t, p, "token dashboard")
			p.Type(key)
		}
	}
	loggedIn := func(t *testing.T, f *fixture) { f.loggedIn(t) }
	device := func(t *testing.T, f *fixture) {
		f.sleep = sleepUntilCancelled // nobody approves: the code stays on screen
		f.deps.ApproveDevice = func(string) error { return nil }
		f.deps.Initial.Settings.AppType = auth.AppDevice // the form goes straight to the code
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		steps func(t *testing.T, p *program)
		until string // on screen when it is drawn
	}{
		{"Form", func(t *testing.T, f *fixture) {
			f.deps.Initial.ClientID = ""
			f.deps.Initial.APIBase, f.deps.Initial.WWWBase = "", ""
			f.deps.Initial.RedirectURI = ""
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Type("7420000000000000001.app.coze")
		}, "0001.app.coze"},
		{"FormErrors", func(t *testing.T, f *fixture) {
			f.deps.Initial.ClientID = ""
			f.deps.Initial.RedirectURI = "http://example.com:8080/callback"
		}, submit("Redirect URI"), "is not loopback"},
		{"Consent", nil, submit("Redirect URI"), "Opened your browser"},
		{"ConsentExchangeFailed", func(t *testing.T, f *fixture) {
			f.coze.set(func(fc *fakeCoze) { fc.failExchange = true })
		}, func(t *testing.T, p *program) {
			submit("Redirect URI")(t, p)
			waitFor(t, p, "press a")
			p.Type("a")
		}, "Press r to try again"},
		{"ConsentHeadless", func(t *testing.T, f *fixture) { f.deps.Headless = headlessReason }, submit("Redirect URI"), "Three ways on"},
		{"Probe", loggedIn, onDashboard("p"), "belongs to"},
		{"ProbePartial", func(t *testing.T, f *fixture) {
			f.loggedIn(t)
			f.prober.fail = map[string]bool{"www": true}
		}, onDashboard("p"), "Partly reachable"},
		{"Dashboard", func(t *testing.T, f *fixture) {
			f.loggedIn(t)
			f.clock.Advance(4*time.Minute + 10*time.Second)
		}, func(*testing.T, *program) {}, "10:50 left"},
		{"DashboardRefreshFailed", func(t *testing.T, f *fixture) {
			f.loggedIn(t)
			f.coze.set(func(fc *fakeCoze) { fc.refreshCode = 500 })
		}, onDashboard("r"), "failed"},
		{"DashboardHelp", loggedIn, onDashboard("?"), "less"},
		{"Device", device, submit("Client ID"), "Waiting for approval"},
		{"DeviceDenied", func(t *testing.T, f *fixture) {
			f.coze.set(func(fc *fakeCoze) { fc.deviceAnswer = "access_denied" })
			f.deps.Initial.Settings.AppType = auth.AppDevice
		}, submit("Client ID"), "new code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			p := startProgram(t, f)
			tt.steps(t, p)
			waitFor(t, p, tt.until)
			teatest.RequireEqualOutput(t, finalView(t, p, f))
		})
	}
}

// TestGolden60x20 draws every screen in the smallest window the layout is
// made for: nothing wider than 60 columns, hints wrapped rather than cut,
// and text fields never clipped (the text above them is cut first). The
// probe screen keeps its verdict and notes (want) by leaving out its
// explanation and legend.
func TestGolden60x20(t *testing.T) {
	var browser *fakeBrowser // the fake browser of the test that needs it
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		steps func(t *testing.T, p *program)
		want  []string // on screen at the end
	}{
		{"form", func(t *testing.T, f *fixture) {
			f.deps.Initial.ClientID, f.deps.Initial.APIBase, f.deps.Initial.WWWBase = "", "", ""
			f.deps.Initial.ClientSecret = "s3cret-value" // a web app: its secret's field and hint show
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Send(press("enter"))
			waitFor(t, p, "client id is empty")
			p.Send(press("tab")) // from the client ID to the secret
			waitFor(t, p, "token store")
		}, []string{"Config file"}}, // the last field: nothing of the form is cut
		{"consent", nil, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Send(press("enter"))
			waitFor(t, p, "Opened your browser")
		}, nil},
		{"consent headless", func(t *testing.T, f *fixture) { f.deps.Headless = headlessReason }, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Send(press("enter"))
			waitFor(t, p, "Three ways on")
		}, nil},
		{"paste after o failed", func(t *testing.T, f *fixture) {
			// What internal/cli says when no opener is installed.
			f.browser.err = errors.New("no browser was opened: no program that opens one (xdg-open, x-www-browser, www-browser) is installed; install one, or set $BROWSER to a command that takes a URL")
			browser = f.browser
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Send(press("enter"))
			waitFor(t, p, "Open this address yourself")
			p.Type("o")
			for len(browser.opened()) < 2 { // the o's attempt
				time.Sleep(time.Millisecond)
			}
			waitFor(t, p, "Open this address yourself") // and its failure
			p.Type("p")
			waitFor(t, p, "Paste the whole address")
		}, []string{"No browser opened", "response_type=code&state="}},
		{"exchange failed", func(t *testing.T, f *fixture) { f.coze.set(func(fc *fakeCoze) { fc.failExchange = true }) }, func(t *testing.T, p *program) {
			waitFor(t, p, "Redirect URI")
			p.Send(press("enter"))
			waitFor(t, p, "press a")
			p.Type("a")
			waitFor(t, p, "Press r to try again")
		}, nil},
		{"device", func(t *testing.T, f *fixture) {
			f.sleep = sleepUntilCancelled
			f.deps.ApproveDevice = func(string) error { return nil }
			f.deps.Initial.Settings.AppType = auth.AppDevice // the form goes straight to the code
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "Client ID")
			p.Send(press("enter"))
			waitFor(t, p, "Waiting for approval")
		}, nil},
		{"device denied", func(t *testing.T, f *fixture) {
			f.coze.set(func(fc *fakeCoze) { fc.deviceAnswer = "access_denied" })
			f.deps.Initial.Settings.AppType = auth.AppDevice
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "Client ID")
			p.Send(press("enter"))
			waitFor(t, p, "new code")
		}, nil},
		{"dashboard", func(t *testing.T, f *fixture) { f.loggedIn(t) }, func(t *testing.T, p *program) {
			waitFor(t, p, "15:00 left")
		}, nil},
		{"dashboard help", func(t *testing.T, f *fixture) { f.loggedIn(t) }, func(t *testing.T, p *program) {
			waitFor(t, p, "token dashboard")
			p.Type("?")
			waitFor(t, p, "less")
		}, nil},
		{"probe", func(t *testing.T, f *fixture) { f.loggedIn(t) }, func(t *testing.T, p *program) {
			waitFor(t, p, "token dashboard")
			p.Type("p")
			waitFor(t, p, "belongs to")
		}, []string{"Reachable", "belongs to Test User"}},
		{"probe partial", func(t *testing.T, f *fixture) {
			f.loggedIn(t)
			f.prober.fail = map[string]bool{"www": true}
		}, func(t *testing.T, p *program) {
			waitFor(t, p, "token dashboard")
			p.Type("p")
			waitFor(t, p, "Partly reachable")
		}, []string{"Partly reachable", "belongs to Test User", "www: connection refused", "a wrong", "address answered"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			p := startProgramSized(t, f, minWidth, minHeight)
			tt.steps(t, p)
			out := finalView(t, p, f)
			lines := strings.Split(string(out), "\n")
			if len(lines) != minHeight {
				t.Errorf("%d lines, want %d", len(lines), minHeight)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > minWidth {
					t.Errorf("line %d is %d wide: %q", i, w, l)
				}
			}
			unwrapped := strings.ReplaceAll(string(out), "\n", "") // an address hard-wrapped
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) && !strings.Contains(unwrapped, w) {
					t.Errorf("the screen lacks %q", w)
				}
			}
			teatest.RequireEqualOutput(t, out)
		})
	}
}
