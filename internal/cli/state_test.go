package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/ui"
)

// stateCase stores one profile ("p") in one login state; args are the
// flags every renderer of it is run with.
type stateCase struct {
	state auth.State
	setup func(t *testing.T, dir string)
	args  []string
	// exit is status's exit code for it.
	exit int
}

func stateCases() []stateCase {
	save := func(t *testing.T, dir string, rec *auth.Record) {
		t.Helper()
		l, err := auth.NewStore(dir).Lock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer l.Unlock()
		if err := l.Save("p", rec); err != nil {
			t.Fatal(err)
		}
	}
	set := auth.Settings{Region: coze.RegionCOM, ClientID: testClient}
	return []stateCase{
		{auth.StateNotSetUp, func(t *testing.T, dir string) {
			storeTokens(t, dir, "p", auth.Settings{Region: coze.RegionCN}, nil)
		}, nil, ExitLoginRequired},
		{auth.StateLoggedOut, func(t *testing.T, dir string) { storeTokens(t, dir, "p", set, nil) }, nil, ExitLoginRequired},
		{auth.StateLoggedIn, func(t *testing.T, dir string) { storeTokens(t, dir, "p", set, freshToken()) }, nil, ExitOK},
		{auth.StateExpired, func(t *testing.T, dir string) {
			tok := freshToken()
			tok.Expiry, tok.RefreshExpiry = testNow.Add(-29*24*time.Hour), testNow.Add(-time.Hour)
			storeTokens(t, dir, "p", set, tok)
		}, nil, ExitLoginRequired},
		{auth.StateRefused, func(t *testing.T, dir string) {
			storeTokens(t, dir, "p", set, nil)
			save(t, dir, &auth.Record{Token: *freshToken(), Failure: &auth.Failure{At: testNow.Add(-time.Minute), Refused: true, Reason: "coze refused the refresh token", Status: 400}})
		}, nil, ExitLoginRequired},
		{auth.StateKeyMissing, func(t *testing.T, dir string) {
			key := filepath.Join(dir, "gone.pem")
			storeTokens(t, dir, "p", auth.Settings{ClientID: sandbox.JWTClientID, AppType: auth.AppJWT,
				JWT: &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID, PrivateKeyFile: key}},
				&auth.Token{AccessToken: oldAccess, Expiry: testNow.Add(10 * time.Minute), IssuedAt: testNow.Add(-5 * time.Minute)})
		}, nil, ExitLoginRequired},
		{auth.StateIssuerMismatch, func(t *testing.T, dir string) { storeTokens(t, dir, "p", set, freshToken()) },
			[]string{"--region", "cn"}, ExitUsage},
	}
}

