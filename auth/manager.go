package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

	// UserAgent names the program in every request to Coze; "" means
	// DefaultUserAgent.
	UserAgent string
	// Pending counts this Manager's refreshes and code exchanges under way;
	// share one between all of a program's Managers and wait on it (or call
	// [Manager.Close]) before exiting. nil means the Manager's own.
	Pending *Pending

	own      Pending
	lockWait time.Duration // lockWaitWhileUsable, shorter in tests
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

// errUseCurrent says the lock was not had in time but the current access
// token is still good enough to hand out.
var errUseCurrent = errors.New("another cozeauth is still refreshing; using the current access token")

// refresh renews the profile's tokens in named steps: take the lock, re-read
// the record under it, renew with the grant that fits the record, keep the
// result. before is the record as read without the lock, to tell whether
// another process rotated the token meanwhile.
func (m *Manager) refresh(ctx context.Context, force bool, before *Record) (*Record, error) {
	defer m.pending().begin()()
	l, err := m.lockForRefresh(ctx, force, before)
	if errors.Is(err, errUseCurrent) {
		m.Store.warn("warning: " + err.Error())
		return before, nil
	}
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	rec, renew, err := m.reread(l, force, before)
	if err != nil || renew == nil {
		return rec, err
	}
	tok, err := m.renew(ctx, rec, renew)
	if err != nil {
		return m.renewFailed(rec, force, err)
	}
	return m.keep(l, rec, tok)
}

// usable reports whether before may still be handed out when a refresh
// cannot be had: never for an explicit refresh.
func (m *Manager) usable(force bool, before *Record) bool {
	return !force && before.ValidForMargin(m.now(), stillUsable)
}

// lockForRefresh takes the store's lock. While the current token is still
// usable it waits only a little for another process's refresh, then answers
// errUseCurrent.
func (m *Manager) lockForRefresh(ctx context.Context, force bool, before *Record) (*Locked, error) {
	lockCtx := ctx
	if m.usable(force, before) {
		wait := lockWaitWhileUsable
		if m.lockWait > 0 {
			wait = m.lockWait
		}
		var cancel context.CancelFunc
		lockCtx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	l, err := m.Store.Lock(lockCtx)
	if err != nil {
		waitedOut := errors.Is(err, context.DeadlineExceeded) && lockCtx.Err() != nil && ctx.Err() == nil
		if waitedOut && m.usable(force, before) {
			return nil, errUseCurrent
		}
		return nil, err
	}
	return l, nil
}

// A grant obtains a new token pair for rec from Coze. Refreshing is one;
// another kind of app (a JWT-signing service app) plugs in its own.
type grant func(ctx context.Context, c *Client, rec *Record) (*Token, error)

// refreshGrant spends rec's refresh token.
func refreshGrant(ctx context.Context, c *Client, rec *Record) (*Token, error) {
	return c.Refresh(ctx, rec.RefreshToken)
}

// grantFor returns the grant that renews rec, or nil when none can.
func (m *Manager) grantFor(rec *Record) grant {
	if !rec.Refreshable(m.now()) {
		return nil
	}
	return refreshGrant
}

// reread loads the record under the lock, since another process may have
// rotated the refresh token while this one waited, and decides whether it
// still needs renewing: it returns the grant to use, or nil with the record
// to hand out (or the error that says why none can be).
func (m *Manager) reread(l *Locked, force bool, before *Record) (*Record, grant, error) {
	rec, err := l.Load(m.Config.Profile)
	if err != nil {
		return nil, nil, err
	}
	if rec == nil || rec.AccessToken == "" && rec.RefreshToken == "" {
		return nil, nil, m.loginRequired("no token is stored", nil)
	}
	now := m.now()
	rotatedMeanwhile := before != nil && before.RefreshToken != rec.RefreshToken
	if rec.ValidForMargin(now, m.Config.Margin()) && (!force || rotatedMeanwhile) {
		return rec, nil, nil
	}
	g := m.grantFor(rec)
	switch {
	case g != nil:
		return rec, g, nil
	case rec.ValidFor(now, 0) && !force:
		return rec, nil, nil // no way to renew, but still good for a while
	}
	return nil, nil, m.loginRequired("the refresh token has expired (it lives 30 days)", nil)
}

// renew runs the grant, retrying what may pass.
func (m *Manager) renew(ctx context.Context, rec *Record, g grant) (*Token, error) {
	client := m.Client(rec.ClientSecret)
	for try := 0; ; try++ {
		if err := ctx.Err(); err != nil { // nothing sent yet: safe to give up
			return nil, err
		}
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCallTimeout)
		tok, err := g(callCtx, client, rec)
		cancel()
		if err == nil {
			return tok, nil
		}
		if err := m.final(err); err != nil {
			return nil, err
		}
		if try+1 >= refreshTries || ctx.Err() != nil {
			return nil, fmt.Errorf("%w (tried %d times; the stored token was kept, try again later)", err, try+1)
		}
		if err := m.sleep(ctx, refreshBackoff[min(try, len(refreshBackoff)-1)]); err != nil {
			return nil, err
		}
	}
}

// final returns the error to end the retries with, or nil when err may
// pass: a 5xx, a 408, a 429 or a network error. A refusal (another 4xx, or
// an error body on a 2xx) means only a login helps.
func (m *Manager) final(err error) error {
	var oe *OAuthError
	if !errors.As(err, &oe) {
		return nil
	}
	passing := oe.StatusCode == http.StatusRequestTimeout || oe.StatusCode == http.StatusTooManyRequests
	switch class := oe.StatusCode / 100; {
	case class == 4 && !passing || class == 2 && oe.Code != "":
		return m.loginRequired("coze refused the refresh token", err)
	case class == 2:
		// Coze may have rotated already: a retry would only be refused.
		return fmt.Errorf("%w (the stored token was kept; if the next try says login required, run `cozeauth login`)", err)
	}
	return nil
}

// renewFailed hands out the current token when Coze is unreachable for now
// but the token still works: better than failing a script.
func (m *Manager) renewFailed(rec *Record, force bool, err error) (*Record, error) {
	if IsLoginRequired(err) || !m.usable(force, rec) {
		return nil, err
	}
	m.Store.warn(fmt.Sprintf("warning: could not refresh (%v); using the current access token, which expires %s", err, rec.Expiry.Local().Format(time.RFC3339)))
	return rec, nil
}

// keep saves the renewed pair. The rotated refresh token must be on disk
// before the access token is handed out: the old one is already dead at Coze.
func (m *Manager) keep(l *Locked, rec *Record, tok *Token) (*Record, error) {
	if tok.RefreshToken == "" { // Coze always rotates; keep the old one if it ever does not
		tok.RefreshToken, tok.RefreshExpiry = rec.RefreshToken, rec.RefreshExpiry
	}
	next := *rec
	next.Token = *tok
	if err := l.Save(m.Config.Profile, &next); err != nil {
		return nil, fmt.Errorf("refreshed, but could not save the new tokens (the old refresh token no longer works; run `cozeauth login` if this persists): %w", err)
	}
	return &next, nil
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
	if rec.ClientSecret != "" {
		st.AppType = AppWeb
	}
	now := m.now()
	st.LoggedIn = rec.LoggedIn(now)
	st.AccessToken = Mask(rec.AccessToken)
	st.User = rec.User
	st.AccessExpiresAt = timePtr(rec.Expiry)
	st.RefreshExpiresAt = timePtr(rec.RefreshExpiry)
	st.IssuedAt = timePtr(rec.IssuedAt)
	return st, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
