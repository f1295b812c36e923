// Package sharedtest is the conformance suite of the shared.Engine
// contract. Every engine runs it — etcd and PostgreSQL against real
// servers, and auth's in-memory engine — so that the fake the refresh
// rules are tested on behaves as the real engines do.
package sharedtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// Run checks the contract. newStore makes an empty store for a subtest and
// returns what opens an engine on it (as another process would: each call
// a connection of its own).
func Run(t *testing.T, newStore func(t *testing.T) (open func() shared.Engine)) {
	t.Run("records", func(t *testing.T) { records(t, newStore(t)()) })
	t.Run("lock", func(t *testing.T) { locks(t, newStore(t)()) })
	t.Run("no lost update", func(t *testing.T) { noLostUpdate(t, newStore(t)) })
}

// guard bounds a step that must not hang: a hang guard, not a speed limit.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustLock(t *testing.T, e shared.Engine, profile string) shared.Lock {
	t.Helper()
	l, err := e.Lock(guard(t), profile)
	if err != nil {
		t.Fatalf("Lock(%q): %v", profile, err)
	}
	return l
}

func records(t *testing.T, e shared.Engine) {
	ctx := guard(t)
	if data, v, err := e.Get(ctx, "absent"); data != nil || v != 0 || err != nil {
		t.Errorf("Get of an absent profile = %q, %d, %v; want nil, 0, nil", data, v, err)
	}
	v1, v2 := compareAndSet(t, ctx, e)
	for _, p := range []string{"zeta", "alpha"} {
		pl := mustLock(t, e, p)
		if _, err := pl.Put(ctx, []byte(p), 0); err != nil {
			t.Fatal(err)
		}
		pl.Unlock(ctx)
	}
	if names, err := e.Profiles(ctx); err != nil || !slices.Equal(names, []string{"alpha", "bots", "zeta"}) {
		t.Errorf("Profiles = %v, %v; want alpha bots zeta", names, err)
	}
	deletes(t, ctx, e, v1, v2)
}

// compareAndSet writes profile bots twice under one lock, checks that
// stale versions and a released lock write nothing, and returns the two
// versions.
func compareAndSet(t *testing.T, ctx context.Context, e shared.Engine) (v1, v2 int64) {
	l := mustLock(t, e, "bots")
	v1, err := l.Put(ctx, []byte("one"), 0)
	if err != nil || v1 <= 0 {
		t.Fatalf("first Put = %d, %v; want a version > 0", v1, err)
	}
	if _, err := l.Put(ctx, []byte("again"), 0); !errors.Is(err, shared.ErrConflict) {
		t.Errorf("Put from version 0 over a record: %v, want ErrConflict", err)
	}
	if v2, err = l.Put(ctx, []byte("two"), v1); err != nil || v2 == v1 {
		t.Fatalf("second Put = %d, %v; want a new version", v2, err)
	}
	if _, err := l.Put(ctx, []byte("stale"), v1); !errors.Is(err, shared.ErrConflict) {
		t.Errorf("Put with a stale version: %v, want ErrConflict", err)
	}
	if data, v, err := l.Get(ctx); string(data) != "two" || v != v2 || err != nil {
		t.Errorf("Get under the lock = %q, %d, %v; want two, %d", data, v, err, v2)
	}
	if data, v, err := e.Get(ctx, "bots"); string(data) != "two" || v != v2 || err != nil {
		t.Errorf("Get = %q, %d, %v; want two, %d", data, v, err, v2)
	}
	if err := l.Alive(ctx, time.Second); err != nil {
		t.Errorf("Alive of a lock just taken: %v", err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, []byte("after"), v2); err == nil {
		t.Error("Put after Unlock succeeded")
	}
	if err := l.Unlock(ctx); err != nil {
		t.Errorf("a second Unlock: %v", err)
	}
	return v1, v2
}

// deletes removes bots, whose versions were v1 then v2.
func deletes(t *testing.T, ctx context.Context, e shared.Engine, v1, v2 int64) {
	l := mustLock(t, e, "bots")
	defer l.Unlock(ctx)
	if err := l.Delete(ctx, v1); !errors.Is(err, shared.ErrConflict) {
		t.Errorf("Delete with a stale version: %v, want ErrConflict", err)
	}
	if err := l.Delete(ctx, v2); err != nil {
		t.Fatal(err)
	}
	if data, v, err := e.Get(ctx, "bots"); data != nil || v != 0 || err != nil {
		t.Errorf("Get after Delete = %q, %d, %v", data, v, err)
	}
	if err := l.Delete(ctx, 0); err != nil {
		t.Errorf("Delete of an absent record: %v", err)
	}
}

func locks(t *testing.T, e shared.Engine) {
	ctx := guard(t)
	held := mustLock(t, e, "bots")
	// Another profile's lock does not wait for this one.
	other := mustLock(t, e, "other")
	other.Unlock(ctx)
	// The same profile's does, until the holder lets go or ctx ends.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if l, err := e.Lock(short, "bots"); err == nil {
		l.Unlock(ctx)
		t.Fatal("a second Lock of a held profile was granted")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second Lock whose ctx ended: %v, want the ctx's error", err)
	}
	got := make(chan shared.Lock)
	go func() {
		l, err := e.Lock(ctx, "bots")
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	select {
	case <-got:
		t.Fatal("the lock was granted while held")
	case <-time.After(100 * time.Millisecond):
	}
	held.Unlock(ctx)
	if l := <-got; l != nil {
		l.Unlock(ctx)
	}
}

func noLostUpdate(t *testing.T, open func() shared.Engine) {
	const workers, rounds = 4, 10
	ctx := guard(t)
	var wg sync.WaitGroup
	for range workers {
		e := open()
		wg.Go(func() {
			for range rounds {
				if err := Increment(ctx, e, "counter"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	data, _, err := open().Get(ctx, "counter")
	if n, _ := strconv.Atoi(string(data)); err != nil || n != workers*rounds {
		t.Errorf("counter = %q, %v; want %d: an update was lost", data, err, workers*rounds)
	}
}

// Increment adds one to profile's record, a counter, as a refresh uses an
// engine: lock, read, write over the version read, unlock. Engines'
// benchmarks time it.
func Increment(ctx context.Context, e shared.Engine, profile string) error {
	l, err := e.Lock(ctx, profile)
	if err != nil {
		return err
	}
	defer l.Unlock(ctx)
	data, v, err := l.Get(ctx)
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(string(data))
	if _, err := l.Put(ctx, []byte(strconv.Itoa(n+1)), v); err != nil {
		return fmt.Errorf("put %d over version %d: %w", n+1, v, err)
	}
	return nil
}
