package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

type statusOpts struct {
	all, check, asJSON bool
	timeout            time.Duration
}

func newStatusCmd(g *globals) *cobra.Command {
	var o statusOpts
	cmd := &cobra.Command{
		GroupID:     groupLogin,
		Annotations: annotations("profile", annEnvToken, annSandbox),
		Use:         "status",
		Short:       "Show whether profiles are logged in; --check asks Coze (exit 4 when a login is needed)",
		Long: `Show the profile's login state: region, app, who the token belongs to, where the
token comes from (the token file, the system keyring, or $COZE_API_TOKEN), when
each token expires. Without --check it reads two files and makes no network call.

--all shows every profile of the config directory. --check also asks Coze
(GET /v1/users/me) whether it accepts each token, refreshing one that is about
to expire first, and says whose it is or what is wrong.

Exit 0 when every profile shown is logged in ($COZE_API_TOKEN counts), 4 when
one needs a login (never set up, logged out, expired, refused, a jwt key gone)
or Coze refuses its token under --check, 1 when --check could not reach Coze,
2 when a profile's tokens were issued by another API base or client id than
this run resolves (as ` + "`token`" + ` answers it; nothing is sent).`,
		Example: `  cozeauth status
  cozeauth status --all --check
  cozeauth status --profile work --json | jq -r .access_token_expires_at
  cozeauth status --check >/dev/null || cozeauth login`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStatus(cmd.Context(), g, o) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.all, "all", false, "show every profile, not only the current one")
	f.BoolVar(&o.check, "check", false, "ask Coze whether it accepts each token (GET /v1/users/me)")
	f.BoolVar(&o.asJSON, "json", false, "print the status as JSON (with --all: an array)")
	f.DurationVar(&o.timeout, "timeout", 15*time.Second, "with --check, the time allowed for each profile")
	return cmd
}

// profileStatus is one profile as status shows it: what the store says,
// where its token comes from, and what Coze said of it under --check.
type profileStatus struct {
	// Status is the profile's state as [auth.Manager.Status] decides it
	// (or $COZE_API_TOKEN's, for the current profile when it is set).
	*auth.Status
	// Default marks the profile commands use when none is named.
	Default bool        `json:"default,omitempty"`
	Check   *tokenCheck `json:"check,omitempty"`
	// WWWBase is the host a login of this profile sends the browser to:
	// --www-base, else the one that goes with the API base (api.X → www.X).
	WWWBase string `json:"www_base"`

	envToken string // the token of $COZE_API_TOKEN, never printed
	manager  *auth.Manager
	// next is the command to run next for this profile, with the run's
	// flags ([globals.nextCommand]).
	next func(name string) string
}

// Check results.
const (
	checkOK            = "ok"
	checkRefused       = "refused"        // Coze refused the access token
	checkLoginRequired = "login_required" // no token could be had: the refresh was refused, or none is stored
	checkUnreachable   = "unreachable"    // no answer from Coze
	checkFailed        = "failed"         // an answer, but not one that says yes or no
)

// tokenCheck is what --check learnt of one profile's token.
type tokenCheck struct {
	Result     string     `json:"result"`
	User       *coze.User `json:"user,omitempty"`
	HTTPStatus int        `json:"http_status,omitempty"`
	Code       *int       `json:"code,omitempty"`
	LogID      string     `json:"logid,omitempty"`
	Error      string     `json:"error,omitempty"`
	// Refreshed says that Coze refused the access token and --check
	// refreshed it once, under the lock; the rest is about the new one.
	Refreshed bool `json:"refreshed,omitempty"`
}

func runStatus(ctx context.Context, g *globals, o statusOpts) error {
	st, err := g.store()
	if err != nil {
		return err
	}
	list, err := g.statuses(ctx, st, o.all)
	if err != nil {
		return err
	}
	if o.check {
		done := g.waitingLine("Checking the token with Coze…") // waiting.go
		g.checkAll(ctx, list, o.timeout)
		done()
	}
	w := g.env.Stdout
	switch {
	case o.asJSON && o.all:
		err = writeJSON(w, list)
	case o.asJSON:
		err = writeJSON(w, list[0])
	case o.all:
		err = g.printStatusTable(w, list)
	default:
		err = printStatus(w, list[0], g.now())
	}
	if err != nil {
		return err
	}
	if o.check && ctx.Err() != nil {
		// A check cut short says nothing about Coze.
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted")}
	}
	if err := issuerMismatch(list); err != nil {
		return err
	}
	return statusExit(list)
}

