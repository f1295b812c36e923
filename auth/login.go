package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// LoginFlow is one browser login in progress: the authorize URL, the
// callback listener (unless the address is pasted back by hand) and the PKCE
// verifier that the code exchange needs.
type LoginFlow struct {
	m   *Manager
	req *AuthRequest
	cb  *CallbackServer
}

// BeginLogin prepares a login. With listen, it starts the callback listener
// on the redirect URI first, so that a busy port fails before any browser
// opens; without, the address the browser ends on must be pasted back, and
// any redirect URI Coze accepts will do ([CheckPasteRedirect]).
func (m *Manager) BeginLogin(listen bool) (*LoginFlow, error) {
	if _, err := ValidateClientID(m.Config.ClientID); err != nil {
		return nil, err
	}
	m.reuseStoredSecret()
	if err := m.Config.CheckFlow(FlowBrowser); err != nil {
		return nil, err
	}
	if m.Config.AppType() == AppWeb && m.Config.ClientSecret == "" {
		return nil, errors.New("a web app needs its client secret: pass --client-secret (or set $COZE_CLIENT_SECRET) with the secret from the app's page in the Coze console")
	}
	redirect := m.Config.Redirect()
	f := &LoginFlow{m: m}
	if listen {
		cb, err := ListenCallback(redirect)
		if err != nil {
			return nil, err
		}
		f.cb, redirect = cb, cb.RedirectURI()
	} else if err := CheckPasteRedirect(redirect); err != nil {
		return nil, err
	}
	req, err := NewAuthRequest(m.Config, redirect)
	if err != nil {
		f.Close()
		return nil, err
	}
	f.req = req
	return f, nil
}

// URL is the address to open in a browser.
func (f *LoginFlow) URL() string { return f.req.URL }

// Request is the authorization attempt, with its state and verifier.
func (f *LoginFlow) Request() *AuthRequest { return f.req }

// RedirectURI is the redirect URI in use (with the real port when it was 0).
func (f *LoginFlow) RedirectURI() string { return f.req.RedirectURI }

// Wait blocks until the browser comes back with this login's code.
func (f *LoginFlow) Wait(ctx context.Context) (string, error) {
	if f.cb == nil {
		return "", errors.New("this login does not listen for a callback: paste the address instead")
	}
	return f.cb.Wait(ctx, f.req)
}

// CodeFromURL takes the address the browser ended on, pasted by a person.
func (f *LoginFlow) CodeFromURL(pasted string) (string, error) { return f.req.CodeFromURL(pasted) }

// Close stops the callback listener, if any.
func (f *LoginFlow) Close() {
	if f.cb != nil {
		f.cb.Close()
	}
}

// reuseStoredSecret lets a web app log in again without its secret being
// typed again: the store kept it for refreshes, for the same app.
func (m *Manager) reuseStoredSecret() {
	if m.Config.ClientSecret != "" {
		return
	}
	set, ok, err := m.Store.LoadSettings(m.Config.Profile)
	// Only to the same app on the same host: never send a secret elsewhere.
	if err != nil || !ok || set.ClientID != m.Config.ClientID || (Config{Settings: set}).API() != m.Config.API() {
		return
	}
	if rec, err := m.Store.Load(m.Config.Profile); err == nil && rec != nil {
		m.Config.ClientSecret = rec.ClientSecret
	}
}

// LoginResult is what a finished login saved.
type LoginResult struct {
	Record *Record
	// MovedAside names where an unreadable token store was moved, if it was.
	MovedAside string
	// UserErr is why the user could not be looked up; the login still worked.
	UserErr error
}

// Finish exchanges code for tokens, asks Coze who they belong to, and saves
// the tokens (with a web app's secret) and the profile's settings.
// A browser that brought the code to the callback listener is told the
// outcome only now, so its page and the terminal say the same thing.
func (f *LoginFlow) Finish(ctx context.Context, code string) (*LoginResult, error) {
	res, err := f.m.finishLogin(ctx, func(ctx context.Context, c *Client) (*Token, error) {
		return c.Exchange(ctx, code, f.req.RedirectURI, f.req.Verifier)
	})
	if f.cb != nil {
		who := ""
		if err == nil && res.Record.User != nil {
			who = " for " + res.Record.User.Display()
		}
		f.cb.Answer(err, who)
	}
	return res, err
}

// userLookupTimeout bounds asking Coze who a new login is for.
const userLookupTimeout = 10 * time.Second

// finishLogin is shared by every way of getting a first token pair. It
// proves the store can take the result before the grant is sent; once sent
// it runs to the end whatever happens to ctx: Coze spends a code once, and
// the tokens it gave for it must be kept. ctx still bounds the user lookup,
// which is only nice to have.
func (m *Manager) finishLogin(ctx context.Context, obtain func(context.Context, *Client) (*Token, error)) (*LoginResult, error) {
	defer m.pending().begin()()
	if err := ctx.Err(); err != nil { // nothing sent yet: safe to give up
		return nil, err
	}
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCallTimeout)
	defer cancel()
	h, err := m.records().lock(work)
	if err != nil {
		return nil, err
	}
	defer h.unlock()
	if err := h.prepare(work); err != nil {
		return nil, err
	}
	client := m.Client("")
	tok, err := obtain(work, client)
	if err != nil {
		return nil, err
	}
	res := &LoginResult{Record: &Record{Token: *tok, Issuer: issuerOf(m.Config), ClientSecret: m.Config.ClientSecret, PrivateKey: m.Config.PrivateKeyPEM}}
	meCtx, cancelMe := context.WithTimeout(ctx, userLookupTimeout) // the lock is held meanwhile
	res.Record.User, res.UserErr = client.Me(meCtx, tok.AccessToken)
	cancelMe()
	if res.MovedAside, err = m.moveAsideUnreadable(h); err != nil {
		return nil, err
	}
	if err := m.saveLogin(work, h, res.Record); err != nil {
		return nil, err
	}
	if err := m.Store.SaveSettings(m.Config.Profile, m.Config.explicitSettings()); err != nil {
		return nil, fmt.Errorf("logged in and saved the tokens, but could not save the profile's settings: %w", err)
	}
	return res, nil
}

// moveAsideUnreadable moves an unreadable token store aside so that a login
// can start afresh; unreadable keyring secrets are simply replaced.
func (m *Manager) moveAsideUnreadable(h heldRecords) (string, error) {
	var ke *KeyringError
	var ce *CorruptError
	err := h.readable()
	switch {
	case err == nil || errors.As(err, &ke):
		return "", nil
	case errors.As(err, &ce):
		return h.moveAside()
	}
	return "", err
}

// saveLogin keeps a new login's record, in a rescue file when the config
// directory cannot take it after all. A shared store that does not take it
// is an error: the other machines would not see the login.
func (m *Manager) saveLogin(ctx context.Context, h heldRecords, rec *Record) error {
	err := h.save(ctx, rec)
	var ee *EngineError
	if errors.As(err, &ee) {
		_, err = h.keepUnsaved(ctx, rec, err) // a shared store: kept here until it takes it
		return err
	}
	if err == nil {
		return nil
	}
	path, rerr := m.Store.rescue(m.Config.Profile, rec)
	if rerr != nil {
		return &UnsavedError{Record: rec, Dir: m.Store.Dir, Err: err, RescueErr: rerr}
	}
	m.Store.warn(fmt.Sprintf("warning: logged in, but %s could not take the tokens (%v); they were kept in %s, which the next cozeauth command using this config directory imports. Fix the directory (free space, permissions, a read-only mount)", m.Store.Dir, err, path))
	return nil
}
