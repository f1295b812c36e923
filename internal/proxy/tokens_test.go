package proxy

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/sandbox"
)

// While the token is valid beyond the margin, a request reads no file: the
// config directory can vanish and the token is still handed out, with no
// call to Coze.
func TestCacheCostsNoDiskIOWhileValid(t *testing.T) {
	s, base := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	c := NewCache(jwtManager(t, base, dir, nil))
	first, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		tok, err := c.Token(context.Background())
		if err != nil || tok != first {
			t.Fatalf("Token = %+v, %v; want the cached %+v", tok, err, first)
		}
	}
	if n := s.Stats().JWTTokens; n != 1 {
		t.Errorf("%d mints, want only the login's", n)
	}
}

// Many requests arriving once the token is due renew it once.
func TestCacheRenewsOnceForConcurrentRequests(t *testing.T) {
	s, base := startSandbox(t, sandbox.Options{})
	clk := &clock{}
	c := NewCache(jwtManager(t, base, t.TempDir(), clk.Now))
	first, _ := c.Token(context.Background())
	clk.Add(14 * time.Minute) // 900 s tokens, renewed 5 minutes ahead
	var wg sync.WaitGroup
	tokens := make([]Token, 20)
	for i := range tokens {
		wg.Go(func() {
			var err error
			if tokens[i], err = c.Token(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, tok := range tokens {
		if tok.Value == first.Value || tok != tokens[0] {
			t.Fatalf("tokens %+v, want one new token for all", tokens)
		}
	}
	if n := s.Stats().JWTTokens; n != 2 {
		t.Errorf("%d mints, want the login's and one renewal", n)
	}
}

// Renew after a 4100: one renewal under the lock for any number of
// requests refused at once, and none when another cozeauth renewed the
// token meanwhile.
func TestCacheRenewAfterRefusal(t *testing.T) {
	s, base := startSandbox(t, sandbox.Options{})
	dir := t.TempDir()
	c := NewCache(jwtManager(t, base, dir, nil))
	refused, _ := c.Token(context.Background())

	var wg sync.WaitGroup
	renewed := make([]Token, 10)
	for i := range renewed {
		wg.Go(func() {
			var err error
			if renewed[i], err = c.Renew(context.Background(), refused); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, tok := range renewed {
		if tok.Value == refused.Value || tok != renewed[0] {
			t.Fatalf("renewed %+v, want one new token for all", renewed)
		}
	}
	if n := s.Stats().JWTTokens; n != 2 {
		t.Fatalf("%d mints, want the login's and one renewal", n)
	}

	// Another process renews the token; the proxy's copy is refused next.
	other := jwtManager(t, base, dir, nil) // a second login into the same store
	if _, err := other.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	mints := s.Stats().JWTTokens
	stored, _ := other.Store.Load("default")
	got, err := c.Renew(context.Background(), renewed[0])
	if err != nil || got.Value != stored.AccessToken {
		t.Errorf("Renew = %+v, %v; want the token the other process saved", got, err)
	}
	if n := s.Stats().JWTTokens; n != mints {
		t.Errorf("Renew minted %d more, want it to use the stored one", n-mints)
	}
}

func TestStaticIsNeverRenewed(t *testing.T) {
	tok, err := Static("pat_x").Token(context.Background())
	if err != nil || tok.Value != "pat_x" || !tok.Static {
		t.Errorf("Token = %+v, %v", tok, err)
	}
	if _, err := Static("pat_x").Renew(context.Background(), tok); err == nil {
		t.Error("Renew of a static token succeeded")
	}
}

// While one request renews (here: holds the Cache's turn), the others use
// the current token if it still works for a while, instead of queueing
// behind a renewal that may wait seconds for another process's lock; a
// token about to expire is waited for.
func TestCacheServesTheCurrentTokenWhileAnotherRenews(t *testing.T) {
	_, base := startSandbox(t, sandbox.Options{})
	clk := &clock{}
	c := NewCache(jwtManager(t, base, t.TempDir(), clk.Now))
	first, _ := c.Token(context.Background())
	c.sem <- struct{}{}       // a renewal under way
	clk.Add(11 * time.Minute) // due (5-minute margin) but valid for 4 more
	if tok, err := c.Token(context.Background()); err != nil || tok != first {
		t.Errorf("Token = %+v, %v; want the current token at once", tok, err)
	}
	clk.Add(3*time.Minute + 30*time.Second) // 30 s left: wait for the renewal
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Token with 30 s left = %v, want it to wait for the renewal", err)
	}
	<-c.sem
}