// statuses reads the current profile, or with all every profile (the
// current one alone when there are none), without touching the network.
func (g *globals) statuses(ctx context.Context, st *auth.Store, all bool) ([]*profileStatus, error) {
	current, err := g.config(st)
	if err != nil {
		return nil, err
	}
	names := []string{current.Profile}
	if all {
		if names, err = st.Profiles(); err != nil {
			return nil, err
		}
		if current.IsShared() {
			if names, err = withSharedProfiles(ctx, st, names, current.Storage); err != nil {
				return nil, err
			}
		}
		// The current profile is shown when there is no other, and when
		// $COZE_API_TOKEN stands in for its token.
		if len(names) == 0 || g.envToken() != "" && !slices.Contains(names, current.Profile) {
			names = append([]string{current.Profile}, names...)
		}
	}
	def, err := st.DefaultProfile()
	if err != nil {
		return nil, err
	}
	list := make([]*profileStatus, 0, len(names))
	for _, name := range names {
		cfg, err := g.configFor(st, name)
		if err != nil && all {
			return nil, fmt.Errorf("profile %q: %w", name, err)
		}
		if err != nil {
			return nil, err
		}
		ps, err := g.profileStatus(st, cfg, name == current.Profile)
		if err != nil {
			return nil, err
		}
		ps.Default = name == def
		list = append(list, ps)
	}
	return list, nil
}

