package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The bounds of one refresh. A refresh as a whole ends within
// refreshDeadline, retries included; each try within tryTimeout; at most
// refreshTries tries. A 4xx, a redirect and a certificate that fails
// verification are never retried.
const (
	refreshDeadline = 20 * time.Second
	tryTimeout      = 10 * time.Second
	refreshTries    = 3
)

// refreshBackoff is the wait before the second and third try when Coze
// gave no Retry-After.
var refreshBackoff = [...]time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}

// stillUsable is how long an access token must still live to be handed out
// when a refresh inside the margin failed for a passing reason.
const stillUsable = time.Minute

// lockWaitWhileUsable bounds the wait for another process's refresh while
// the current access token still works: using it beats queueing behind
// another process's retries. Without a usable token a process waits for the
// holder's whole refresh, lockWaitAtMost at most.
const (
	lockWaitWhileUsable = 5 * time.Second
	lockWaitAtMost      = refreshDeadline + 10*time.Second
)

// failureMemory is how long a passing failure recorded by one process stops
// the others from trying again: those in line behind a refresh that just
// timed out do not each run their own.
const failureMemory = 30 * time.Second

// refreshCallTimeout bounds a code exchange and the HTTP client of [Open].
const refreshCallTimeout = 30 * time.Second

func (m *Manager) refreshDeadline() time.Duration {
	if m.deadline > 0 {
		return m.deadline
	}
	return refreshDeadline
}

func (m *Manager) tryTimeout() time.Duration {
	if m.perTry > 0 {
		return m.perTry
	}
	return tryTimeout
}

// useCurrent says the lock could not be had but the current access token
// is still good enough to hand out; its message is the warning to print.
type useCurrent struct{ msg string }

func (u *useCurrent) Error() string { return u.msg }

// errUseCurrent says the lock was not had in time.
var errUseCurrent = &useCurrent{"another cozeauth is still refreshing; using the current access token"}

// refresh renews the profile's tokens, through m.Renewer when one is set.
func (m *Manager) refresh(ctx context.Context, force bool, before *Record) (*Record, error) {
	if m.Renewer != nil {
		return m.Renewer.Renew(ctx, m, Renewal{Force: force, Before: before})
	}
	return m.renewHere(ctx, force, before)
}

// renewHere renews the profile's tokens in this process, in named steps:
// take the lock, re-read the record under it and decide, prove the store
// can take the result, renew with the grant that fits the record, keep the
// result (or the failure). before is the record as read without the lock,
// to tell whether another process rotated the token meanwhile.
func (m *Manager) renewHere(ctx context.Context, force bool, before *Record) (*Record, error) {
	defer m.pending().begin()()
	for attempt := 1; ; attempt++ {
		rec, err := m.renewOnce(ctx, force, before)
		switch {
		case !errors.Is(err, errLockLapsing):
			return rec, err
		case attempt == lockAttempts:
			return m.handOut(before, force, err)
		}
		// Nothing was sent: take the lock again, on a fresh lease.
	}
}

// renewOnce is one turn of renewHere under one holding of the lock.
func (m *Manager) renewOnce(ctx context.Context, force bool, before *Record) (*Record, error) {
	h, err := m.lockForRefresh(ctx, force, before)
	var uc *useCurrent
	if errors.As(err, &uc) {
		m.Store.warn("warning: " + err.Error())
		return before, nil
	}
	if err != nil {
		return nil, err
	}
	defer h.unlock()
	rec, renew, err := m.reread(h, force, before)
	if err != nil || renew == nil {
		return rec, err
	}
	if err := h.prepare(ctx); errors.Is(err, errLockLapsing) {
		return nil, err
	} else if err != nil {
		return m.handOut(rec, force, err)
	}
	tok, err := m.renew(ctx, rec, renew)
	if err != nil {
		return m.renewFailed(ctx, h, rec, force, err)
	}
	return m.keep(ctx, h, rec, tok)
}

