package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

var _ shared.Engine = (*Engine)(nil)

const (
	// defaultConnectTimeout bounds one connection attempt when the URL
	// (connect_timeout) and PGCONNECT_TIMEOUT name none, so a server that
	// drops packets fails a refresh instead of stalling it.
	defaultConnectTimeout = 5 * time.Second
	// cancelGrace is how long after its ctx ends a statement may still wait
	// for the server to honour a cancel request before the socket is cut.
	// Waiting for the server's answer means a Lock that gives up returns
	// only once the server has stopped waiting for the lock on its behalf
	// (pgx would otherwise cut the socket at once and cancel afterwards).
	cancelGrace = time.Second
	// maxIdle is how many connections an Engine keeps open between calls:
	// one refresh needs one at a time, a few goroutines a few.
	maxIdle = 4
)

// errClosed is returned by calls on an Engine after Close.
var errClosed = errors.New("pgstore: the PostgreSQL engine is closed")

// Engine is a shared login kept in one PostgreSQL database. It is safe for
// use by many goroutines. Its zero value is not usable: call [Open].
type Engine struct {
	cfg    *pgx.ConnConfig
	server string // host:port/db, for errors

	mu     sync.Mutex
	idle   []*pgx.Conn
	closed bool

	schemaMu    sync.Mutex
	schemaReady bool
}

// Open prepares an engine for the database rawURL names: a libpq URL
// (postgres:// or postgresql://) or keyword string, with every libpq
// parameter and PG* environment variable honoured. It does not connect;
// the first call does, and creates the table if it is missing. A URL that
// cannot be parsed is an error that shows it with its password masked.
func Open(rawURL string) (*Engine, error) {
	if strings.TrimSpace(rawURL) == "" {
		return nil, errors.New("pgstore: no PostgreSQL URL given; use postgres://user:password@host:5432/dbname")
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the PostgreSQL URL %s is not valid: %s; give postgres://user:password@host:5432/dbname", Redact(rawURL), parseReason(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelGrace}
	}
	return &Engine{cfg: cfg, server: serverName(cfg)}, nil
}

// parseReason is what pgx found wrong with a URL, without the copy of the
// URL its message starts with: Open shows the URL itself, masked by
// [Redact].
func parseReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		return msg[i+len("`: "):]
	}
	return msg
}

// serverName is host:port/db of cfg's first host, what errors name.
func serverName(cfg *pgx.ConnConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))) + "/" + cfg.Database
}

// Close closes the engine's idle connections. Locks still held keep theirs
// until they are unlocked.
func (e *Engine) Close() error {
	e.mu.Lock()
	idle := e.idle
	e.idle, e.closed = nil, true
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
	defer cancel()
	for _, c := range idle {
		_ = c.Close(ctx)
	}
	return nil
}

// conn returns an idle connection, or a new one when there is none or
// fresh is set. reused says it came from the idle list, and so may have
// been cut while it waited there.
func (e *Engine) conn(ctx context.Context, fresh bool) (c *pgx.Conn, reused bool, err error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, false, errClosed
	}
	for !fresh && len(e.idle) > 0 {
		c = e.idle[len(e.idle)-1]
		e.idle = e.idle[:len(e.idle)-1]
		if !c.IsClosed() {
			e.mu.Unlock()
			return c, true, nil
		}
	}
	e.mu.Unlock()
	c, err = pgx.ConnectConfig(ctx, e.cfg)
	if err != nil {
		return nil, false, fmt.Errorf("could not connect: %w", err)
	}
	return c, false, nil
}

// release gives c back to the idle list, or closes it when it may not be
// reused: after an error, after its ctx ended (a cancel request may still
// be on its way to the server and would hit the next statement), when the
// list is full, or when the engine is closed.
func (e *Engine) release(ctx context.Context, c *pgx.Conn, failed bool) {
	if !failed && ctx.Err() == nil && !c.IsClosed() {
		e.mu.Lock()
		if !e.closed && len(e.idle) < maxIdle {
			e.idle = append(e.idle, c)
			e.mu.Unlock()
			return
		}
		e.mu.Unlock()
	}
	closeConn(c)
}

// closeConn closes c without waiting long for the server to hear of it:
// the server ends the session, and frees its locks, when the socket goes.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
	defer cancel()
	_ = c.Close(ctx)
}

// withConn runs f on a connection and gives it back. f only reads, so when
// a connection from the idle list turns out to have been cut (the server
// restarted meanwhile) f runs once more on a new one.
func (e *Engine) withConn(ctx context.Context, f func(*pgx.Conn) error) error {
	c, reused, err := e.conn(ctx, false)
	if err != nil {
		return err
	}
	err = e.ready(ctx, c)
	if err == nil {
		err = f(c)
	}
	cut := err != nil && c.IsClosed()
	e.release(ctx, c, err != nil)
	if cut && reused && ctx.Err() == nil {
		if c, _, err = e.conn(ctx, true); err != nil {
			return err
		}
		err = e.ready(ctx, c)
		if err == nil {
			err = f(c)
		}
		e.release(ctx, c, err != nil)
	}
	return err
}
