package proxy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// hangGuard bounds a wait that only a bug makes endless.
const hangGuard = 30 * time.Second

// startSandbox serves a sandbox on httptest and returns it with its URL.
func startSandbox(t *testing.T, opts sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	s := sandbox.New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// clock is a settable clock, real time plus an offset.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// jwtManager logs a sandbox JWT app into a fresh store: every renewal is a
// mint the sandbox counts, and none needs a browser.
func jwtManager(t *testing.T, base, dir string, now func() time.Time) *auth.Manager {
	t.Helper()
	m := &auth.Manager{
		Config: auth.Config{
			Profile: "default",
			Settings: auth.Settings{
				APIBase: base, WWWBase: base, ClientID: sandbox.JWTClientID, AppType: auth.AppJWT,
				JWT: &auth.JWTSettings{PublicKeyID: sandbox.JWTPublicKeyID},
			},
			PrivateKeyPEM: sandbox.JWTPrivateKeyPEM,
		},
		Store: auth.NewStore(dir),
		HTTP:  &http.Client{Timeout: 10 * time.Second},
		Now:   now,
	}
	if _, err := m.LoginJWT(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// fakeTokens hands out cur and, on Renew, next.
type fakeTokens struct {
	mu       sync.Mutex
	cur      Token
	next     Token
	tokenErr error
	renewErr error
	refused  []string // the tokens Renew was asked to replace
}

func (f *fakeTokens) Token(context.Context) (Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur, f.tokenErr
}

func (f *fakeTokens) Renew(_ context.Context, refused Token) (Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, refused.Value)
	if f.renewErr != nil {
		return Token{}, f.renewErr
	}
	f.cur = f.next
	return f.cur, nil
}

func (f *fakeTokens) renewals() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refused...)
}
