package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
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

	// InFlight, when set, is held for reading by every refresh under way, so
	// that a program about to exit can take it for writing to wait for them
	// rather than lose a rotated token.
	InFlight *sync.RWMutex

	lockWait time.Duration // lockWaitWhileUsable, shorter in tests
}

// refreshTries and refreshBackoff bound retries of a refresh that failed with
// a 5xx or a network error. A 4xx is never retried: Coze has refused the
// refresh token and only a login helps.
const refreshTries = 3

// stillUsable is how long an access token must still live to be handed out
// when a refresh inside the margin failed for a passing reason.
const stillUsable = time.Minute

var refreshBackoff = [...]time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}

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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Client is a token client for this profile; secret overrides the configured
// client secret when not empty.
func (m *Manager) Client(secret string) *Client {
	cfg := m.Config
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = secret
	}
	return NewClient(cfg, m.HTTP, m.now)
}

func (m *Manager) loginRequired(reason string, err error) error {
	return &LoginRequiredError{Profile: m.Config.Profile, Reason: reason, Err: err}
}

// Token returns a record whose access token is valid for longer than the
// refresh margin, refreshing it first if needed. With such a token on disk it
// reads one file and makes no network call.
func (m *Manager) Token(ctx context.Context) (*Record, error) {
	rec, err := m.Store.Load(m.Config.Profile)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, m.loginRequired("no token is stored", nil)
	}
	if rec.ValidForMargin(m.now(), m.Config.Margin()) {
		return rec, nil
	}
	return m.refresh(ctx, false, rec)
}

// Refresh refreshes the token now, whatever its remaining life.
func (m *Manager) Refresh(ctx context.Context) (*Record, error) {
	before, _ := m.Store.Load(m.Config.Profile)
	return m.refresh(ctx, true, before)
}

// ValidForMargin reports whether r holds an access token valid beyond margin.
func (r *Record) ValidForMargin(now time.Time, margin time.Duration) bool {
	return r != nil && r.Token.ValidFor(now, margin)
}

// lockWaitWhileUsable bounds the wait for another process's refresh while
// the current access token still works: using it beats queueing behind
// another process's retries.
const lockWaitWhileUsable = 5 * time.Second

// refreshCallTimeout bounds one refresh call. The call is detached from the
// caller's cancellation: once Coze has rotated the refresh token, giving up
// on the answer would lose the new one and log the user out.
const refreshCallTimeout = 30 * time.Second

// refresh refreshes under the lock; before is the record as read without
// it, to tell whether another process rotated the token meanwhile.
func (m *Manager) refresh(ctx context.Context, force bool, before *Record) (*Record, error) {
	if m.InFlight != nil {
		m.InFlight.RLock()
		defer m.InFlight.RUnlock()
	}
	usable := func() bool { return !force && before.ValidForMargin(m.now(), stillUsable) }
	lockCtx := ctx
	if usable() {
		var cancel context.CancelFunc
		wait := lockWaitWhileUsable
		if m.lockWait > 0 {
			wait = m.lockWait
		}
		lockCtx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	l, err := m.Store.Lock(lockCtx)
	if err != nil {
		waitedOut := errors.Is(err, context.DeadlineExceeded) && lockCtx.Err() != nil && ctx.Err() == nil
		if waitedOut && usable() {
			m.Store.warn("warning: another cozeauth is still refreshing; using the current access token")
			return before, nil
		}
		return nil, err
	}
	defer l.Unlock()
	// Re-read under the lock: another process may have rotated the refresh
	// token while this one waited, and the old one no longer works.
	rec, err := l.Load(m.Config.Profile)
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.AccessToken == "" && rec.RefreshToken == "" {
		return nil, m.loginRequired("no token is stored", nil)
	}
	now := m.now()
	rotatedMeanwhile := before != nil && before.RefreshToken != rec.RefreshToken
	if rec.ValidForMargin(now, m.Config.Margin()) && (!force || rotatedMeanwhile) {
		return rec, nil
	}
	if m.Config.AppType() == AppJWT { // no refresh token: sign a new JWT
		return m.renewJWT(ctx, l, rec, force)
	}
	if !rec.Refreshable(now) {
		if rec.ValidFor(now, 0) && !force {
			return rec, nil // no way to refresh, but still good for a while
		}
		return nil, m.loginRequired("the refresh token has expired (it lives 30 days)", nil)
	}
	tok, err := m.refreshWithRetries(ctx, rec)
	if err != nil {
		if !IsLoginRequired(err) && !force && rec.ValidFor(m.now(), stillUsable) {
			// Coze is unreachable for now, but the token still works:
			// better to hand it out than to fail a script.
			m.Store.warn(fmt.Sprintf("warning: could not refresh (%v); using the current access token, which expires %s", err, rec.Expiry.Local().Format(time.RFC3339)))
			return rec, nil
		}
		return nil, err
	}
	if tok.RefreshToken == "" { // Coze always rotates; keep the old one if it ever does not
		tok.RefreshToken, tok.RefreshExpiry = rec.RefreshToken, rec.RefreshExpiry
	}
	next := *rec
	next.Token = *tok
	// The rotated refresh token must be on disk before the access token is
	// handed out: the old one is already dead at Coze.
	if err := l.Save(m.Config.Profile, &next); err != nil {
		return nil, fmt.Errorf("refreshed, but could not save the new tokens (the old refresh token no longer works; run `cozeauth login` if this persists): %w", err)
	}
	return &next, nil
}

// refreshWithRetries retries a 5xx, a 408, a 429 or a network error; a
// refusal (another 4xx, or an error body on a 2xx) means only a login helps.
func (m *Manager) refreshWithRetries(ctx context.Context, rec *Record) (*Token, error) {
	client := m.Client(rec.ClientSecret)
	for try := 0; ; try++ {
		if err := ctx.Err(); err != nil { // nothing sent yet: safe to give up
			return nil, err
		}
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCallTimeout)
		tok, err := client.Refresh(callCtx, rec.RefreshToken)
		cancel()
		if err == nil {
			return tok, nil
		}
		var oe *OAuthError
		if errors.As(err, &oe) {
			passing := oe.StatusCode == http.StatusRequestTimeout || oe.StatusCode == http.StatusTooManyRequests
			switch class := oe.StatusCode / 100; {
			case class == 4 && !passing || class == 2 && oe.Code != "":
				return nil, m.loginRequired("coze refused the refresh token", err)
			case class == 2:
				// Coze may have rotated already: a retry would only be refused.
				return nil, fmt.Errorf("%w (the stored token was kept; if the next try says login required, run `cozeauth login`)", err)
			}
		}
		if try+1 >= refreshTries || ctx.Err() != nil {
			return nil, fmt.Errorf("%w (tried %d times; the stored token was kept, try again later)", err, try+1)
		}
		if err := m.sleep(ctx, refreshBackoff[min(try, len(refreshBackoff)-1)]); err != nil {
			return nil, err
		}
	}
}