// lockAttempts bounds how often a renewal takes a shared lock again that
// lapsed, or whose engine failed, before anything was sent to Coze.
const lockAttempts = 3

// usable reports whether r may still be handed out when a refresh cannot be
// had: never for an explicit refresh.
func (m *Manager) usable(force bool, r *Record) bool {
	return !force && r.ValidForMargin(m.now(), stillUsable)
}

// lockForRefresh takes the profile's lock. While the current token is
// still usable it waits only a little for another process's refresh, then
// answers errUseCurrent; otherwise it waits for the holder's refresh to end.
// A shared engine that cannot be reached while the token is still valid
// also answers errUseCurrent: the token works whatever the engine does.
func (m *Manager) lockForRefresh(ctx context.Context, force bool, before *Record) (heldRecords, error) {
	wait := lockWaitAtMost
	if m.usable(force, before) {
		wait = lockWaitWhileUsable
		if m.lockWait > 0 {
			wait = m.lockWait
		}
	}
	if m.usable(force, before) && !before.EngineFailedAt.IsZero() && m.now().Sub(before.EngineFailedAt) < failureMemory {
		return nil, &useCurrent{fmt.Sprintf("the shared store %s could not be reached moments ago; using the current access token, which expires %s", RedactStorage(m.Config.Storage), before.Expiry.Local().Format(time.RFC3339))}
	}
	lockCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	h, err := m.records().lock(lockCtx)
	if err == nil {
		return h, nil
	}
	var ee *EngineError
	if errors.As(err, &ee) && !errors.Is(err, context.DeadlineExceeded) && !force && before != nil && before.ValidFor(m.now(), 0) && ctx.Err() == nil {
		return nil, &useCurrent{fmt.Sprintf("%v; using the cached access token, which expires %s", err, before.Expiry.Local().Format(time.RFC3339))}
	}
	if waitedOut := errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil; waitedOut {
		if m.usable(force, before) {
			if errors.As(err, &ee) {
				return nil, &useCurrent{fmt.Sprintf("could not take the shared lock in %s within %s (it cannot be reached, or another machine is refreshing); using the current access token", ee.Storage, wait)}
			}
			return nil, errUseCurrent
		}
		return nil, fmt.Errorf("another cozeauth has held the token store's lock for %s: %w", wait, err)
	}
	return nil, err
}

// A grant obtains a new token pair for rec from Coze. Refreshing is one;
// another kind of app (a JWT-signing service app) plugs in its own through
// [Manager.grantFor].
type grant func(ctx context.Context, c *Client, rec *Record) (*Token, error)

// refreshGrant spends rec's refresh token.
func refreshGrant(ctx context.Context, c *Client, rec *Record) (*Token, error) {
	return c.Refresh(ctx, rec.RefreshToken)
}

// grantFor returns the grant that renews rec, or nil when none can: a JWT
// app mints, any other spends its refresh token.
func (m *Manager) grantFor(rec *Record) grant {
	switch {
	case m.Config.AppType() == AppJWT:
		return m.jwtGrant
	case !rec.Refreshable(m.now()):
		return nil
	}
	return refreshGrant
}

// refusal says what Coze refused when a grant gets a 4xx.
func (m *Manager) refusal() string {
	if m.Config.AppType() == AppJWT {
		return "coze refused the JWT (check the key, its public key id and the region)"
	}
	return "coze refused the refresh token"
}

// reread loads the record under the lock, since another process may have
// rotated the refresh token, logged in again or failed while this one
// waited, and decides whether it still needs renewing: it returns the grant
// to use, or nil with the record to hand out (or the error saying why none
// can be).
func (m *Manager) reread(h heldRecords, force bool, before *Record) (*Record, grant, error) {
	rec, err := h.load()
	if err != nil {
		return nil, nil, err
	}
	if rec == nil || rec.AccessToken == "" && rec.RefreshToken == "" {
		return nil, nil, m.loginRequired(m.noToken(), nil)
	}
	if err := m.checkIssuer(rec); err != nil {
		return nil, nil, err
	}
	if r, done, err := m.settledMeanwhile(rec, force, before); done {
		return r, nil, err
	}
	now := m.now()
	g := m.grantFor(rec)
	switch {
	case g != nil:
		return rec, g, nil
	case rec.ValidFor(now, 0) && !force:
		return rec, nil, nil // no way to renew, but still good for a while
	}
	return nil, nil, m.loginRequired("the refresh token has expired (it lives 30 days)", nil)
}

