package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// lockTTL is the lease of a held lock, in seconds: three times the 20 s
// a refresh may take, so a holder that stops renewing (a dead machine)
// frees the profile within a minute, while one that is only slow keeps it.
const lockTTL = 60

// cleanupTimeout bounds giving back a lease after the caller's ctx ended;
// a lease not given back expires by itself after lockTTL.
const cleanupTimeout = 5 * time.Second

// Lock takes profile's refresh lock: a lease of lockTTL seconds kept alive
// in the background, and an etcd mutex on <prefix>/locks/<profile> bound
// to it. It waits until the lock is free or ctx ends; then the lease and
// the waiter's key are given back and ctx's error returned.
func (e *Engine) Lock(ctx context.Context, profile string) (shared.Lock, error) {
	if err := e.checkProfile(profile); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("could not lock profile %q", profile)
	// Grant the lease here rather than in NewSession, so that the grant is
	// bounded by ctx while the keep-alive lives on past it.
	grant, err := e.client.Grant(ctx, lockTTL)
	if err != nil {
		return nil, e.fail(what, err)
	}
	session, err := concurrency.NewSession(e.client, concurrency.WithTTL(lockTTL), concurrency.WithLease(grant.ID))
	if err != nil {
		e.revoke(ctx, grant.ID)
		return nil, e.fail(what, err)
	}
	mutex := concurrency.NewMutex(session, e.lockKey(profile))

	// The mutex cleans up after a failed wait with the client's own
	// context, which a cut-off cluster would hold for ever; wait for it in
	// the background so that this call ends with ctx.
	done := make(chan error, 1)
	go func() { done <- mutex.Lock(ctx) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(cleanupTimeout):
			go func() {
				<-done
				e.abandon(ctx, session)
			}()
			return nil, e.fail(what, ctx.Err())
		}
	}
	if err != nil {
		e.abandon(ctx, session)
		if ctx.Err() != nil {
			return nil, e.fail(fmt.Sprintf("gave up waiting for the lock on profile %q", profile), ctx.Err())
		}
		if errors.Is(err, concurrency.ErrSessionExpired) {
			return nil, e.fail(what, shared.ErrLockLost)
		}
		return nil, e.fail(what, err)
	}
	return &lock{e: e, profile: profile, key: e.recordKey(profile), session: session, mutex: mutex}, nil
}

// abandon stops the session's keep-alive and revokes its lease, which
// deletes the mutex's key with it.
func (e *Engine) abandon(ctx context.Context, s *concurrency.Session) {
	s.Orphan()
	e.revoke(ctx, s.Lease())
}

// revoke gives back a lease, bounded by cleanupTimeout even when ctx has
// already ended; failing, the lease expires by itself.
func (e *Engine) revoke(ctx context.Context, id clientv3.LeaseID) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, _ = e.client.Revoke(rctx, id)
}

// lock is one held refresh lock. Its methods may be called from several
// goroutines; they take turns.
type lock struct {
	e       *Engine
	profile string
	key     string
	session *concurrency.Session

	mu       sync.Mutex // guards mutex and released
	mutex    *concurrency.Mutex
	released bool
}

// lost is ErrLockLost, told about this profile.
func (l *lock) lost(why string) error {
	return fmt.Errorf("%s: lock on profile %q: %s: %w", l.e.where, l.profile, why, shared.ErrLockLost)
}

// Get reads the record as Engine.Get does.
func (l *lock) Get(ctx context.Context) ([]byte, int64, error) {
	return l.e.get(ctx, l.profile)
}

// Put writes data as the record in one transaction that holds only if this
// lock's key is still the owner and the record is still at version.
func (l *lock) Put(ctx context.Context, data []byte, version int64) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return 0, l.lost("it was unlocked")
	}
	resp, err := l.write(ctx, version, clientv3.OpPut(l.key, string(data)))
	if err != nil {
		return 0, l.e.fail(fmt.Sprintf("could not write profile %q", l.profile), err)
	}
	if !resp.Succeeded {
		return 0, l.refused(resp, version)
	}
	return resp.Header.Revision, nil
}

// Delete removes the record in a transaction as Put's. A record already
// gone is not an error.
func (l *lock) Delete(ctx context.Context, version int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return l.lost("it was unlocked")
	}
	resp, err := l.write(ctx, version, clientv3.OpDelete(l.key))
	if err != nil {
		return l.e.fail(fmt.Sprintf("could not delete profile %q", l.profile), err)
	}
	if resp.Succeeded {
		return nil
	}
	err = l.refused(resp, version)
	if errors.Is(err, shared.ErrConflict) && len(resp.Responses[1].GetResponseRange().Kvs) == 0 {
		return nil
	}
	return err
}

// write commits op if this lock still owns the mutex and the record is at
// version. Else it reads, in the same revision, whether the lock is still
// owned (a nested transaction of the owner compare alone) and the record's
// key, for refused to tell the two causes apart.
func (l *lock) write(ctx context.Context, version int64, op clientv3.Op) (*clientv3.TxnResponse, error) {
	owner := l.mutex.IsOwner()
	return l.e.client.Txn(ctx).
		If(owner, clientv3.Compare(clientv3.ModRevision(l.key), "=", version)).
		Then(op).
		Else(clientv3.OpTxn([]clientv3.Cmp{owner}, nil, nil), clientv3.OpGet(l.key, clientv3.WithKeysOnly())).
		Commit()
}

// refused says why a write's transaction failed: ErrLockLost when the lock
// key is no longer this lock's, else ErrConflict with the versions.
func (l *lock) refused(resp *clientv3.TxnResponse, version int64) error {
	if !resp.Responses[0].GetResponseTxn().GetSucceeded() {
		return l.lost("its key is gone (the lease expired or was revoked)")
	}
	var now int64
	if kvs := resp.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		now = kvs[0].ModRevision
	}
	return fmt.Errorf("%s: profile %q is at version %d, not %d: %w",
		l.e.where, l.profile, now, version, shared.ErrConflict)
}

// Alive returns nil if the lease is still being renewed and has at least d
// left, else ErrLockLost.
func (l *lock) Alive(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return l.lost("it was unlocked")
	}
	select {
	case <-l.session.Done():
		return l.lost("its lease is no longer renewed")
	default:
	}
	resp, err := l.e.client.TimeToLive(ctx, l.session.Lease())
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return l.lost("its lease is gone")
	}
	if err != nil {
		return l.e.fail(fmt.Sprintf("could not check the lock on profile %q", l.profile), err)
	}
	if resp.TTL <= 0 {
		return l.lost("its lease is gone")
	}
	if left := time.Duration(resp.TTL) * time.Second; left < d {
		return l.lost(fmt.Sprintf("its lease has %s left, less than the %s asked", left, d))
	}
	return nil
}

// Unlock deletes the mutex key and revokes the lease, bounded by ctx.
// After a lost lease both find nothing and no harm is done; a second
// Unlock does nothing.
func (l *lock) Unlock(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	l.released = true
	l.session.Orphan()
	uerr := l.mutex.Unlock(ctx)
	_, rerr := l.e.client.Revoke(ctx, l.session.Lease())
	if errors.Is(rerr, rpctypes.ErrLeaseNotFound) {
		rerr = nil
	}
	if err := errors.Join(uerr, rerr); err != nil {
		return l.e.fail(fmt.Sprintf("could not unlock profile %q (the lock lapses by itself within %d s)", l.profile, lockTTL), err)
	}
	return nil
}
