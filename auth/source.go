package auth

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"golang.org/x/oauth2"
)

// Open returns the [Manager] of a profile saved by `cozeauth login`, from
// $COZEAUTH_CONFIG_DIR or the default config directory, resolved exactly as
// the cozeauth command resolves it (the same environment variables, the
// same saved settings; see [Store.Resolve]). It is how other Go programs
// share cozeauth's tokens, its lock and its rotation. "" means the profile
// $COZE_PROFILE, else the one `cozeauth use` saved, else "default". Call
// [Manager.Close] before exiting.
//
// The Manager refreshes in the calling process (it has no [Renewer]): a
// program killed with SIGKILL, or by the OOM killer, between Coze rotating
// the refresh token and the save loses the login, and the next refresh
// needs `cozeauth login`. The cozeauth command runs each refresh in a
// process of its own that survives it; a program that may be killed so can
// run `cozeauth token` instead.
func Open(profile string) (*Manager, error) {
	dir, err := DefaultDir(os.Getenv)
	if err != nil {
		return nil, err
	}
	// The real world, given here once: the system keyring and the rescue
	// directories of this user, as the cozeauth command gives them.
	st := NewStore(dir)
	st.Keyring = NewKeyring()
	st.RescueDirs = DefaultRescueDirs(os.Getenv)
	st.Getenv = os.Getenv
	cfg, found, err := st.Resolve(Overrides{Profile: profile}.Or(EnvOverrides(os.Getenv)))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &LoginRequiredError{Profile: cfg.Profile, Reason: fmt.Sprintf("no profile %q in %s", cfg.Profile, dir)}
	}
	return &Manager{
		Config: cfg,
		Store:  st.For(cfg),
		HTTP:   &http.Client{Timeout: refreshCallTimeout},
	}, nil
}

// TokenSource returns an [oauth2.TokenSource] that hands out the profile's
// access token, refreshing it through the store and its lock when it comes
// within the refresh margin. Every rotated refresh token is saved before the
// new access token is used.
func (m *Manager) TokenSource(ctx context.Context) oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, managerSource{ctx: ctx, m: m}, m.Config.Margin())
}

type managerSource struct {
	ctx context.Context
	m   *Manager
}

func (s managerSource) Token() (*oauth2.Token, error) {
	rec, err := s.m.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return rec.OAuth2(), nil
}

// HTTPClient returns a client that sends the profile's access token with
// every request, over the manager's own HTTP transport.
func (m *Manager) HTTPClient(ctx context.Context) *http.Client {
	var base http.RoundTripper
	if m.HTTP != nil {
		base = m.HTTP.Transport
	}
	return &http.Client{Transport: &oauth2.Transport{Source: m.TokenSource(ctx), Base: base}}
}
