package auth

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/wait"
)

// Manager gives out valid access tokens for one profile, refreshing them
// through the [Store] so that any number of processes share one rotating
// refresh token without ever using a stale one.
type Manager struct {
	Config Config
	Store  *Store
	HTTP   *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between refresh attempts; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error

	// UserAgent names the program in every request to Coze; "" means
	// DefaultUserAgent.
	UserAgent string
	// Pending counts this Manager's refreshes and code exchanges under way;
	// share one between all of a program's Managers and wait on it (or call
	// [Manager.Close]) before exiting. nil means the Manager's own.
	Pending *Pending
	// Renewer, when set, runs the renewals (a refresh or a JWT mint, and
	// the save after it) somewhere else; the cozeauth command runs them in
	// a process of its own, which a SIGKILL of the command does not stop.
	// nil, what [Open] gives, renews in this process.
	Renewer Renewer

	own          Pending
	marginWarned atomic.Bool
	// Shorter in tests: lockWaitWhileUsable, refreshDeadline, tryTimeout.
	lockWait, deadline, perTry time.Duration
}

func (m *Manager) pending() *Pending {
	if m.Pending != nil {
		return m.Pending
	}
	return &m.own
}

// Close waits until no refresh or code exchange of this Manager (and of the
// others sharing its [Pending]) is under way, so that every token Coze
// rotated is saved, or until ctx ends. The Manager stays usable.
func (m *Manager) Close(ctx context.Context) error {
	return m.pending().Wait(ctx)
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) sleep(ctx context.Context, d time.Duration) error {
	if m.Sleep != nil {
		return m.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}

// Client is a token client for this profile; secret overrides the configured
// client secret when not empty.
func (m *Manager) Client(secret string) *Client {
	cfg := m.Config
	if secret != "" {
		cfg.ClientSecret = secret
	}
	c := NewClient(cfg, m.HTTP, m.now)
	if m.UserAgent != "" {
		c.UserAgent = m.UserAgent
	}
	return c
}

func (m *Manager) loginRequired(reason string, err error) error {
	return &LoginRequiredError{Profile: m.Config.Profile, Reason: reason, Err: err}
}

// Token returns a record whose access token is valid for longer than the
// refresh margin, refreshing it first if needed. With such a token on disk it
// reads one file and makes no network call. Tokens are only used with the
// issuer that gave them ([IssuerMismatchError]); a profile whose refresh
// Coze refused stays logged out without asking Coze again.
func (m *Manager) Token(ctx context.Context) (*Record, error) {
	rec, err := m.records().load(ctx)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, m.loginRequired(m.noToken(), nil)
	}
	if err := m.checkIssuer(rec); err != nil {
		return nil, err
	}
	if rec.refused() {
		return nil, m.refusedError(rec)
	}
	if rec.ValidForMargin(m.now(), m.margin(rec)) {
		return rec, nil
	}
	return m.refresh(ctx, false, rec)
}

// Refresh refreshes the token now, whatever its remaining life, even after
// a refusal; a refresh that Coze accepts clears the failure markers.
func (m *Manager) Refresh(ctx context.Context) (*Record, error) {
	before, _ := m.records().load(ctx)
	if before != nil {
		if err := m.checkIssuer(before); err != nil {
			return nil, err
		}
	}
	return m.refresh(ctx, true, before)
}

// noToken says that the profile has no tokens, and where they were looked for
// when that is not this machine's token file.
func (m *Manager) noToken() string {
	if m.Config.IsShared() {
		return "no token is stored in the shared store " + RedactStorage(m.Config.Storage)
	}
	return "no token is stored"
}

// ValidForMargin reports whether r holds an access token valid beyond margin.
func (r *Record) ValidForMargin(now time.Time, margin time.Duration) bool {
	return r != nil && r.Token.ValidFor(now, margin)
}

// Logout forgets the profile's tokens. Coze documents no revocation endpoint,
// so the tokens stay valid at Coze until they expire.
func (m *Manager) Logout(ctx context.Context) (bool, error) {
	if m.Config.IsShared() {
		return m.logoutShared(ctx)
	}
	l, err := m.Store.Lock(ctx)
	if err != nil {
		return false, err
	}
	defer l.Unlock()
	rec, err := l.s.Meta(m.Config.Profile) // the secrets are not needed to forget them
	if err != nil {
		return false, err
	}
	if rec == nil {
		return false, nil
	}
	return true, l.Delete(m.Config.Profile)
}

// logoutShared deletes the shared record, which logs out every machine, and
// this machine's cache of it.
func (m *Manager) logoutShared(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, lockWaitAtMost)
	defer cancel()
	h, err := sharedRecords{m}.lockShared(ctx)
	if err != nil {
		return false, err
	}
	defer h.unlock()
	if err := h.remove(); err != nil {
		return false, err
	}
	cached, err := m.Store.Meta(m.Config.Profile)
	had := h.version != 0 || cached != nil
	if err != nil {
		return had, err
	}
	return had, h.local.Delete(m.Config.Profile)
}