// withSharedProfiles adds to names the profiles kept in the shared store
// --storage (or $COZEAUTH_STORAGE) names.
func withSharedProfiles(ctx context.Context, st *auth.Store, names []string, storage string) ([]string, error) {
	shared, err := st.SharedProfiles(ctx, storage)
	if err != nil {
		return nil, err
	}
	for _, p := range shared {
		if !slices.Contains(names, p) {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	return names, nil
}

// configFor resolves profile's settings as if --profile named it.
func (g *globals) configFor(st *auth.Store, profile string) (auth.Config, error) {
	return g.configWith(st, func(o *auth.Overrides) { o.Profile = profile })
}

// profileStatus reads one profile. $COZE_API_TOKEN, which every command
// uses instead of the stored tokens, stands in for the current profile's.
func (g *globals) profileStatus(st *auth.Store, cfg auth.Config, current bool) (*profileStatus, error) {
	m := g.managerFor(cfg, st)
	ps := &profileStatus{manager: m, WWWBase: cfg.WWW(), next: func(name string) string { return g.nextCommand(name, cfg.Profile) }}
	if tok := g.envToken(); tok != "" && current {
		ps.Status, ps.envToken = g.envTokenStatus(cfg, tok), tok // apptype.go
		return ps, nil
	}
	s, err := m.Status()
	if err != nil {
		return nil, err
	}
	ps.Status = s
	return ps, nil
}

// checkAll asks Coze about every logged-in profile at once.
func (g *globals) checkAll(ctx context.Context, list []*profileStatus, timeout time.Duration) {
	var wg sync.WaitGroup
	for _, ps := range list {
		if ps.State != auth.StateLoggedIn {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			ps.Check = ps.check(ctx, g.now())
			if ps.Check.Result == checkOK && ps.Check.User != nil {
				ps.User = ps.Check.User
			}
		})
	}
	wg.Wait()
}

// check gets the profile's access token (refreshing it when it is about to
// expire, as `cozeauth token` would) and asks Coze whose it is. An access
// token Coze refuses while the refresh token lives is refreshed once.
func (ps *profileStatus) check(ctx context.Context, now time.Time) *tokenCheck {
	tok := ps.envToken
	if tok == "" {
		rec, err := ps.manager.Token(ctx)
		if err != nil {
			return failedCheck(err)
		}
		tok = rec.AccessToken
	}
	user, err := ps.manager.Client("").Me(ctx, tok)
	if err != nil {
		if c := failedCheck(err); c.Result != checkRefused || !ps.renewable(now) {
			return c
		}
		return ps.recheck(ctx)
	}
	return &tokenCheck{Result: checkOK, User: user}
}

// renewable says whether the stored tokens can get a new access token: a
// live refresh token, or a JWT app's key. $COZE_API_TOKEN cannot.
func (ps *profileStatus) renewable(now time.Time) bool {
	switch {
	case ps.envToken != "":
		return false
	case ps.AppType == auth.AppJWT:
		return ps.KeyProblem == ""
	}
	return ps.RefreshExpiresAt != nil && now.Before(*ps.RefreshExpiresAt)
}

// refreshFailed starts the error of a check whose refresh failed.
const refreshFailed = "coze refused the access token, and the refresh failed: "

// recheck is `cozeauth refresh` and a second check, for an access token
// Coze refused before its expiry (revoked, or the server forgot it): one
// refresh under the lock, through the Manager as every command's, then the
// new token is checked.
func (ps *profileStatus) recheck(ctx context.Context) *tokenCheck {
	rec, err := ps.manager.Refresh(ctx)
	if err != nil {
		c := failedCheck(err)
		c.Error = refreshFailed + c.Error
		return c
	}
	c := &tokenCheck{Result: checkOK}
	if c.User, err = ps.manager.Client("").Me(ctx, rec.AccessToken); err != nil {
		c = failedCheck(err)
	}
	c.Refreshed = true
	return c
}

// failedCheck sorts a failure into refused (Coze turned the token down),
// login_required (no token could be had), unreachable, or failed.
func failedCheck(err error) *tokenCheck {
	c := &tokenCheck{Error: err.Error()}
	var (
		ae *coze.APIError
		ne net.Error
	)
	switch {
	case auth.IsLoginRequired(err):
		c.Result = checkLoginRequired
	case errors.As(err, &ae):
		c.HTTPStatus, c.LogID = ae.StatusCode, ae.LogID
		if ae.Code != 0 {
			c.Code = &ae.Code
		}
		c.Result = checkFailed
		if refusedByCoze(ae) {
			c.Result = checkRefused
		}
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		c.Result = checkUnreachable
	default:
		c.Result = checkFailed
	}
	return c
}

// issuerMismatch is exit 2 when a profile shown has tokens of another
// issuer than this run resolves, as `token` answers it; the output already
// says so (its problem), so the error adds nothing to print. Nothing was
// sent with those tokens.
func issuerMismatch(list []*profileStatus) error {
	for _, ps := range list {
		if ps.State == auth.StateIssuerMismatch {
			return &ExitError{Code: ExitUsage}
		}
	}
	return nil
}

// refusedByCoze says whether Coze turned the token down, rather than
// failing on its side.
func refusedByCoze(e *coze.APIError) bool {
	return coze.TokenRefused(e.Code) || e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// needsLogin says whether the profile needs `cozeauth login` (or another
// token) before commands can use it.
func (ps *profileStatus) needsLogin() bool {
	if !ps.LoggedIn {
		return true
	}
	return ps.Check != nil && (ps.Check.Result == checkRefused || ps.Check.Result == checkLoginRequired)
}

// statusExit is 4 when any profile shown needs a login, else 1 when --check
// could not tell for one, else 0.
func statusExit(list []*profileStatus) error {
	code := ExitOK
	for _, ps := range list {
		switch {
		case ps.needsLogin():
			return &ExitError{Code: ExitLoginRequired}
		case ps.Check != nil && ps.Check.Result != checkOK:
			code = ExitFailure
		}
	}
	if code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

// text says in words what --check found.
func (c *tokenCheck) text(next func(name string) string) string {
	switch c.Result {
	case checkOK:
		msg := "ok: Coze accepts the token"
		if c.Refreshed {
			msg = "ok after a refresh: Coze refused the access token, so it was refreshed, and accepts the new one"
		}
		if c.User != nil {
			msg += " of " + c.User.Display()
		}
		return msg
	case checkRefused:
		if c.Refreshed {
			return "refused: " + c.Error + ", even after a refresh; run `" + next("login") + "`"
		}
		return "refused: " + c.Error + "; run `" + next("login") + "`"
	case checkLoginRequired:
		return "login required: " + c.Error
	case checkUnreachable, checkFailed:
		if strings.HasPrefix(c.Error, refreshFailed) { // the refresh token may still be good
			return "could not refresh: " + c.Error + "; run `" + next("refresh") + "` again when Coze answers"
		}
		if c.Result == checkUnreachable {
			return "could not reach Coze: " + c.Error
		}
	}
	return "could not check: " + c.Error
}

// sourceText names where the token comes from for people.
func (ps *profileStatus) sourceText() string {
	switch ps.Source {
	case auth.SourceEnv:
		return "$COZE_API_TOKEN (used as it is: no store, no refresh)"
	case auth.SourceKeyring:
		return "the system keyring"
	case auth.SourceFile:
		return "the token file"
	case auth.SourceShared:
		return "the shared store (this machine keeps a copy in its token file)"
	}
	return "-"
}

func printStatus(w io.Writer, ps *profileStatus, now time.Time) error {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-16s %s\n", k+":", v) }
	if ps.Default && ps.Profile != "default" {
		row("Profile", coze.Sanitize(ps.Profile)+" (the default, chosen by `cozeauth use`)")
	} else {
		row("Profile", coze.Sanitize(ps.Profile))
	}
	row("Region", fmt.Sprintf("%s (%s)", ps.Region, ps.APIBase))
	row("Consent page", ps.WWWBase)
	app := "-"
	if ps.ClientID != "" {
		app = fmt.Sprintf("%s %s", ps.AppType, ps.ClientID)
	}
	row("App", app)
	if ps.WorkspaceID != "" {
		row("Workspace", ps.WorkspaceID)
	}
	if ps.LoggedIn {
		row("Logged in", "yes")
	} else {
		row("Logged in", "no, "+ps.Problem)
	}
	row("Token source", ps.sourceText())
	if ps.User != nil {
		row("User", ps.User.Display())
	}
	if ps.AccessToken != "" {
		row("Access token", ps.AccessToken)
	}
	if t := ps.AccessExpiresAt; t != nil {
		row("Access expires", fmt.Sprintf("%s (%s)", t.Local().Format(time.RFC3339), timefmt.Relative(*t, now)))
	}
	if t := ps.RefreshExpiresAt; t != nil {
		row("Refresh expires", fmt.Sprintf("%s (%s)", t.Local().Format(time.RFC3339), timefmt.Relative(*t, now)))
	}
	if ps.Renewal != "" {
		row("Renewal", ps.Renewal)
	}
	if t := ps.NextMintAt; t != nil {
		row("Next mint", fmt.Sprintf("%s (%s)", t.Local().Format(time.RFC3339), timefmt.Relative(*t, now)))
	}
	if ps.Storage != "" {
		row("Storage", ps.Storage)
	}
	if ps.Check != nil {
		row("Check", ps.Check.text(ps.next))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printStatusTable is `status --all`: a row per profile, fitted to a
// terminal's width and whole elsewhere ([globals.tableWidth]), then a
// sentence for each profile that needs something done.
func (g *globals) printStatusTable(w io.Writer, list []*profileStatus) error {
	now := g.now()
	checked := anyChecked(list)
	t := &table{header: []string{"PROFILE", "SOURCE", "REGION", "APP", "ACCOUNT", "LOGGED IN", "ACCESS", "REFRESH"}, shrink: []int{4, 0}, drop: []int{3, 2, 1, 6}, soft: map[int]int{4: 16}}
	if checked {
		t.header = append(t.header, "CHECK")
	}
	var notes []string
	for _, ps := range list {
		account, app, in := "-", "-", "yes"
		if ps.User != nil {
			account = ps.User.Display()
		}
		if ps.ClientID != "" {
			app = string(ps.AppType)
		}
		if !ps.LoggedIn {
			in = "no"
			notes = append(notes, fmt.Sprintf("Profile %q: %s", ps.Profile, ps.Problem))
		}
		cells := []string{markDefault(ps.Profile, ps.Default), ps.Source, string(ps.Region), app, account, in, timeLeft(ps.AccessExpiresAt, now), refreshLeft(ps.Status, now)}
		if ps.Source == auth.SourceEnv {
			cells[6], cells[7] = "unknown", "-"
		}
		if checked {
			cells = append(cells, checkCell(ps.Check))
		}
		if ps.Check != nil && ps.Check.Result != checkOK {
			notes = append(notes, fmt.Sprintf("Profile %q: %s", ps.Profile, ps.Check.text(ps.next)))
		}
		t.add(cells...)
	}
	if err := t.render(w, g.tableWidth(w)); err != nil {
		return err
	}
	width := g.outputWidth(w)
	var b strings.Builder
	if g.envToken() != "" {
		notes = append(notes, "$COZE_API_TOKEN is set: every command uses it, whatever the profile.")
	}
	for _, n := range notes {
		b.WriteString(wrapWords(n, width, ""))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func anyChecked(list []*profileStatus) bool {
	for _, ps := range list {
		if ps.Check != nil {
			return true
		}
	}
	return false
}

// checkCell is the CHECK column: the result in a word or two.
func checkCell(c *tokenCheck) string {
	if c == nil {
		return "-"
	}
	return strings.ReplaceAll(c.Result, "_", " ")
}

// timeLeft is a token's time left in a table cell: days while there are
// at least two, else hours and minutes; "expired" after, "-" when unknown.
func timeLeft(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	left := t.Sub(now)
	switch {
	case left <= 0:
		return "expired"
	case left >= 48*time.Hour:
		return fmt.Sprintf("%d days left", timefmt.DaysLeft(left))
	}
	return timefmt.Compact(left.Round(time.Second)) + " left"
}

// refreshLeft is the REFRESH cell: the refresh token's time left, or
// "refused" once Coze refused it (it has no life left to show).
func refreshLeft(s *auth.Status, now time.Time) string {
	if s.State == auth.StateRefused {
		return "refused"
	}
	return timeLeft(s.RefreshExpiresAt, now)
}
