package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

var _ shared.Lock = (*Lock)(nil)

// connectionCheck is how often a server (PostgreSQL 14 and later) looks,
// while a statement runs, whether the client is still there. It matters
// for a lock wait whose client went away before the cancel arrived: the
// server stops waiting, and never grants the lock to nobody.
const connectionCheck = "1000"

// Lock is one profile's refresh lock: a session advisory lock held on a
// connection of its own. Its methods may be called from several
// goroutines; they run one at a time.
type Lock struct {
	e       *Engine
	profile string

	mu   sync.Mutex
	conn *pgx.Conn // nil once unlocked or lost
	lost error     // why the lock is gone, once it is
}

// Lock takes profile's refresh lock, waiting until ctx ends. The wait is
// bounded on the server too: lock_timeout is set from ctx's deadline, and
// when ctx ends pgx sends a cancel request. On any failure the connection
// is closed, never reused, so a lock the server granted just as the wait
// was given up dies with it.
func (e *Engine) Lock(ctx context.Context, profile string) (shared.Lock, error) {
	c, reused, err := e.conn(ctx, false)
	if err == nil {
		var cut bool
		cut, err = e.lockOn(ctx, c, profile)
		if err != nil && cut && reused && ctx.Err() == nil {
			// An idle connection cut while it waited (a server restart):
			// it held nothing, so try once on a new one.
			if c, _, err = e.conn(ctx, true); err == nil {
				_, err = e.lockOn(ctx, c, profile)
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			return nil, fmt.Errorf("pgstore: gave up waiting for the lock on profile %q at PostgreSQL %s: %w (%v)", profile, e.server, ctx.Err(), err)
		}
		return nil, fmt.Errorf("pgstore: could not take the lock on profile %q at PostgreSQL %s: %w", profile, e.server, err)
	}
	return &Lock{e: e, profile: profile, conn: c}, nil
}

// lockOn takes the advisory lock on c, closing c if it fails; cut says c
// had been cut before lockOn closed it.
func (e *Engine) lockOn(ctx context.Context, c *pgx.Conn, profile string) (cut bool, err error) {
	if err := e.ready(ctx, c); err != nil {
		cut = c.IsClosed()
		closeConn(c)
		return cut, err
	}
	timeout := "0" // no limit but ctx's cancel
	if d, ok := ctx.Deadline(); ok {
		timeout = strconv.FormatInt(max(time.Until(d).Milliseconds(), 1), 10)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('lock_timeout', $1, false)`, timeout)
	if serverVersion(c) >= 140000 {
		b.Queue(`SELECT set_config('client_connection_check_interval', $1, false)`, connectionCheck)
	}
	b.Queue(`SELECT pg_advisory_lock($1, hashtext($2))`, lockNamespace, profile)
	err = c.SendBatch(ctx, b).Close()
	if err == nil && ctx.Err() != nil {
		// Granted, but the caller has given up: a cancel request may be
		// in flight. Let the lock go with the connection.
		err = ctx.Err()
	}
	if err != nil {
		cut = c.IsClosed()
		closeConn(c)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available: lock_timeout
			return cut, fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
		}
		return cut, err
	}
	return false, nil
}

// serverVersion is the server's version number (150004 for 15.4), 0 when
// it did not say.
func serverVersion(c *pgx.Conn) int {
	n, _ := strconv.Atoi(c.PgConn().ParameterStatus("server_version_num"))
	if n == 0 {
		// Older servers report only server_version ("13.2 (Debian...)").
		v := c.PgConn().ParameterStatus("server_version")
		major := 0
		for i := 0; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
			major = major*10 + int(v[i]-'0')
		}
		n = major * 10000
	}
	return n
}

// Get reads the profile's record on the lock's connection.
func (l *Lock) Get(ctx context.Context) ([]byte, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.held(); err != nil {
		return nil, 0, err
	}
	data, version, err := getRecord(ctx, l.conn, l.profile)
	if err != nil {
		return nil, 0, l.failed(ctx, err, "could not read profile %q", l.profile)
	}
	return data, version, nil
}

// Put writes data as the record if its version is still version (0: none
// yet), in one autocommitted statement, and returns the new version.
// Versions start at 1 and grow by 1 a write.
func (l *Lock) Put(ctx context.Context, data []byte, version int64) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("pgstore: version %d of profile %q is not a version (they start at 1; 0 means no record)", version, l.profile)
	}
	if data == nil {
		data = []byte{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.held(); err != nil {
		return 0, err
	}
	var row pgx.Row
	if version == 0 {
		row = l.conn.QueryRow(ctx, `INSERT INTO cozeauth_profiles (profile, record, version) VALUES ($1, $2, 1)
			ON CONFLICT (profile) DO NOTHING RETURNING version`, l.profile, data)
	} else {
		row = l.conn.QueryRow(ctx, `UPDATE cozeauth_profiles SET record = $2, version = version + 1, updated_at = now()
			WHERE profile = $1 AND version = $3 RETURNING version`, l.profile, data, version)
	}
	var next int64
	err := row.Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("pgstore: could not write profile %q at PostgreSQL %s: %w (it is no longer version %d)", l.profile, l.e.server, shared.ErrConflict, version)
	}
	if err != nil {
		return 0, l.failed(ctx, err, "could not write profile %q", l.profile)
	}
	return next, nil
}

// Delete removes the record if its version is still version. A record
// that is not there is not an error; one at another version (or any
// record, for version 0) is [shared.ErrConflict].
func (l *Lock) Delete(ctx context.Context, version int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.held(); err != nil {
		return err
	}
	// The outer SELECT sees the table as it was before the DELETE in its
	// WITH: present says whether there was a record at all.
	var deleted, present int64
	err := l.conn.QueryRow(ctx, `WITH d AS (DELETE FROM cozeauth_profiles WHERE profile = $1 AND version = $2 RETURNING 1)
		SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM cozeauth_profiles WHERE profile = $1)`,
		l.profile, version).Scan(&deleted, &present)
	if err != nil {
		return l.failed(ctx, err, "could not delete profile %q", l.profile)
	}
	if deleted == 0 && present > 0 {
		return fmt.Errorf("pgstore: could not delete profile %q at PostgreSQL %s: %w (it is no longer version %d)", l.profile, l.e.server, shared.ErrConflict, version)
	}
	return nil
}

// Alive returns nil when the lock's connection answers and the server
// lists the advisory lock as held by that session. A connection-held lock
// has no lease running down, so d is not used: the lock holds for as long
// as the connection does, which no answer now can promise for any d.
func (l *Lock) Alive(ctx context.Context, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.held(); err != nil {
		return err
	}
	var held bool
	err := l.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND classid = $1::int4::oid AND objid = hashtext($2)::oid AND objsubid = 2
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`,
		lockNamespace, l.profile).Scan(&held)
	if err != nil {
		return l.failed(ctx, err, "could not check the lock on profile %q", l.profile)
	}
	if !held {
		l.lose(fmt.Errorf("pgstore: the lock on profile %q at PostgreSQL %s is not held by its session: %w", l.profile, l.e.server, shared.ErrLockLost))
		return l.lost
	}
	return nil
}

