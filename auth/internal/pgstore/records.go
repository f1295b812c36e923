package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// Get returns profile's record and version, read without the lock: nil and
// 0 when the profile has none.
func (e *Engine) Get(ctx context.Context, profile string) ([]byte, int64, error) {
	var data []byte
	var version int64
	err := e.withConn(ctx, func(c *pgx.Conn) error {
		var err error
		data, version, err = getRecord(ctx, c, profile)
		return err
	})
	if err != nil {
		return nil, 0, e.errorf(ctx, err, "could not read profile %q", profile)
	}
	return data, version, nil
}

// getRecord reads one row on c; a missing row is nil, 0.
func getRecord(ctx context.Context, c *pgx.Conn, profile string) ([]byte, int64, error) {
	var data []byte
	var version int64
	err := c.QueryRow(ctx, `SELECT record, version FROM cozeauth_profiles WHERE profile = $1`, profile).Scan(&data, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if data == nil {
		data = []byte{}
	}
	return data, version, nil
}

// Profiles lists the profiles that have a record, sorted bytewise (as Go
// sorts strings, whatever the database's collation).
func (e *Engine) Profiles(ctx context.Context) ([]string, error) {
	var names []string
	err := e.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT profile FROM cozeauth_profiles`)
		if err != nil {
			return err
		}
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, e.errorf(ctx, err, "could not list the profiles")
	}
	sort.Strings(names)
	return names, nil
}

// errorf says what failed on which server, and when ctx ended first, says
// that rather than pgx's account of the cut connection.
func (e *Engine) errorf(ctx context.Context, err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if errors.Is(err, errClosed) {
		return fmt.Errorf("pgstore: %s: %w", what, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("pgstore: %s at PostgreSQL %s: %w (%v)", what, e.server, ctxErr, err)
	}
	return fmt.Errorf("pgstore: %s at PostgreSQL %s: %w", what, e.server, err)
}
