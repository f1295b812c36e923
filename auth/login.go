package auth

import (
	"context"
	"errors"
	"fmt"
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
// opens; without, the address the browser ends on must be pasted back.
func (m *Manager) BeginLogin(listen bool) (*LoginFlow, error) {
	if _, err := ValidateClientID(m.Config.ClientID); err != nil {
		return nil, err
	}
	m.reuseStoredSecret()
	if err := m.Config.CheckFlow(FlowBrowser); err != nil {
		return nil, err
	}
	redirect := m.Config.Redirect()
	f := &LoginFlow{m: m}
	if listen {
		cb, err := ListenCallback(redirect)
		if err != nil {
			return nil, err
		}
		f.cb, redirect = cb, cb.RedirectURI()
	} else if err := ValidateRedirectURI(redirect); err != nil {
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
func (f *LoginFlow) Finish(ctx context.Context, code string) (*LoginResult, error) {
	return f.m.finishLogin(ctx, func(c *Client) (*Token, error) {
		return c.Exchange(ctx, code, f.req.RedirectURI, f.req.Verifier)
	})
}

// finishLogin is shared by every way of getting a first token pair.
func (m *Manager) finishLogin(ctx context.Context, obtain func(*Client) (*Token, error)) (*LoginResult, error) {
	client := m.Client("")
	tok, err := obtain(client)
	if err != nil {
		return nil, err
	}
	res := &LoginResult{Record: &Record{Token: *tok, ClientSecret: m.Config.ClientSecret, PrivateKey: m.Config.PrivateKeyPEM}}
	res.Record.User, res.UserErr = client.Me(ctx, tok.AccessToken)

	l, err := m.Store.Lock(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	var ke *KeyringError
	if _, err := l.Load(m.Config.Profile); err != nil && !errors.As(err, &ke) { // unreadable secrets are replaced
		var ce *CorruptError
		if !errors.As(err, &ce) {
			return nil, err
		}
		if res.MovedAside, err = l.MoveAside(m.now()); err != nil {
			return nil, err
		}
	}
	if err := l.Save(m.Config.Profile, res.Record); err != nil {
		return nil, fmt.Errorf("logged in, but could not save the tokens: %w", err)
	}
	set := m.Config.Settings
	set.Region = m.Config.regionOrDefault()
	set.AppType = m.Config.AppType() // explicit from now on: later logins keep it
	if err := m.Store.SaveSettings(m.Config.Profile, set); err != nil {
		return nil, fmt.Errorf("logged in and saved the tokens, but could not save the profile's settings: %w", err)
	}
	return res, nil
}
