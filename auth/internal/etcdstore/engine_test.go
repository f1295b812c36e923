package etcdstore

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
	"github.com/cozeauth/cozeauth/auth/internal/shared/sharedtest"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// hangGuard bounds each test's calls against a healthy cluster. It guards
// against a hung test, not against a slow machine.
const hangGuard = 2 * time.Minute

// open opens an Engine on the cluster under prefix, closed by t.Cleanup.
func open(t testing.TB, c *testengine.Etcd, prefix string) *Engine {
	t.Helper()
	e, err := Open(c.URL(prefix), func(string) string { return "" })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// rawClient is a plain client of the cluster, for looking behind the
// engine's back.
func rawClient(t testing.TB, c *testengine.Etcd) *clientv3.Client {
	t.Helper()
	cl, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// guard is a context bounded by hangGuard.
func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)
	return ctx
}

// mustLock takes profile's lock or fails the test.
func mustLock(t testing.TB, e *Engine, profile string) shared.Lock {
	t.Helper()
	l, err := e.Lock(guard(t), profile)
	if err != nil {
		t.Fatalf("Lock(%q): %v", profile, err)
	}
	return l
}

// waiters counts the keys under profile's lock prefix: the holder's and
// every waiter's.
func waiters(t testing.TB, cl *clientv3.Client, prefix, profile string) int64 {
	t.Helper()
	resp, err := cl.Get(guard(t), prefix+"/locks/"+profile+"/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	return resp.Count
}

// awaitWaiters returns once profile's lock prefix holds n keys, watching
// it rather than polling.
func awaitWaiters(t testing.TB, cl *clientv3.Client, prefix, profile string, n int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(guard(t))
	defer cancel()
	dir := prefix + "/locks/" + profile + "/"
	resp, err := cl.Get(ctx, dir, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	count := resp.Count
	if count >= n {
		return
	}
	for wr := range cl.Watch(ctx, dir, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
		for _, ev := range wr.Events {
			if ev.IsCreate() {
				count++
			} else if ev.Type == clientv3.EventTypeDelete {
				count--
			}
		}
		if count >= n {
			return
		}
	}
	t.Fatalf("the lock of %q never had %d keys (has %d): %v", profile, n, count, ctx.Err())
}

// TestEngine runs the engine's behaviour against one real etcd member,
// each subtest under a prefix of its own.
func TestEngine(t *testing.T) {
	cluster := testengine.StartEtcd(t, 1)
	cl := rawClient(t, cluster)

	t.Run("absent record is nil and version 0", func(t *testing.T) {
		e := open(t, cluster, "absent")
		data, v, err := e.Get(guard(t), "p")
		if err != nil || data != nil || v != 0 {
			t.Fatalf("Get = %q, %d, %v; want nil, 0, nil", data, v, err)
		}
	})

	t.Run("put from version 0, then from the returned version", func(t *testing.T) {
		e := open(t, cluster, "put")
		ctx := guard(t)
		l := mustLock(t, e, "p")
		defer l.Unlock(ctx)
		v1, err := l.Put(ctx, []byte("record-1"), 0)
		if err != nil || v1 <= 0 {
			t.Fatalf("Put(v0) = %d, %v; want a version > 0", v1, err)
		}
		v2, err := l.Put(ctx, []byte("record-2"), v1)
		if err != nil || v2 <= v1 {
			t.Fatalf("Put(v%d) = %d, %v; want a later version", v1, v2, err)
		}
		data, v, err := e.Get(ctx, "p")
		if err != nil || string(data) != "record-2" || v != v2 {
			t.Fatalf("Get = %q, %d, %v; want record-2 at %d", data, v, err, v2)
		}
		data, v, err = l.Get(ctx)
		if err != nil || string(data) != "record-2" || v != v2 {
			t.Fatalf("Lock.Get = %q, %d, %v; want record-2 at %d", data, v, err, v2)
		}
	})

	t.Run("stale version is a conflict and writes nothing", func(t *testing.T) {
		e := open(t, cluster, "stale")
		ctx := guard(t)
		l := mustLock(t, e, "p")
		defer l.Unlock(ctx)
		v1, err := l.Put(ctx, []byte("first"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Put(ctx, []byte("again-from-0"), 0); !errors.Is(err, shared.ErrConflict) {
			t.Errorf("Put(v0) over a record = %v, want ErrConflict", err)
		}
		v2, err := l.Put(ctx, []byte("second"), v1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Put(ctx, []byte("from-stale"), v1)
		if !errors.Is(err, shared.ErrConflict) {
			t.Fatalf("Put(stale v%d) = %v, want ErrConflict", v1, err)
		}
		if errors.Is(err, shared.ErrLockLost) {
			t.Errorf("a conflict is also reported as a lost lock: %v", err)
		}
		data, v, _ := e.Get(ctx, "p")
		if string(data) != "second" || v != v2 {
			t.Errorf("after the refused Put the record is %q at %d, want second at %d", data, v, v2)
		}
	})

	t.Run("delete with its version", func(t *testing.T) {
		e := open(t, cluster, "delete")
		ctx := guard(t)
		l := mustLock(t, e, "p")
		defer l.Unlock(ctx)
		v1, err := l.Put(ctx, []byte("one"), 0)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := l.Put(ctx, []byte("two"), v1)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Delete(ctx, v1); !errors.Is(err, shared.ErrConflict) {
			t.Errorf("Delete(stale) = %v, want ErrConflict", err)
		}
		if err := l.Delete(ctx, v2); err != nil {
			t.Fatalf("Delete(v%d): %v", v2, err)
		}
		if data, v, err := e.Get(ctx, "p"); data != nil || v != 0 || err != nil {
			t.Errorf("after Delete, Get = %q, %d, %v; want nil, 0, nil", data, v, err)
		}
		if err := l.Delete(ctx, v2); err != nil {
			t.Errorf("Delete of a record already gone = %v, want nil", err)
		}
		if err := l.Delete(ctx, 0); err != nil {
			t.Errorf("Delete(v0) of no record = %v, want nil", err)
		}
	})

	t.Run("profiles are listed sorted, only under the prefix", func(t *testing.T) {
		e := open(t, cluster, "list")
		other := open(t, cluster, "list-other")
		ctx := guard(t)
		if got, err := e.Profiles(ctx); err != nil || len(got) != 0 {
			t.Fatalf("Profiles of an empty prefix = %v, %v", got, err)
		}
		for _, p := range []string{"work", "default", "cn-sandbox"} {
			l := mustLock(t, e, p)
			if _, err := l.Put(ctx, []byte("r-"+p), 0); err != nil {
				t.Fatal(err)
			}
			if err := l.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
		}
		l := mustLock(t, other, "elsewhere")
		if _, err := l.Put(ctx, []byte("r"), 0); err != nil {
			t.Fatal(err)
		}
		_ = l.Unlock(ctx)
		got, err := e.Profiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"cn-sandbox", "default", "work"}, got); diff != "" {
			t.Errorf("Profiles (-want +got):\n%s", diff)
		}
	})

	t.Run("a profile name with / is refused", func(t *testing.T) {
		e := open(t, cluster, "names")
		if _, err := e.Lock(guard(t), "a/b"); err == nil || !strings.Contains(err.Error(), "without /") {
			t.Errorf("Lock(a/b) = %v, want a refusal", err)
		}
		if _, _, err := e.Get(guard(t), ""); err == nil {
			t.Errorf("Get of an empty profile name succeeded")
		}
	})

	t.Run("a second lock waits until unlock; another profile does not", func(t *testing.T) {
		a, b := open(t, cluster, "wait"), open(t, cluster, "wait")
		ctx := guard(t)
		held := mustLock(t, a, "p")

		// Another profile's lock is free while p is held.
		other := mustLock(t, b, "q")
		if err := other.Unlock(ctx); err != nil {
			t.Fatal(err)
		}

		// A waiter gets p only after the holder has let go.
		var mu sync.Mutex
		released := false
		got := make(chan error, 1)
		go func() {
			l, err := b.Lock(ctx, "p")
			if err == nil {
				mu.Lock()
				if !released {
					err = errors.New("the second Lock returned while the first was held")
				}
				mu.Unlock()
				_ = l.Unlock(ctx)
			}
			got <- err
		}()
		// The waiter has queued once its key is under the lock prefix.
		awaitWaiters(t, cl, "wait", "p", 2)
		mu.Lock()
		released = true
		mu.Unlock()
		if err := held.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatal(err)
		}
		if n := waiters(t, cl, "wait", "p"); n != 0 {
			t.Errorf("%d lock keys left after both unlocked, want 0", n)
		}
	})

	t.Run("a lock whose ctx ends while waiting leaves no waiter", func(t *testing.T) {
		e := open(t, cluster, "giveup")
		ctx := guard(t)
		held := mustLock(t, e, "p")
		defer held.Unlock(ctx)
		leasesBefore := leaseCount(t, cl)

		wctx, cancel := context.WithCancel(ctx)
		got := make(chan error, 1)
		go func() {
			l, err := e.Lock(wctx, "p")
			if err == nil {
				_ = l.Unlock(ctx)
				err = errors.New("Lock returned while the lock was held")
			}
			got <- err
		}()
		awaitWaiters(t, cl, "giveup", "p", 2)
		cancel()
		err := <-got
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Lock with a cancelled ctx = %v, want context.Canceled", err)
		}
		if n := waiters(t, cl, "giveup", "p"); n != 1 {
			t.Errorf("%d lock keys after the waiter gave up, want only the holder's", n)
		}
		if n := leaseCount(t, cl); n != leasesBefore {
			t.Errorf("%d leases after the waiter gave up, want %d: its lease was not revoked", n, leasesBefore)
		}
	})

	t.Run("a lease revoked behind the lock's back loses the lock", func(t *testing.T) {
		e := open(t, cluster, "revoked")
		ctx := guard(t)
		l := mustLock(t, e, "p")
		v1, err := l.Put(ctx, []byte("mine"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Alive(ctx, 30*time.Second); err != nil {
			t.Fatalf("Alive(30s) of a fresh lock: %v", err)
		}
		if err := l.Alive(ctx, 2*lockTTL*time.Second); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Alive(%ds) beyond the lease = %v, want ErrLockLost", 2*lockTTL, err)
		}
		if _, err := cl.Revoke(ctx, clientv3.LeaseID(l.(*lock).lease)); err != nil {
			t.Fatal(err)
		}
		// The next holder takes the lock and writes.
		next := mustLock(t, e, "p")
		v2, err := next.Put(ctx, []byte("next"), v1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Put(ctx, []byte("late"), v2)
		if !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Put after the lease was revoked = %v, want ErrLockLost", err)
		}
		if err := l.Delete(ctx, v2); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Delete after the lease was revoked = %v, want ErrLockLost", err)
		}
		if err := l.Alive(ctx, time.Second); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Alive after the lease was revoked = %v, want ErrLockLost", err)
		}
		if err := l.Unlock(ctx); err != nil {
			t.Errorf("Unlock of a lost lock = %v, want nil", err)
		}
		if data, v, _ := e.Get(ctx, "p"); string(data) != "next" || v != v2 {
			t.Errorf("record = %q at %d, want the next holder's at %d", data, v, v2)
		}
		if err := next.Alive(ctx, time.Second); err != nil {
			t.Errorf("the next holder's lock suffered from the old one's Unlock: %v", err)
		}
		if err := next.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := next.Alive(ctx, time.Second); !errors.Is(err, shared.ErrLockLost) {
			t.Errorf("Alive after Unlock = %v, want ErrLockLost", err)
		}
	})

	t.Run("increments under the lock never lose an update", func(t *testing.T) {
		const machines, each = 4, 10
		ctx := guard(t)
		var wg sync.WaitGroup
		errs := make(chan error, machines*each)
		for range machines {
			e := open(t, cluster, "counter") // each machine its own client
			for range 2 {
				wg.Go(func() {
					for range each / 2 {
						errs <- sharedtest.Increment(ctx, e, "n")
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		data, _, err := open(t, cluster, "counter").Get(ctx, "n")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(data); got != strconv.Itoa(machines*each) {
			t.Errorf("counter = %s, want %d", got, machines*each)
		}
	})
}

// leaseCount is how many leases the cluster holds.
func leaseCount(t testing.TB, cl *clientv3.Client) int {
	t.Helper()
	resp, err := cl.Leases(guard(t))
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.Leases)
}

// TestElection writes across the loss of the leader of three: the lock
// survives the election and a write from the version read succeeds.
func TestElection(t *testing.T) {
	cluster := testengine.StartEtcd(t, 3)
	e := open(t, cluster, "election")
	ctx := guard(t)
	l := mustLock(t, e, "p")
	v1, err := l.Put(ctx, []byte("before"), 0)
	if err != nil {
		t.Fatal(err)
	}

	killed := cluster.KillLeader(t)
	t.Logf("killed member %d, the leader", killed)

	// A write in flight during the election may time out or be cut; one
	// committed but unanswered shows as a conflict with our own record.
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := l.Put(pctx, []byte("after"), v1)
		cancel()
		if err == nil {
			break
		}
		if errors.Is(err, shared.ErrLockLost) {
			t.Fatalf("the lock was lost in the election: %v", err)
		}
		if errors.Is(err, shared.ErrConflict) {
			if data, _, gerr := e.Get(ctx, "p"); gerr == nil && string(data) == "after" {
				break
			}
			t.Fatalf("Put after the election: %v", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("no write succeeded after the leader was killed: %v", err)
		}
		t.Logf("write during the election: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
	if err := l.Alive(ctx, 10*time.Second); err != nil {
		t.Errorf("Alive after the election: %v", err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	cluster.Restart(t, killed)
	l = mustLock(t, e, "p")
	defer l.Unlock(ctx)
	if data, _, err := l.Get(ctx); err != nil || string(data) != "after" {
		t.Errorf("after the member came back, Get = %q, %v; want after", data, err)
	}
}

// TestUnreachable checks that a cluster nobody answers for gives an error
// naming its endpoint once ctx ends, and that Open itself does not wait.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	e, err := Open("etcd://"+addr+"/p", func(string) string { return "" })
	if err != nil {
		t.Fatalf("Open of an unreachable cluster: %v", err)
	}
	defer e.Close()
	for name, call := range map[string]func(context.Context) error{
		"Get":      func(ctx context.Context) error { _, _, err := e.Get(ctx, "p"); return err },
		"Lock":     func(ctx context.Context) error { _, err := e.Lock(ctx, "p"); return err },
		"Profiles": func(ctx context.Context) error { _, err := e.Profiles(ctx); return err },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = %v, want context.DeadlineExceeded", name, err)
			continue
		}
		if want := "etcd at " + addr + ": "; !strings.Contains(err.Error(), want) {
			t.Errorf("%s error %q does not name %q", name, err, want)
		}
	}
}

// TestOpenTLSFiles checks that a CA file that cannot be read is named.
func TestOpenTLSFiles(t *testing.T) {
	missing := t.TempDir() + "/no-ca.pem"
	_, err := Open("etcd://127.0.0.1:2379/p?cacert="+missing, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open with a missing CA = %v, want an error naming %s", err, missing)
	}
}

// BenchmarkLockGetPutUnlock is one refresh's round trips to a one-member
// cluster: Lock, Get, Put, Unlock.
func BenchmarkLockGetPutUnlock(b *testing.B) {
	cluster := testengine.StartEtcd(b, 1)
	e := open(b, cluster, "bench")
	ctx := context.Background()
	record := []byte(strings.Repeat("x", 600))
	for b.Loop() {
		l, err := e.Lock(ctx, "p")
		if err != nil {
			b.Fatal(err)
		}
		_, v, err := l.Get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Put(ctx, record, v); err != nil {
			b.Fatal(err)
		}
		if err := l.Unlock(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestContract runs the conformance suite every engine runs.
func TestContract(t *testing.T) {
	c := testengine.StartEtcd(t, 1)
	sharedtest.Run(t, func(t *testing.T) func() shared.Engine {
		prefix := "contract-" + strings.ReplaceAll(t.Name(), "/", "-")
		return func() shared.Engine { return open(t, c, prefix) }
	})
}
