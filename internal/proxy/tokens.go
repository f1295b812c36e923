package proxy

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// Token is an access token and what the proxy needs to know of it.
type Token struct {
	Value string
	// IssuedAt is when it was minted or refreshed; zero when unknown.
	IssuedAt time.Time
	// Static marks a token that is passed on as it is and never renewed
	// ($COZE_API_TOKEN): Coze's refusal of it is Coze's answer.
	Static bool
}

// Tokens gives the proxy its access tokens.
type Tokens interface {
	// Token returns a token valid beyond the refresh margin.
	Token(ctx context.Context) (Token, error)
	// Renew is called once Coze refused refused as invalid; it returns the
	// token to send the request again with.
	Renew(ctx context.Context, refused Token) (Token, error)
}

// Static is a token used as it is, such as $COZE_API_TOKEN.
type Static string

// Token returns the static token.
func (s Static) Token(context.Context) (Token, error) {
	return Token{Value: string(s), Static: true}, nil
}

// errStatic says a static token cannot be renewed.
var errStatic = errors.New("a static token ($COZE_API_TOKEN) is never renewed")

// Renew fails: a static token is never renewed.
func (s Static) Renew(context.Context, Token) (Token, error) { return Token{}, errStatic }

// retryWhileUsable is how soon the token is asked for again when the
// Manager handed out one already inside its margin (another process holds
// the lock, or a refresh failed for a passing reason): soon, but not on
// every request.
const retryWhileUsable = 5 * time.Second

// Cache holds a [auth.Manager]'s access token in memory, so that a request
// costs no disk I/O while the token is valid beyond the margin. Renewing
// goes through the Manager — its store, its lock, its margin — so the proxy,
// a dashboard and any number of `cozeauth token` processes still refresh
// once; one request at a time asks the Manager, the others wait for it.
type Cache struct {
	m   *auth.Manager
	cur atomic.Pointer[cached]
	// sem is held by the request asking the Manager; a channel so a waiter
	// whose client went away stops waiting.
	sem chan struct{}
	// Warn reports a token handed out while its renewal could not be
	// saved; nil means silence.
	Warn func(string)
}

type cached struct {
	tok     Token
	renewAt time.Time // when to ask the Manager again
	expiry  time.Time
}

// stillWorks is how long a token due for renewal must still live to be
// used while another request renews it.
const stillWorks = time.Minute

// NewCache returns a Cache over m.
func NewCache(m *auth.Manager) *Cache { return &Cache{m: m, sem: make(chan struct{}, 1)} }

func (c *Cache) now() time.Time {
	if c.m.Now != nil {
		return c.m.Now()
	}
	return time.Now()
}

// fresh returns the cached token while it needs no renewing.
func (c *Cache) fresh() (Token, bool) {
	if t := c.cur.Load(); t != nil && c.now().Before(t.renewAt) {
		return t.tok, true
	}
	return Token{}, false
}

func (c *Cache) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Cache) unlock() { <-c.sem }

// Token returns the cached token, or the Manager's when it is due.
func (c *Cache) Token(ctx context.Context) (Token, error) {
	if t, ok := c.fresh(); ok {
		return t, nil
	}
	select {
	case c.sem <- struct{}{}:
	default:
		// Another request is asking the Manager, which may wait seconds
		// for another process's refresh: while the current token still
		// works for a while, use it rather than queue.
		if t := c.cur.Load(); t != nil && c.now().Add(stillWorks).Before(t.expiry) {
			return t.tok, nil
		}
		if err := c.lock(ctx); err != nil {
			return Token{}, err
		}
	}
	defer c.unlock()
	if t, ok := c.fresh(); ok { // renewed while this request waited
		return t, nil
	}
	return c.keep(c.m.Token(ctx))
}

// Renew replaces a token Coze refused: with the one another request or
// process renewed meanwhile when there is one, else by one refresh (or
// mint) through the Manager, under the store's lock.
func (c *Cache) Renew(ctx context.Context, refused Token) (Token, error) {
	if err := c.lock(ctx); err != nil {
		return Token{}, err
	}
	defer c.unlock()
	if t, ok := c.fresh(); ok && t.Value != refused.Value {
		return t, nil
	}
	if rec, err := c.m.Token(ctx); err == nil && rec.AccessToken != refused.Value {
		return c.keep(rec, nil) // another cozeauth renewed it
	}
	return c.keep(c.m.Refresh(ctx))
}

// keep caches what the Manager handed out.
func (c *Cache) keep(rec *auth.Record, err error) (Token, error) {
	var unsaved *auth.UnsavedError
	if errors.As(err, &unsaved) && unsaved.Record != nil {
		// The new pair could not be saved; its access token works for its
		// lifetime, so requests go on while the error is reported.
		if c.Warn != nil {
			c.Warn("warning: " + err.Error())
		}
		rec, err = unsaved.Record, nil
	}
	if err != nil {
		return Token{}, err
	}
	now := c.now()
	renewAt := rec.Expiry.Add(-c.m.Config.RenewMargin(rec))
	if !renewAt.After(now) {
		renewAt = now.Add(retryWhileUsable)
		if rec.Expiry.Before(renewAt) {
			renewAt = rec.Expiry
		}
	}
	t := Token{Value: rec.AccessToken, IssuedAt: rec.IssuedAt}
	c.cur.Store(&cached{tok: t, renewAt: renewAt, expiry: rec.Expiry})
	return t, nil
}