// Status describes a profile for `cozeauth status`, `cozeauth profiles` and
// the dashboard: all of them show its State and Problem as they are here.
type Status struct {
	Profile  string      `json:"profile"`
	Region   coze.Region `json:"region"`
	APIBase  string      `json:"api_base"`
	ClientID string      `json:"client_id"`
	AppType  AppType     `json:"app_type"`
	// State is the login state; LoggedIn is State == [StateLoggedIn].
	State    State `json:"state"`
	LoggedIn bool  `json:"logged_in"`
	// Problem says, when the profile is not logged in, what is wrong and
	// the command that mends it, in one sentence.
	Problem string `json:"problem,omitempty"`
	// LoggedOutReason says why a profile with tokens is logged out: Coze
	// refused its refresh token.
	LoggedOutReason string     `json:"logged_out_reason,omitempty"`
	AccessToken     string     `json:"access_token"` // masked
	AccessExpiresAt *time.Time `json:"access_token_expires_at"`
	// RefreshExpiresAt is when the refresh token runs out; nil when there
	// is none to use: a JWT app, or one Coze refused.
	RefreshExpiresAt *time.Time `json:"refresh_token_expires_at"`
	IssuedAt         *time.Time `json:"issued_at,omitempty"`
	User             *coze.User `json:"user,omitempty"`
	Storage          string     `json:"storage"`
	// Source is where the tokens are: [SourceFile], [SourceKeyring],
	// [SourceNone], or (set by the command) [SourceEnv].
	Source      string `json:"source"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	// Renewal and NextMintAt describe a JWT profile's tokens.
	Renewal    string     `json:"renewal,omitempty"`
	NextMintAt *time.Time `json:"next_mint_at,omitempty"`
	// KeyProblem says why a JWT profile cannot mint its next token: its
	// private key file cannot be read. It names the file and the login
	// that fixes it; "" when the key is there.
	KeyProblem string `json:"-"`
	// RenewMargin is how long before AccessExpiresAt the token is renewed:
	// [Config.RenewMargin] of the saved token (0 without one).
	RenewMargin time.Duration `json:"-"`
}

// Where a profile's tokens are, in [Status.Source].
const (
	SourceFile    = "store"   // the token file
	SourceKeyring = "keyring" // the system keyring (the token file keeps the expiry)
	SourceEnv     = "env"     // $COZE_API_TOKEN, used as it is
	SourceNone    = "none"    // no tokens
	SourceShared  = "shared"  // a shared engine (the token file is this machine's cache)
)

// Status reads the profile's state without touching the network.
func (m *Manager) Status() (*Status, error) {
	rec, err := m.Store.Load(m.Config.Profile)
	var ke *KeyringError
	if errors.As(err, &ke) {
		m.Store.warn("warning: " + err.Error())
		rec, err = m.Store.Meta(m.Config.Profile)
	}
	if err != nil {
		return m.StatusOf(nil), err
	}
	return m.StatusOf(rec), nil
}

// StatusOf describes the profile with rec stored (nil: none), as
// [Manager.Status] does with what the store holds: for a login that has
// rec in hand when the store cannot be read back.
func (m *Manager) StatusOf(rec *Record) *Status {
	st := &Status{
		Profile:  m.Config.Profile,
		Region:   m.Config.regionOrDefault(),
		APIBase:  m.Config.API(),
		ClientID: m.Config.ClientID,
		AppType:  m.Config.AppType(),
		Storage:  m.records().name(),
		Source:   SourceNone,

		WorkspaceID: m.Config.WorkspaceID,
	}
	now := m.now()
	if rec == nil {
		m.decideState(st, nil, now)
		return st
	}
	st.Source = SourceFile
	switch {
	case rec.InKeyring():
		st.Source = SourceKeyring
	case m.Config.IsShared():
		st.Source = SourceShared
	}
	st.AppType = m.Config.appTypeWith(rec)
	if rec.refused() {
		st.LoggedOutReason = rec.Failure.String()
	}
	st.AccessToken = Mask(rec.AccessToken)
	st.User = rec.User
	st.AccessExpiresAt = timePtr(rec.Expiry)
	if !rec.refused() { // a refused refresh token has no life left to show
		st.RefreshExpiresAt = timePtr(rec.RefreshExpiry)
	}
	st.IssuedAt = timePtr(rec.IssuedAt)
	st.RenewMargin = m.Config.RenewMargin(rec)
	if st.AppType == AppJWT {
		m.jwtStatus(st, rec)
	}
	m.decideState(st, rec, now)
	return st
}

// appTypeWith is the app type of a profile with rec stored: a saved client
// secret means a web app when the settings do not say.
func (c Config) appTypeWith(rec *Record) AppType {
	if rec != nil && rec.ClientSecret != "" && c.Settings.AppType == "" {
		return AppWeb
	}
	return c.AppType()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
