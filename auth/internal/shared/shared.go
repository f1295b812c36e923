// Package shared is the contract between auth and the engines that keep one
// login for many machines (etcd in etcdstore, PostgreSQL in pgstore). An
// engine keeps each profile's record as opaque bytes with a version, takes
// a per-profile lock that lives on a lease or a connection, and writes only
// with compare-and-set: a holder whose lock lapsed cannot overwrite what
// the next holder wrote. What a record means, and every rule of a refresh,
// stay in auth.
package shared

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrConflict means a write lost its compare-and-set: the record is no
	// longer the version that was read.
	ErrConflict = errors.New("the shared record changed since it was read")
	// ErrLockLost means the lock is no longer held (its lease expired, its
	// connection was cut), or will not be for as long as was asked.
	ErrLockLost = errors.New("the shared lock is no longer held")
)

// Engine is one shared store, opened from its URL. Every call is bounded by
// its ctx; none retries for ever.
type Engine interface {
	// Get returns profile's record and its version, read without the lock;
	// nil data and version 0 when the profile has none.
	Get(ctx context.Context, profile string) (data []byte, version int64, err error)
	// Lock takes profile's refresh lock, waiting until ctx ends. Locks of
	// different profiles do not wait for each other.
	Lock(ctx context.Context, profile string) (Lock, error)
	// Profiles lists the profiles that have a record, sorted.
	Profiles(ctx context.Context) ([]string, error)
	// Close releases the engine's connections.
	Close() error
}

// Lock is one profile's refresh lock, held.
type Lock interface {
	// Get reads the profile's record as Engine.Get does.
	Get(ctx context.Context) (data []byte, version int64, err error)
	// Put writes data as the record if its version is still version (0: no
	// record) and the lock is still held, and returns the new version
	// (always > 0). It is durable when it returns. ErrConflict: the
	// version is stale; ErrLockLost: the lock lapsed.
	Put(ctx context.Context, data []byte, version int64) (int64, error)
	// Delete removes the record if its version is still version, as Put.
	// Deleting a record that is not there is not an error.
	Delete(ctx context.Context, version int64) error
	// Alive returns nil if the lock is held now and will be for at least d
	// more (a lease's remaining TTL, a live connection), else ErrLockLost
	// or the engine's error.
	Alive(ctx context.Context, d time.Duration) error
	// Unlock releases the lock. After a lost lock it does nothing.
	Unlock(ctx context.Context) error
}
