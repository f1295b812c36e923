// Package pgstore keeps a shared login in PostgreSQL: the engine behind a
// postgres:// or postgresql:// shared-store URL, implementing
// [shared.Engine].
//
// Every profile is one row of the table cozeauth_profiles, created on first
// use. A profile's refresh lock is a session advisory lock taken on a
// connection set aside for that lock: the lock lives exactly as long as
// the connection, so a holder whose connection is cut (a restart, a
// network failure, a killed process) loses it at once and the server
// hands it to the next waiter. Writes are compare-and-set on the row's
// version, so a holder that lost its lock without noticing still cannot
// overwrite what the next holder wrote.
//
// The package speaks to the server through pgx's single connections with
// a small idle list of its own rather than pgxpool, which needs a module
// the project does not carry.
package pgstore
