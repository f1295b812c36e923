package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// lockNamespace is the first key of every advisory lock cozeauth takes
// ("czau"), so its locks do not collide with another application's that
// use the two-key form in the same database.
const lockNamespace int32 = 0x637a6175

// schemaLockKey is the one-key (bigint) advisory lock held while the table
// is created. One-key and two-key advisory locks never conflict, so this
// cannot meet a profile's lock.
const schemaLockKey = int64(lockNamespace) << 32

const createTable = `CREATE TABLE IF NOT EXISTS cozeauth_profiles (
	profile    text        PRIMARY KEY,
	record     bytea       NOT NULL,
	version    bigint      NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
)`

// ready makes sure the table exists, once per Engine. It first only looks
// (so a role that may use the table but not create one works), and creates
// the table under an advisory lock: CREATE TABLE IF NOT EXISTS run by many
// sessions at once can otherwise fail with a unique violation on the
// catalogue.
func (e *Engine) ready(ctx context.Context, c *pgx.Conn) error {
	e.schemaMu.Lock()
	done := e.schemaReady
	e.schemaMu.Unlock()
	if done {
		return nil
	}
	var exists bool
	if err := c.QueryRow(ctx, `SELECT to_regclass('cozeauth_profiles') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("could not look for the table cozeauth_profiles: %w", err)
	}
	if !exists {
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockKey); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, createTable)
			return err
		})
		if err != nil {
			return fmt.Errorf("could not create the table cozeauth_profiles (the role needs CREATE on the schema, or create the table once by hand): %w", err)
		}
	}
	e.schemaMu.Lock()
	e.schemaReady = true
	e.schemaMu.Unlock()
	return nil
}
