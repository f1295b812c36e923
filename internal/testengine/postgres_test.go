//go:build unix

package testengine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestStartPostgresAndRestart(t *testing.T) {
	p := StartPostgres(t)
	if !strings.Contains(p.URL(), ":"+pgPassword+"@127.0.0.1:") || !strings.HasSuffix(p.URL(), "/cozeauth?sslmode=disable") {
		t.Fatalf("URL() = %q; want postgres://user:password@127.0.0.1:port/cozeauth?sslmode=disable", p.URL())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // hang guard
	defer cancel()
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var db string
	if err := c.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil || db != "cozeauth" {
		t.Fatalf("current_database() = %q, %v; want cozeauth", db, err)
	}

	// The password is checked: a wrong one is refused.
	bad := strings.Replace(p.URL(), pgPassword, "wrong-password", 1)
	if c2, err := pgx.Connect(ctx, bad); err == nil {
		c2.Close(ctx)
		t.Fatal("connected with a wrong password; want the cluster to require the right one")
	}

	p.Restart(t)
	if err := c.Ping(ctx); err == nil {
		t.Fatal("a connection from before Restart still answers; want Restart to cut every session")
	}
	c3, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatalf("could not connect after Restart on the same port: %v", err)
	}
	c3.Close(ctx)
}