// settledMeanwhile reports whether what another process did while this one
// waited for the lock settles the matter: a token it refreshed (used, even
// if a large margin would want another), a refusal it met, or a passing
// failure it met moments ago (not repeated: its outcome is used).
func (m *Manager) settledMeanwhile(rec *Record, force bool, before *Record) (*Record, bool, error) {
	now := m.now()
	rotatedMeanwhile := before != nil && before.RefreshToken != rec.RefreshToken && rec.RefreshToken != ""
	switch {
	case rec.refused() && !force:
		return nil, true, m.refusedError(rec)
	case rec.ValidForMargin(now, m.margin(rec)) && (!force || rotatedMeanwhile):
		return rec, true, nil
	case rotatedMeanwhile && !force && rec.ValidFor(now, stillUsable) && rec.Failure == nil:
		return rec, true, nil // refreshed moments ago by the process waited for
	case force || rec.Failure == nil || rec.Failure.Refused || now.Sub(rec.Failure.At) >= failureMemory:
		return nil, false, nil
	}
	err := fmt.Errorf("another cozeauth could not refresh moments ago: %s; try again shortly", rec.Failure)
	r, err := m.handOut(rec, force, err)
	return r, true, err
}

// renew runs the grant within the refresh deadline, retrying what may pass.
// Once a try is sent it is not abandoned when ctx ends: Coze may already
// have rotated the refresh token, and only the answer holds the new one.
func (m *Manager) renew(ctx context.Context, rec *Record, g grant) (*Token, error) {
	client := m.Client(rec.ClientSecret)
	budget := m.refreshDeadline()
	overall, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	end := m.now().Add(budget)
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil { // nothing sent yet: safe to give up
			return nil, err
		}
		callCtx, cancelTry := context.WithTimeout(overall, m.tryTimeout())
		tok, err := g(callCtx, client, rec)
		timedOut := callCtx.Err() != nil
		cancelTry()
		if err == nil {
			return tok, nil
		}
		if timedOut && errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("coze did not answer within %s: %w", min(m.tryTimeout(), budget), err)
		}
		wait, again := retryable(err, try)
		if !again {
			return nil, m.final(err)
		}
		if try >= refreshTries || overall.Err() != nil || m.now().Add(wait).After(end) {
			if timedOut {
				// The request went out: Coze may have rotated the refresh
				// token and lost its answer on the way back.
				return nil, fmt.Errorf("%w (tried %d times; the stored token was kept, try again later — if Coze refused it then, the answer that rotated it was lost and only `cozeauth login` helps)", err, try)
			}
			return nil, fmt.Errorf("%w (tried %d times; the stored token was kept, try again later)", err, try)
		}
		if err := m.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// retryable says whether a failed try may be repeated, and after how long:
// a 5xx (after its Retry-After, if any) or a failure below HTTP. Never a
// 4xx, a 2xx that is not a token, a redirect, a certificate that fails
// verification, or a failure before anything was sent (a JWT app's missing
// key): trying again changes nothing.
func retryable(err error, try int) (time.Duration, bool) {
	backoff := refreshBackoff[min(try-1, len(refreshBackoff)-1)]
	var oe *OAuthError
	var re *GrantRedirectError
	switch {
	case errors.As(err, &oe):
		if oe.StatusCode/100 != 5 {
			return 0, false
		}
		if oe.RetryAfter > 0 {
			return oe.RetryAfter, true
		}
		return backoff, true
	case errors.As(err, &re), isCertificateError(err):
		return 0, false
	}
	var ue *url.Error // the request failed below HTTP: a timeout, a reset
	return backoff, errors.As(err, &ue)
}

