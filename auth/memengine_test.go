package auth

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
	"github.com/cozeauth/cozeauth/auth/internal/shared/sharedtest"
)

// memEngine is a shared engine in memory, for the rules of a shared
// refresh; the real engines have their own tests against etcd and
// PostgreSQL, and the fleet test runs these rules on them.
type memEngine struct {
	mu      sync.Mutex
	records map[string]memRecord
	holders map[string]*memLock
	freed   *sync.Cond
	calls   int  // every call that reached the engine
	down    bool // answers nothing but errEngineDown
	// lapseBeforePut, when set, makes the lock lapse (and another holder
	// write meanwhile, through change) just before the next Put.
	lapseBeforePut func(r map[string]memRecord)
	aliveFor       []time.Duration // what the next Alive calls report, in turn
}

type memRecord struct {
	data    []byte
	version int64
}

var errEngineDown error = &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: errors.New("connection refused")}

func newMemEngine() *memEngine {
	e := &memEngine{records: map[string]memRecord{}, holders: map[string]*memLock{}}
	e.freed = sync.NewCond(&e.mu)
	return e
}

// useMemEngine makes URL name e in st and its copies.
func useMemEngine(st *Store, url string, e *memEngine) {
	st.engines.open = map[string]shared.Engine{url: e}
}

func (e *memEngine) enter() error {
	e.calls++
	if e.down {
		return errEngineDown
	}
	return nil
}

func (e *memEngine) Get(_ context.Context, profile string) ([]byte, int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return nil, 0, err
	}
	r := e.records[profile]
	return r.data, r.version, nil
}

func (e *memEngine) Lock(ctx context.Context, profile string) (shared.Lock, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { e.mu.Lock(); e.freed.Broadcast(); e.mu.Unlock() })
	defer stop()
	for e.holders[profile] != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e.freed.Wait()
	}
	l := &memLock{e: e, profile: profile}
	e.holders[profile] = l
	return l, nil
}

func (e *memEngine) Profiles(context.Context) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return nil, err
	}
	var names []string
	for p := range e.records {
		names = append(names, p)
	}
	slices.Sort(names)
	return names, nil
}

func (e *memEngine) Close() error { return nil }

// put writes a record as another machine would.
func (e *memEngine) put(profile string, data []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records[profile] = memRecord{data, e.records[profile].version + 1}
}

type memLock struct {
	e       *memEngine
	profile string
	lost    bool
}

func (l *memLock) held() error {
	if l.lost || l.e.holders[l.profile] != l {
		return shared.ErrLockLost
	}
	return nil
}

// writable says whether a write over version may go in: the lock held,
// the record still at version; e.mu is held.
func (l *memLock) writable(version int64) error {
	if err := l.held(); err != nil {
		return err
	}
	if l.e.records[l.profile].version != version {
		return shared.ErrConflict
	}
	return nil
}

func (l *memLock) Get(ctx context.Context) ([]byte, int64, error) {
	return l.e.Get(ctx, l.profile)
}

func (l *memLock) Put(_ context.Context, data []byte, version int64) (int64, error) {
	e := l.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return 0, err
	}
	if change := e.lapseBeforePut; change != nil {
		e.lapseBeforePut = nil
		l.lost = true
		delete(e.holders, l.profile)
		e.freed.Broadcast()
		change(e.records)
	}
	if err := l.writable(version); err != nil {
		return 0, err
	}
	next := memRecord{data, version + 1}
	e.records[l.profile] = next
	return next.version, nil
}

func (l *memLock) Delete(_ context.Context, version int64) error {
	e := l.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return err
	}
	if err := l.writable(version); err != nil {
		return err
	}
	delete(e.records, l.profile)
	return nil
}

func (l *memLock) Alive(_ context.Context, d time.Duration) error {
	e := l.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enter(); err != nil {
		return err
	}
	if err := l.held(); err != nil {
		return err
	}
	if len(e.aliveFor) > 0 {
		left := e.aliveFor[0]
		e.aliveFor = e.aliveFor[1:]
		if left < d {
			return shared.ErrLockLost
		}
	}
	return nil
}

func (l *memLock) Unlock(context.Context) error {
	e := l.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if l.held() == nil {
		delete(e.holders, l.profile)
		e.freed.Broadcast()
	}
	return nil
}

// TestMemEngineKeepsTheContract runs the conformance suite the real
// engines run on the fake the refresh rules are tested with.
func TestMemEngineKeepsTheContract(t *testing.T) {
	sharedtest.Run(t, func(*testing.T) func() shared.Engine {
		e := newMemEngine()
		return func() shared.Engine { return e }
	})
}
