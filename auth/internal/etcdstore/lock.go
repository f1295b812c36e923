package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// lockTTL is the lease of a lock, in seconds: more than three times the
// 20 s a refresh may take, granted when a waiter queues. The lease is not
// kept alive: auth waits at most 30 s in the queue and holds the lock at
// most about 40 s, and [lock.Alive] reports how much of the lease is left,
// so auth takes the lock again when it is short. A holder that dies frees
// the profile within a minute and a half.
const lockTTL = 90

// cleanupTimeout bounds giving back a waiter's key and lease after the
// caller's ctx ended; a lease not given back expires by itself after
// lockTTL.
const cleanupTimeout = 5 * time.Second

// pollInterval is how often a waiter asks whether the keys queued before
// its own are gone.
const pollInterval = 50 * time.Millisecond

// Lock takes profile's refresh lock with the algorithm of etcd's
// concurrency.Mutex: a lease of lockTTL seconds, a waiter's key
// <prefix>/locks/<profile>/<lease ID in hex> created on it, and the lock
// held once no key under <prefix>/locks/<profile>/ was created before
// ours. It waits until then or until ctx ends; then the waiter's key and
// lease are given back and ctx's error returned.
func (e *Engine) Lock(ctx context.Context, profile string) (shared.Lock, error) {
	if err := e.checkProfile(profile); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("could not lock profile %q", profile)
	var grant leaseGrantResponse
	if err := e.gw.call(ctx, "/v3/lease/grant", leaseGrantRequest{TTL: lockTTL}, &grant); err != nil {
		return nil, e.fail(what, err)
	}
	if grant.Error != "" || grant.ID == 0 {
		return nil, e.fail(what, fmt.Errorf("the cluster granted no lease: %s", grant.Error))
	}
	l := &lock{e: e, profile: profile, record: e.recordKey(profile), dir: e.lockDir(profile), lease: int64(grant.ID)}
	l.waiter = fmt.Sprintf("%s%x", l.dir, l.lease)

	owner, err := l.enqueue(ctx)
	if err == nil && !owner {
		err = l.wait(ctx)
	}
	if err != nil {
		l.abandon(ctx)
		if ctx.Err() != nil {
			return nil, e.fail(fmt.Sprintf("gave up waiting for the lock on profile %q", profile), ctx.Err())
		}
		return nil, e.fail(what, err)
	}
	return l, nil
}

// lock is one held refresh lock. Its methods may be called from several
// goroutines; they take turns.
type lock struct {
	e       *Engine
	profile string
	record  string // the record's key
	dir     string // the prefix of the lock's waiters' keys
	waiter  string // our waiter's key under dir
	lease   int64
	rev     int64 // our waiter key's create_revision

	mu       sync.Mutex // guards released
	released bool
}

// enqueue creates the waiter's key on the lease unless it is there (a
// retried request that was committed), learns its create_revision, and
// reports whether it is the oldest key under dir, so the lock is ours.
func (l *lock) enqueue(ctx context.Context) (bool, error) {
	req := txnRequest{
		Compare: []compare{createdAt(l.waiter, 0)},
		Success: []requestOp{
			{RequestPut: &putRequest{Key: []byte(l.waiter), Lease: num(l.lease)}},
			{RequestRange: l.oldest()},
		},
		Failure: []requestOp{{RequestRange: &rangeRequest{Key: []byte(l.waiter), KeysOnly: true}}},
	}
	var resp txnResponse
	if err := l.e.gw.call(ctx, "/v3/kv/txn", req, &resp); err != nil {
		return false, err
	}
	if !resp.Succeeded {
		kvs := resp.rangeAt(0).Kvs
		if len(kvs) == 0 {
			return false, l.lost("its key vanished as it was made")
		}
		l.rev = int64(kvs[0].CreateRevision)
		return false, nil
	}
	l.rev = int64(resp.Header.Revision)
	kvs := resp.rangeAt(1).Kvs
	return len(kvs) > 0 && int64(kvs[0].CreateRevision) == l.rev, nil
}

// oldest ranges over the lock's waiters for the one created first.
func (l *lock) oldest() *rangeRequest {
	return &rangeRequest{Key: []byte(l.dir), RangeEnd: prefixEnd(l.dir), SortOrder: "ASCEND", SortTarget: "CREATE", Limit: 1, KeysOnly: true}
}

// wait polls every pollInterval until our key is the oldest under dir:
// every waiter before it has unlocked, given up or lost its lease. If our
// key is gone (our lease lapsed while waiting) the lock is lost.
func (l *lock) wait(ctx context.Context) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		var resp rangeResponse
		if err := l.e.gw.call(ctx, "/v3/kv/range", l.oldest(), &resp); err != nil {
			return err
		}
		if len(resp.Kvs) == 0 || int64(resp.Kvs[0].CreateRevision) > l.rev {
			return l.lost(fmt.Sprintf("its lease of %d s expired while it waited", lockTTL))
		}
		if int64(resp.Kvs[0].CreateRevision) == l.rev {
			return nil
		}
	}
}

// abandon gives back the waiter's key and the lease after a failed Lock,
// bounded by cleanupTimeout even when ctx has already ended; failing, the
// lease expires by itself and takes the key with it.
func (l *lock) abandon(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_ = l.release(cctx)
}