// isCertificateError reports a TLS certificate that failed verification.
func isCertificateError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci)
}

// final is the error a try ends the refresh with. A refusal (a 4xx other
// than 408 and 429, or an error body on a 2xx) means only a login helps.
func (m *Manager) final(err error) error {
	var oe *OAuthError
	if !errors.As(err, &oe) {
		if isCertificateError(err) {
			return fmt.Errorf("%w (the API base's certificate is not trusted; nothing was retried)", err)
		}
		return err
	}
	passing := oe.StatusCode == http.StatusRequestTimeout || oe.StatusCode == http.StatusTooManyRequests
	switch class := oe.StatusCode / 100; {
	case class == 4 && !passing || class == 2 && oe.Code != "":
		return m.loginRequired(m.refusal(), err)
	case class == 2:
		// Coze may have rotated already: a retry would only be refused.
		return fmt.Errorf("%w (the stored token was kept; if the next try says login required, run `cozeauth login`)", err)
	}
	return err
}

// renewFailed records the failure for the other processes — a refusal
// logs the profile out until a login — and hands out the current token when
// it still works and the failure may pass.
func (m *Manager) renewFailed(ctx context.Context, h heldRecords, rec *Record, force bool, err error) (*Record, error) {
	if IsLoginRequired(err) {
		// Before the profile is called logged out: another machine may
		// have rotated the token while this one's lock lapsed.
		if fresh, ferr := h.load(); ferr == nil && fresh != nil && fresh.RefreshToken != rec.RefreshToken && !fresh.refused() && fresh.ValidFor(m.now(), 0) {
			return fresh, nil
		}
	}
	if !errors.Is(err, context.Canceled) {
		marked := *rec
		marked.Failure = m.failureOf(err)
		if serr := h.save(ctx, &marked); serr != nil {
			var ee *EngineError
			if IsLoginRequired(err) && errors.As(serr, &ee) {
				// Whether another machine rotated the token meanwhile
				// cannot be told: not a logout.
				return nil, fmt.Errorf("coze refused the refresh token (%v), but %w", err, serr)
			}
			m.Store.warn(fmt.Sprintf("warning: could not record the failed refresh: %v", serr))
		}
	}
	if IsLoginRequired(err) {
		return nil, err
	}
	return m.handOut(rec, force, err)
}

// handOut hands out rec, with a warning, when it still works and the refresh
// was not explicit; otherwise it returns err.
func (m *Manager) handOut(rec *Record, force bool, err error) (*Record, error) {
	if !m.usable(force, rec) {
		return nil, err
	}
	m.Store.warn(fmt.Sprintf("warning: could not refresh (%v); using the current access token, which expires %s", err, rec.Expiry.Local().Format(time.RFC3339)))
	return rec, nil
}

// failureOf describes err for the record.
func (m *Manager) failureOf(err error) *Failure {
	now := m.now()
	f := &Failure{At: now, Refused: IsLoginRequired(err), Reason: "could not refresh"}
	var oe *OAuthError
	if errors.As(err, &oe) {
		f.Status, f.LogID = oe.StatusCode, oe.LogID
		f.Message = strings.Join(slices.DeleteFunc([]string{oe.Code, oe.Message}, func(s string) bool { return s == "" }), ": ")
		if f.Refused {
			f.Reason = m.refusal()
		}
		return f
	}
	f.Reason = err.Error() // says what failed already
	return f
}

// keep saves the renewed pair, bound to its issuer and with the failure
// markers cleared. The rotated refresh token must be kept before the access
// token is handed out: the old one is already dead at Coze. When the config
// directory cannot take it after all, it goes to a rescue file that the next
// command imports; only if that fails too is the pair lost, and even then
// the access token is returned in an [UnsavedError] to be used meanwhile.
func (m *Manager) keep(ctx context.Context, h heldRecords, rec *Record, tok *Token) (*Record, error) {
	if tok.RefreshToken == "" { // Coze always rotates; keep the old one if it ever does not
		tok.RefreshToken, tok.RefreshExpiry = rec.RefreshToken, rec.RefreshExpiry
	}
	next := *rec
	next.Token = *tok
	next.Issuer = issuerOf(m.Config)
	next.Failure = nil
	if err := h.save(ctx, &next); err != nil {
		return h.keepUnsaved(ctx, &next, err)
	}
	return &next, nil
}