// Logout forgets the profile's tokens. Coze documents no revocation endpoint,
// so the tokens stay valid at Coze until they expire.
func (m *Manager) Logout(ctx context.Context) (bool, error) {
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

// Status describes a profile for `cozeauth status` and the dashboard.
type Status struct {
	Profile          string     `json:"profile"`
	Region           Region     `json:"region"`
	APIBase          string     `json:"api_base"`
	ClientID         string     `json:"client_id"`
	AppType          AppType    `json:"app_type"`
	LoggedIn         bool       `json:"logged_in"`
	AccessToken      string     `json:"access_token"` // masked
	AccessExpiresAt  *time.Time `json:"access_token_expires_at"`
	RefreshExpiresAt *time.Time `json:"refresh_token_expires_at"`
	IssuedAt         *time.Time `json:"issued_at,omitempty"`
	User             *User      `json:"user,omitempty"`
	Storage          string     `json:"storage"`
	// Source is "store", or "env" for a static $COZE_API_TOKEN.
	Source      string `json:"source"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	// Renewal and NextMintAt describe a JWT profile's tokens.
	Renewal    string     `json:"renewal,omitempty"`
	NextMintAt *time.Time `json:"next_mint_at,omitempty"`
}

// Status reads the profile's state without touching the network.
func (m *Manager) Status() (*Status, error) {
	st := &Status{
		Profile:  m.Config.Profile,
		Region:   m.Config.regionOrDefault(),
		APIBase:  m.Config.API(),
		ClientID: m.Config.ClientID,
		AppType:  m.Config.AppType(),
		Storage:  m.Store.Path(),
		Source:   "store",

		WorkspaceID: m.Config.WorkspaceID,
	}
	rec, err := m.Store.Load(m.Config.Profile)
	var ke *KeyringError
	if errors.As(err, &ke) {
		m.Store.warn("warning: " + err.Error())
		rec, err = m.Store.Meta(m.Config.Profile)
	}
	if err != nil {
		return st, err
	}
	if rec == nil {
		return st, nil
	}
	if rec.ClientSecret != "" && m.Config.Settings.AppType == "" {
		st.AppType = AppWeb
	}
	now := m.now()
	st.LoggedIn = rec.LoggedIn(now)
	st.AccessToken = Mask(rec.AccessToken)
	st.User = rec.User
	st.AccessExpiresAt = timePtr(rec.Expiry)
	st.RefreshExpiresAt = timePtr(rec.RefreshExpiry)
	st.IssuedAt = timePtr(rec.IssuedAt)
	if st.AppType == AppJWT {
		m.jwtStatus(st, rec)
	}
	return st, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