// Every login state reads the same in `status` (text and JSON), `profiles`
// (table and JSON) and the wizard: they all show what Manager.Status
// decided. Before, a jwt profile whose key was gone was logged in for
// `profiles` and not for `status`, and tokens of another region were
// "Logged in: yes" for `status` while `token` refused them.
func TestStatesAgree(t *testing.T) {
	cases := stateCases()
	if len(cases) != len(auth.States) {
		t.Fatalf("%d cases for %d states: every state needs one", len(cases), len(auth.States))
	}
	for _, tt := range cases {
		t.Run(string(tt.state), func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			args := append([]string{"--profile", "p"}, tt.args...)
			run := func(cmd ...string) runResult {
				t.Helper()
				return runCLIEnv(t, dir, nil, nil, append(cmd, args...)...)
			}

			res := run("status", "--json")
			var st struct {
				State    auth.State `json:"state"`
				LoggedIn bool       `json:"logged_in"`
				Problem  string     `json:"problem"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &st); err != nil {
				t.Fatalf("status --json: %v\n%s%s", err, res.stdout, res.stderr)
			}
			if st.State != tt.state || st.LoggedIn != (tt.state == auth.StateLoggedIn) || (st.Problem == "") != st.LoggedIn {
				t.Fatalf("status --json: %+v, want state %s", st, tt.state)
			}
			if res.code != tt.exit {
				t.Errorf("status --json: exit %d, want %d", res.code, tt.exit)
			}

			text := run("status")
			wantRow := "Logged in: yes"
			if !st.LoggedIn {
				wantRow = "Logged in: no, " + st.Problem
			}
			if text.code != tt.exit || !hasWords(text.stdout, wantRow) {
				t.Errorf("status: exit %d, want %d and %q:\n%s%s", text.code, tt.exit, wantRow, text.stdout, text.stderr)
			}
			if n := strings.Count(text.stdout+text.stderr, firstWords(st.Problem)); st.Problem != "" && n != 1 {
				t.Errorf("status says the problem %d times, want once:\n%s%s", n, text.stdout, text.stderr)
			}

			var list []profileSummary
			pj := run("profiles", "--json")
			if err := json.Unmarshal([]byte(pj.stdout), &list); err != nil || len(list) != 1 {
				t.Fatalf("profiles --json: %v\n%s%s", err, pj.stdout, pj.stderr)
			}
			if p := list[0]; p.State != st.State || p.LoggedIn != st.LoggedIn || p.Problem != st.Problem {
				t.Errorf("profiles --json: state %s, logged in %v, problem %q; status said %s, %v, %q", p.State, p.LoggedIn, p.Problem, st.State, st.LoggedIn, st.Problem)
			}
			pt := run("profiles")
			in := map[bool]string{true: "yes", false: "no"}[st.LoggedIn]
			if !hasWords(oneLine(pt.stdout), " "+in+" ") || !st.LoggedIn && !hasWords(oneLine(pt.stdout), `Profile "p": `+st.Problem) {
				t.Errorf("profiles: want logged in %s and the problem %q:\n%s", in, st.Problem, pt.stdout)
			}
			if tt.state == auth.StateRefused && (strings.Contains(pt.stdout, "days left") || strings.Contains(text.stdout, "Refresh expires")) {
				t.Errorf("a refused profile shows a live refresh token:\n%s%s", pt.stdout, text.stdout)
			}

			screen, view := wizardOpens(t, dir, tt.args)
			if (screen == "dashboard") != st.LoggedIn {
				t.Errorf("the wizard opens the %s for state %s:\n%s", screen, st.State, view)
			}
			if noted := tt.state != auth.StateNotSetUp && tt.state != auth.StateLoggedOut && tt.state != auth.StateExpired; !st.LoggedIn && noted && !hasWords(oneLine(view), st.Problem) {
				t.Errorf("the wizard does not say %q:\n%s", st.Problem, view)
			}
		})
	}
}

// status --all with a profile of another issuer shows it in the table,
// says why once, and exits 2 (a usage error, as `token` answers it) even
// beside a profile that needs a login.
func TestStatusAllIssuerMismatch(t *testing.T) {
	dir := t.TempDir()
	storeTokens(t, dir, "p", auth.Settings{Region: coze.RegionCOM, ClientID: testClient}, freshToken())
	storeTokens(t, dir, "q", auth.Settings{Region: coze.RegionCN, ClientID: testClient}, nil)
	res := runCLIEnv(t, dir, nil, nil, "status", "--all", "--region", "cn")
	if res.code != ExitUsage {
		t.Errorf("exit %d, want %d\n%s%s", res.code, ExitUsage, res.stdout, res.stderr)
	}
	if n := strings.Count(oneLine(res.stdout+res.stderr), "were issued by"); n != 1 {
		t.Errorf("the mismatch is said %d times, want once:\n%s%s", n, res.stdout, res.stderr)
	}
	if !hasWords(oneLine(res.stdout), `Profile "q": not logged in`) {
		t.Errorf("the other profile's problem is missing:\n%s", res.stdout)
	}
}

// wizardOpens runs the wizard's first step over dir's profile "p", as
// `cozeauth --profile p` would with flags, and says which screen it opens.
func wizardOpens(t *testing.T, dir string, flags []string) (screen, view string) {
	t.Helper()
	store := auth.NewStore(dir)
	over := auth.Overrides{Profile: "p"}
	for i := 0; i+1 < len(flags); i += 2 {
		if flags[i] == "--region" {
			over.Region = flags[i+1]
		}
	}
	cfg, _, err := store.Resolve(over)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	m := tea.Model(ui.New(ui.Deps{Initial: cfg, Services: ui.Services{
		Manager: func(c auth.Config) *auth.Manager { return &auth.Manager{Config: c, Store: store.For(c), Now: now} },
		Now:     now,
	}}))
	m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	var msgs []tea.Msg
	if batch, ok := m.Init()().(tea.BatchMsg); ok {
		for _, c := range batch {
			if c != nil {
				msgs = append(msgs, c())
			}
		}
	}
	for _, msg := range msgs { // the later commands (a user lookup, ticks) are not run
		m, _ = m.Update(msg)
	}
	return m.(ui.Model).Screen(), ansi.Strip(m.View().Content)
}

// oneLine joins wrapped lines, so that a sentence wrapped at any width is
// found whole.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// firstWords is the start of a problem: enough to count how often it is said.
func firstWords(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