// rescue keeps next, which the config directory could not take, in a
// rescue file that the next command imports.
func (m *Manager) rescue(next *Record, err error) (*Record, error) {
	path, rerr := m.Store.rescue(m.Config.Profile, next)
	if rerr != nil {
		return nil, &UnsavedError{Record: next, Dir: m.Store.Dir, Err: err, RescueErr: rerr}
	}
	m.Store.warn(fmt.Sprintf("warning: refreshed, but %s could not take the new tokens (%v); they were kept in %s, which the next cozeauth command using this config directory imports. Fix the directory (free space, permissions, a read-only mount) before the access token expires at %s",
		m.Store.Dir, err, path, next.Expiry.Local().Format(time.RFC3339)))
	return next, nil
}

// UnsavedError means Coze issued new tokens but they could be kept neither
// in the config directory nor in a rescue file: the old refresh token no
// longer works. Record holds the new pair, so that its access token can be
// used for the rest of its life.
type UnsavedError struct {
	Record    *Record
	Dir       string
	Err       error
	RescueErr error
}

func (e *UnsavedError) Error() string {
	return fmt.Sprintf("refreshed, but the new tokens could not be saved in %s (%v) nor in a rescue file (%v): the access token printed works until %s; then run `cozeauth login` once the directory can be written",
		e.Dir, e.Err, e.RescueErr, e.Record.Expiry.Local().Format(time.RFC3339))
}

func (e *UnsavedError) Unwrap() error { return e.Err }

// margin is [Config.RenewMargin], warning once when a margin set by hand
// had to be clamped.
func (m *Manager) margin(rec *Record) time.Duration {
	margin, clamped := m.Config.renewMargin(rec)
	if clamped && m.Config.RefreshMargin > 0 && !m.marginWarned.Swap(true) {
		life := rec.Expiry.Sub(rec.IssuedAt)
		m.Store.warn(fmt.Sprintf("warning: the refresh margin %s is not shorter than the access token's life (%s), which would refresh on every call; using %s", m.Config.Margin(), life.Round(time.Second), margin.Round(time.Second)))
	}
	return margin
}

// IssuerMismatchError means this run would send a profile's tokens to
// another API base or client id than the one that issued them. Nothing is
// sent: the refresh token, the access token and a web app's secret go only
// to their issuer.
type IssuerMismatchError struct {
	Profile          string
	Stored, Resolved Issuer
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("the tokens of profile %q were issued by %s, but this run resolves %s; nothing was sent. Drop the --region/--api-base/--client-id flags or the COZE_REGION/COZE_API_BASE/COZE_CLIENT_ID variables that differ, or run `%s` with them to log in there",
		e.Profile, e.Stored, e.Resolved, loginCommand(e.Profile))
}

// checkIssuer refuses to use rec with another issuer than its own. A record
// saved before issuers were kept is bound to the profile's saved settings.
func (m *Manager) checkIssuer(rec *Record) error {
	stored := rec.Issuer
	if !stored.known() {
		set, ok, err := m.Store.LoadSettings(m.Config.Profile)
		if err != nil || !ok {
			return nil // nothing to compare with
		}
		stored = issuerOf(Config{Settings: set})
	}
	if resolved := issuerOf(m.Config); !stored.sameAs(resolved) {
		return &IssuerMismatchError{Profile: m.Config.Profile, Stored: stored, Resolved: resolved}
	}
	return nil
}

// refusedError is what a profile whose refresh Coze refused answers.
func (m *Manager) refusedError(rec *Record) error {
	return m.loginRequired(rec.Failure.String(), nil)
}