// Unlock releases the lock and gives the connection back to the engine.
// If the release does not go through, the connection is closed, which
// releases the lock on the server just as well, so Unlock reports no
// error for it. After a lost lock, or a second time, it does nothing.
func (l *Lock) Unlock(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	c := l.conn
	l.conn = nil
	l.lost = fmt.Errorf("pgstore: the lock on profile %q was unlocked: %w", l.profile, shared.ErrLockLost)
	var released bool
	err := c.QueryRow(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, lockNamespace, l.profile).Scan(&released)
	l.e.release(ctx, c, err != nil || !released)
	return nil
}

// held returns the reason the lock is gone, or nil while it is held.
func (l *Lock) held() error {
	if l.conn == nil {
		return l.lost
	}
	return nil
}

// lose records why the lock is gone and closes its connection, which
// frees the lock on the server if the server still thinks it is held.
func (l *Lock) lose(why error) {
	if l.conn != nil {
		closeConn(l.conn)
		l.conn = nil
	}
	l.lost = why
}

// failed turns an error on the lock's connection into the caller's error.
// A server's refusal on a working connection (a permission, a constraint)
// leaves the lock held. Anything else — the connection cut, a protocol
// failure, ctx ending mid-statement (whose cancel may still be in flight,
// and whose statement may or may not have committed) — loses the lock:
// the connection is closed and the error wraps [shared.ErrLockLost].
func (l *Lock) failed(ctx context.Context, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && !l.conn.IsClosed() && ctx.Err() == nil && !connectionLost(pe) {
		return fmt.Errorf("pgstore: %s at PostgreSQL %s: %w", what, l.e.server, err)
	}
	cause := err
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		cause = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	l.lose(fmt.Errorf("pgstore: %s at PostgreSQL %s: %w: %w", what, l.e.server, shared.ErrLockLost, cause))
	return l.lost
}

// connectionLost says a server error means the session is ending: a
// shutdown, a crash restart, a connection exception.
func connectionLost(pe *pgconn.PgError) bool {
	return pe.Severity == "FATAL" || pe.Severity == "PANIC" ||
		len(pe.Code) == 5 && (pe.Code[:2] == "08" || pe.Code[:2] == "57" && pe.Code != "57014")
}
