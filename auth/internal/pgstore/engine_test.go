//go:build unix

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
	"github.com/cozeauth/cozeauth/auth/internal/shared/sharedtest"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// guard bounds each test's waits: a hang guard, never a speed check.
const guard = 2 * time.Minute

func guardCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

// freshDB creates a database of the test's own on p and returns its URL,
// so that each test starts with no table, as a first user would.
func freshDB(t testing.TB, p *testengine.Postgres) string {
	t.Helper()
	ctx := guardCtx(t)
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	name := "t_" + strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	if len(name) > 60 {
		name = name[:60]
	}
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func open(t testing.TB, rawURL string) *Engine {
	t.Helper()
	e, err := Open(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func lock(t testing.TB, ctx context.Context, e *Engine, profile string) shared.Lock {
	t.Helper()
	l, err := e.Lock(ctx, profile)
	if err != nil {
		t.Fatalf("Lock(%q): %v", profile, err)
	}
	return l
}

// waitForWaiter returns once the server shows a session waiting for the
// advisory lock of profile: the only way to know a Lock call is blocked
// without watching the clock.
func waitForWaiter(t *testing.T, ctx context.Context, rawURL, profile string) {
	t.Helper()
	waitForWaiters(t, ctx, rawURL, profile, true)
}

// waitForNoWaiter returns once no session waits for profile's lock: a Lock
// that gave up must not leave its session waiting on the server, where it
// would take the lock for nobody.
func waitForNoWaiter(t *testing.T, ctx context.Context, rawURL, profile string) {
	t.Helper()
	waitForWaiters(t, ctx, rawURL, profile, false)
}

func waitForWaiters(t *testing.T, ctx context.Context, rawURL, profile string, want bool) {
	t.Helper()
	c, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for {
		var n int
		err := c.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = $1::int4::oid AND objid = hashtext($2)::oid AND objsubid = 2`, lockNamespace, profile).Scan(&n)
		if err != nil {
			t.Fatalf("waiting for a session to wait for the lock on %q: %v", profile, err)
		}
		if (n > 0) == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waited for sessions waiting for the lock on %q to be there: %v; %d are", profile, want, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// tryLock says whether another session could take profile's lock right
// now, without waiting; it lets it go again at once.
func tryLock(t *testing.T, ctx context.Context, rawURL, profile string) bool {
	t.Helper()
	c, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var ok bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockNamespace, profile).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestEngine(t *testing.T) {
	p := testengine.StartPostgres(t)

	t.Run("first use by many at once creates the table", func(t *testing.T) {
		rawURL := freshDB(t, p)
		ctx := guardCtx(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Go(func() {
				e, err := Open(rawURL) // one engine each: sixteen machines starting together
				if err != nil {
					errs <- err
					return
				}
				defer e.Close()
				if i%2 == 0 {
					_, _, err = e.Get(ctx, "default")
				} else {
					var l shared.Lock
					if l, err = e.Lock(ctx, fmt.Sprint("p", i)); err == nil {
						err = l.Unlock(ctx)
					}
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("records are versioned and written by compare-and-set", func(t *testing.T) {
		ctx := guardCtx(t)
		e := open(t, freshDB(t, p))
		data, v, err := e.Get(ctx, "default")
		if err != nil || data != nil || v != 0 {
			t.Fatalf("Get of an absent profile = %q, %d, %v; want nil, 0, nil", data, v, err)
		}
		l := lock(t, ctx, e, "default")
		defer l.Unlock(ctx)
		v1, err := l.Put(ctx, []byte("fake-record-1"), 0)
		if err != nil || v1 != 1 {
			t.Fatalf("Put(0) = %d, %v; want 1, nil", v1, err)
		}
		if _, err := l.Put(ctx, []byte("fake-record-x"), 0); !errors.Is(err, shared.ErrConflict) {
			t.Fatalf("Put(0) over a record: %v; want ErrConflict", err)
		}
		v2, err := l.Put(ctx, []byte("fake-record-2"), v1)
		if err != nil || v2 != 2 {
			t.Fatalf("Put(%d) = %d, %v; want 2, nil", v1, v2, err)
		}
		if _, err := l.Put(ctx, []byte("fake-record-stale"), v1); !errors.Is(err, shared.ErrConflict) {
			t.Fatalf("Put with stale version %d: %v; want ErrConflict", v1, err)
		}
		for name, get := range map[string]func(context.Context) ([]byte, int64, error){
			"Engine.Get": func(ctx context.Context) ([]byte, int64, error) { return e.Get(ctx, "default") },
			"Lock.Get":   l.Get,
		} {
			data, v, err := get(ctx)
			if err != nil || string(data) != "fake-record-2" || v != 2 {
				t.Errorf("%s = %q, %d, %v; want fake-record-2, 2, nil", name, data, v, err)
			}
		}
		if err := l.Alive(ctx, time.Minute); err != nil {
			t.Errorf("Alive of a held lock: %v", err)
		}
	})

	t.Run("a second lock on a profile waits for Unlock; another profile's does not", func(t *testing.T) {
		ctx := guardCtx(t)
		rawURL := freshDB(t, p)
		e1, e2 := open(t, rawURL), open(t, rawURL)
		held := lock(t, ctx, e1, "work")
		got := make(chan error, 1)
		go func() {
			l, err := e2.Lock(ctx, "work")
			if err == nil {
				err = l.Unlock(ctx)
			}
			got <- err
		}()
		waitForWaiter(t, ctx, rawURL, "work")
		other := lock(t, ctx, e2, "personal") // does not wait for "work"
		if err := other.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			t.Fatalf("second Lock returned (%v) while the first was held", err)
		default:
		}
		if err := held.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("second Lock after Unlock: %v", err)
		}
	})

	t.Run("a lock given up while waiting is not left held", func(t *testing.T) {
		ctx := guardCtx(t)
		rawURL := freshDB(t, p)
		e1, e2 := open(t, rawURL), open(t, rawURL)
		held := lock(t, ctx, e1, "default")

		// Deadline: lock_timeout on the server and pgx's cancel race; the
		// caller sees the deadline either way.
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		_, err := e2.Lock(short, "default")
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock past its deadline: %v; want context.DeadlineExceeded", err)
		}
		waitForNoWaiter(t, ctx, rawURL, "default")

		// Cancel with no deadline: only pgx's cancel request stops the wait.
		cctx, cancel := context.WithCancel(ctx)
		got := make(chan error, 1)
		go func() { _, err := e2.Lock(cctx, "default"); got <- err }()
		waitForWaiter(t, ctx, rawURL, "default")
		cancel()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock whose ctx was cancelled: %v; want context.Canceled", err)
		}
		waitForNoWaiter(t, ctx, rawURL, "default")

		if err := held.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if !tryLock(t, ctx, rawURL, "default") {
			t.Fatal("the lock is held after its holder unlocked and both waiters gave up; a waiter's session kept it")
		}
		l := lock(t, ctx, e2, "default")
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("many lockers never lose an increment", func(t *testing.T) {
		ctx := guardCtx(t)
		rawURL := freshDB(t, p)
		engines := []*Engine{open(t, rawURL), open(t, rawURL), open(t, rawURL)}
		const workers, rounds = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				e := engines[w%len(engines)]
				for range rounds {
					if err := sharedtest.Increment(ctx, e, "counter"); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		data, v, err := engines[0].Get(ctx, "counter")
		if err != nil || string(data) != strconv.Itoa(workers*rounds) || v != workers*rounds {
			t.Fatalf("counter = %q version %d, %v; want %d at version %d", data, v, err, workers*rounds, workers*rounds)
		}
	})

	t.Run("profiles are listed sorted and deleted by compare-and-set", func(t *testing.T) {
		ctx := guardCtx(t)
		e := open(t, freshDB(t, p))
		for _, name := range []string{"work", "Default", "alpha", "b", "ä"} {
			l := lock(t, ctx, e, name)
			if _, err := l.Put(ctx, []byte("fake-"+name), 0); err != nil {
				t.Fatal(err)
			}
			l.Unlock(ctx)
		}
		got, err := e.Profiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"Default", "alpha", "b", "work", "ä"}, got); diff != "" {
			t.Errorf("Profiles (-want +got):\n%s", diff)
		}

		l := lock(t, ctx, e, "b")
		defer l.Unlock(ctx)
		if err := l.Delete(ctx, 2); !errors.Is(err, shared.ErrConflict) {
			t.Errorf("Delete at a version it is not: %v; want ErrConflict", err)
		}
		if err := l.Delete(ctx, 0); !errors.Is(err, shared.ErrConflict) {
			t.Errorf("Delete(0) of a record that exists: %v; want ErrConflict", err)
		}
		if err := l.Delete(ctx, 1); err != nil {
			t.Fatalf("Delete at its version: %v", err)
		}
		if data, v, err := l.Get(ctx); data != nil || v != 0 || err != nil {
			t.Errorf("Get after Delete = %q, %d, %v; want nil, 0, nil", data, v, err)
		}
		if err := l.Delete(ctx, 1); err != nil {
			t.Errorf("Delete of a record that is not there: %v; want nil", err)
		}
		got, _ = e.Profiles(ctx)
		if diff := cmp.Diff([]string{"Default", "alpha", "work", "ä"}, got); diff != "" {
			t.Errorf("Profiles after Delete (-want +got):\n%s", diff)
		}
	})

	t.Run("an unlocked lock and a closed engine refuse work", func(t *testing.T) {
		ctx := guardCtx(t)
		e := open(t, freshDB(t, p))
		l := lock(t, ctx, e, "default")
		if err := l.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(ctx); err != nil {
			t.Errorf("second Unlock: %v; want nil", err)
		}
		if _, err := l.Put(ctx, []byte("fake"), 0); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Put after Unlock: %v; want ErrLockLost", err)
		}
		if err := l.Alive(ctx, time.Second); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Alive after Unlock: %v; want ErrLockLost", err)
		}
		e.Close()
		if _, _, err := e.Get(ctx, "default"); !errors.Is(err, errClosed) {
			t.Errorf("Get after Close: %v; want the engine closed", err)
		}
	})
}

func TestRestartLosesTheLock(t *testing.T) {
	p := testengine.StartPostgres(t)
	ctx := guardCtx(t)
	rawURL := freshDB(t, p)
	e := open(t, rawURL)
	l := lock(t, ctx, e, "default")
	v, err := l.Put(ctx, []byte("fake-before"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Get(ctx, "default"); err != nil { // leaves an idle connection to be cut
		t.Fatal(err)
	}

	p.Restart(t)

	if err := l.Alive(ctx, time.Minute); !errors.Is(err, shared.ErrLockLost) {
		t.Errorf("Alive after the server restarted: %v; want ErrLockLost", err)
	}
	_, err = l.Put(ctx, []byte("fake-after"), v)
	if !errors.Is(err, shared.ErrLockLost) {
		t.Errorf("Put after the server restarted: %v; want ErrLockLost", err)
	}
	if err != nil {
		server := "127.0.0.1:" + strconv.Itoa(p.Port()) + "/"
		if !strings.Contains(err.Error(), server) || strings.Contains(err.Error(), "fake-pg-password") {
			t.Errorf("error %q; want it to name %s... and never the password", err, server)
		}
	}
	if err := l.Unlock(ctx); err != nil {
		t.Errorf("Unlock of a lost lock: %v; want nil", err)
	}

	// The engine recovers on its own: its idle connection was cut too.
	data, _, err := e.Get(ctx, "default")
	if err != nil || string(data) != "fake-before" {
		t.Fatalf("Get after restart = %q, %v; want the record from before", data, err)
	}
	l2 := lock(t, ctx, e, "default")
	if _, err := l2.Put(ctx, []byte("fake-after"), v); err != nil {
		t.Fatalf("Put under a fresh lock after restart: %v", err)
	}
	if err := l2.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableServer(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		ctx := guardCtx(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		e := open(t, "postgres://u:fake-secret@"+addr+"/x?sslmode=disable")
		if _, _, err := e.Get(ctx, "default"); err == nil || !strings.Contains(err.Error(), addr+"/x") || strings.Contains(err.Error(), "fake-secret") {
			t.Errorf("Get from a closed port: %v; want an error naming %s/x without the password", err, addr)
		}
		if _, err := e.Lock(ctx, "default"); err == nil {
			t.Error("Lock at a closed port succeeded")
		}
	})

	t.Run("a server that never answers", func(t *testing.T) {
		// It accepts the connection and says nothing: the call must end
		// with ctx, not with the 5s connect timeout or never.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var conns []net.Conn
		var mu sync.Mutex
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		e := open(t, "postgres://u:fake-secret@"+l.Addr().String()+"/x?sslmode=disable&connect_timeout=600")
		ctx, cancel := context.WithTimeout(guardCtx(t), 200*time.Millisecond)
		defer cancel()
		if _, _, err := e.Get(ctx, "default"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get from a silent server: %v; want context.DeadlineExceeded", err)
		}
		if _, err := e.Lock(ctx, "default"); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Lock at a silent server: %v; want context.DeadlineExceeded", err)
		}
	})
}

func BenchmarkLockGetPutUnlock(b *testing.B) {
	p := testengine.StartPostgres(b)
	ctx := guardCtx(b)
	e := open(b, p.URL())
	if err := sharedtest.Increment(ctx, e, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := sharedtest.Increment(ctx, e, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestContract runs the conformance suite every engine runs.
func TestContract(t *testing.T) {
	p := testengine.StartPostgres(t)
	sharedtest.Run(t, func(t *testing.T) func() shared.Engine {
		u := freshDB(t, p)
		return func() shared.Engine { return open(t, u) }
	})
}