// release revokes the lease, which deletes the waiter's key with it in
// the same commit: one round trip where deleting the key first (as
// concurrency.Mutex does) would be two. A lease already gone (and its key
// with it) is not an error.
func (l *lock) release(ctx context.Context) error {
	var resp emptyJSON
	err := l.e.gw.call(ctx, "/v3/lease/revoke", leaseRequest{ID: num(l.lease)}, &resp)
	if isLeaseNotFound(err) {
		return nil
	}
	return err
}

// lost is ErrLockLost, told about this profile.
func (l *lock) lost(why string) error {
	return fmt.Errorf("%s: lock on profile %q: %s: %w", l.e.where, l.profile, why, shared.ErrLockLost)
}

// Get reads the record as Engine.Get does.
func (l *lock) Get(ctx context.Context) ([]byte, int64, error) {
	return l.e.get(ctx, l.profile)
}

// Put writes data as the record in one transaction that holds only if
// this lock's key is still the one it made and the record is still at
// version, and returns the revision it was written at.
func (l *lock) Put(ctx context.Context, data []byte, version int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return 0, l.lost("it was unlocked")
	}
	if data == nil {
		data = []byte{}
	}
	resp, err := l.write(ctx, version, requestOp{RequestPut: &putRequest{Key: []byte(l.record), Value: data}})
	if err != nil {
		return 0, l.e.fail(fmt.Sprintf("could not write profile %q", l.profile), err)
	}
	if !resp.Succeeded {
		return 0, l.refused(resp, version)
	}
	return int64(resp.Header.Revision), nil
}

// Delete removes the record in a transaction as Put's. A record already
// gone is not an error.
func (l *lock) Delete(ctx context.Context, version int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return l.lost("it was unlocked")
	}
	resp, err := l.write(ctx, version, requestOp{RequestDeleteRange: &deleteRangeRequest{Key: []byte(l.record)}})
	if err != nil {
		return l.e.fail(fmt.Sprintf("could not delete profile %q", l.profile), err)
	}
	if resp.Succeeded {
		return nil
	}
	err = l.refused(resp, version)
	if errors.Is(err, shared.ErrConflict) && len(resp.rangeAt(1).Kvs) == 0 {
		return nil
	}
	return err
}

// write commits op if this lock's key still has the revision it was made
// at (as concurrency.Mutex.IsOwner) and the record is at version. Else it
// reads, in the same revision, whether the lock's key is still ours (a
// nested transaction of that compare alone) and the record's key, for
// refused to tell the two causes apart.
func (l *lock) write(ctx context.Context, version int64, op requestOp) (*txnResponse, error) {
	owner := createdAt(l.waiter, l.rev)
	req := txnRequest{
		Compare: []compare{owner, modifiedAt(l.record, version)},
		Success: []requestOp{op},
		Failure: []requestOp{
			{RequestTxn: &txnRequest{Compare: []compare{owner}}},
			{RequestRange: &rangeRequest{Key: []byte(l.record), KeysOnly: true}},
		},
	}
	var resp txnResponse
	if err := l.e.gw.call(ctx, "/v3/kv/txn", req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// refused says why a write's transaction failed: ErrLockLost when the lock
// key is no longer this lock's, else ErrConflict with the versions.
func (l *lock) refused(resp *txnResponse, version int64) error {
	if !resp.txnAt(0) {
		return l.lost("its key is gone (the lease expired or was revoked)")
	}
	var now int64
	if kvs := resp.rangeAt(1).Kvs; len(kvs) > 0 {
		now = int64(kvs[0].ModRevision)
	}
	return fmt.Errorf("%s: profile %q is at version %d, not %d: %w",
		l.e.where, l.profile, now, version, shared.ErrConflict)
}

// Alive returns nil if the lock's key is still on its lease and the lease
// has at least d left (in whole seconds, d rounded down), else
// ErrLockLost. The lease is never renewed, so what is left only shrinks.
func (l *lock) Alive(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return l.lost("it was unlocked")
	}
	var resp leaseTimeToLiveResponse
	err := l.e.gw.call(ctx, "/v3/lease/timetolive", leaseRequest{ID: num(l.lease), Keys: true}, &resp)
	if isLeaseNotFound(err) {
		return l.lost("its lease is gone")
	}
	if err != nil {
		return l.e.fail(fmt.Sprintf("could not check the lock on profile %q", l.profile), err)
	}
	if resp.TTL <= 0 {
		return l.lost("its lease is gone")
	}
	held := false
	for _, k := range resp.Keys {
		held = held || string(k) == l.waiter
	}
	if !held {
		return l.lost("its key was deleted")
	}
	if left, need := int64(resp.TTL), int64(d/time.Second); left < need {
		return l.lost(fmt.Sprintf("its lease has %d s left, less than the %d s asked", left, need))
	}
	return nil
}

// Unlock revokes the lock's lease, deleting its key, bounded by ctx.
// After a lost lease both find nothing and no harm is done; a second
// Unlock does nothing.
func (l *lock) Unlock(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	if err := l.release(ctx); err != nil {
		return l.e.fail(fmt.Sprintf("could not unlock profile %q (the lock lapses by itself within %d s)", l.profile, lockTTL), err)
	}
	return nil
}
