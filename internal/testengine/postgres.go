//go:build unix

package testengine

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// pgUser and pgPassword are the test cluster's superuser, a made-up
	// password so the URL carries one and callers' masking is exercised.
	pgUser     = "cozeauth"
	pgPassword = "fake-pg-password-for-tests"
	// pgDatabase is the database StartPostgres creates for the test.
	pgDatabase = "cozeauth"
	// pgGuard bounds each step of starting, restarting and stopping the
	// server: a hang guard, not a speed check.
	pgGuard = 3 * time.Minute
)

// Postgres is a PostgreSQL server of the test's own, on 127.0.0.1.
type Postgres struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // everything of this server's: data, socket, log
	port int
	cred *syscall.Credential // whom the server runs as when the test runs as root
}

// StartPostgres initialises a fresh cluster in a temporary directory,
// starts it on a free loopback port with a password-protected superuser
// and fsync off, creates the database cozeauth, and stops the server when
// the test ends. The server's log is shown only if the test failed.
//
// PostgreSQL refuses to run as root, so as root the server runs as the
// postgres user Debian's package creates, in a directory of its own
// outside t.TempDir (whose parents only root may enter).
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	p := &Postgres{bin: pgBinDir(t), port: freePort(t)}
	if os.Geteuid() == 0 {
		p.cred = postgresUser(t)
	}
	dir, err := os.MkdirTemp("", "cozeauth-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p.dir = dir
	p.mkdir(t, dir)
	p.mkdir(t, filepath.Join(dir, "socket"))
	pwfile := filepath.Join(dir, "pwfile")
	p.writeFile(t, pwfile, pgPassword+"\n")

	p.run(t, "initdb", "-D", p.data(), "-U", pgUser, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"fsync = off\nfull_page_writes = off\nsynchronous_commit = on\nshared_buffers = 16MB\nmax_connections = 100\n",
		p.port, filepath.Join(dir, "socket"))
	f, err := os.OpenFile(filepath.Join(p.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(conf); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(p.logFile()); err == nil {
				t.Logf("PostgreSQL server log:\n%s", log)
			}
		}
	})
	p.run(t, "pg_ctl", "-D", p.data(), "-l", p.logFile(), "-w", "-t", strconv.Itoa(int(pgGuard.Seconds())), "start")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), pgGuard)
		defer cancel()
		cmd := p.command(ctx, "pg_ctl", "-D", p.data(), "-w", "-t", strconv.Itoa(int(pgGuard.Seconds())), "stop", "-m", "immediate")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("could not stop PostgreSQL: %v\n%s", err, out)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), pgGuard)
	defer cancel()
	c, err := pgx.Connect(ctx, p.urlFor("postgres"))
	if err != nil {
		t.Fatalf("could not connect to the test PostgreSQL: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgDatabase); err != nil {
		t.Fatalf("could not create database %s: %v", pgDatabase, err)
	}
	return p
}

// URL is the address of the test database, password included:
// postgres://user:password@127.0.0.1:port/cozeauth?sslmode=disable.
func (p *Postgres) URL() string { return p.urlFor(pgDatabase) }

// Port is the server's TCP port on 127.0.0.1.
func (p *Postgres) Port() int { return p.port }

func (p *Postgres) urlFor(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(pgUser, pgPassword),
		Host:     "127.0.0.1:" + strconv.Itoa(p.port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Restart stops the server the fast way, which ends every session and so
// releases every advisory lock, and starts it again on the same port.
func (p *Postgres) Restart(t testing.TB) {
	t.Helper()
	p.run(t, "pg_ctl", "-D", p.data(), "-l", p.logFile(), "-w", "-t", strconv.Itoa(int(pgGuard.Seconds())), "restart", "-m", "fast")
}

func (p *Postgres) data() string    { return filepath.Join(p.dir, "data") }
func (p *Postgres) logFile() string { return filepath.Join(p.dir, "server.log") }

// command runs one of the server's programs as the server's user, in its
// directory (the postgres user may not enter the test's working directory).
func (p *Postgres) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, name), args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

func (p *Postgres) run(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pgGuard)
	defer cancel()
	out, err := p.command(ctx, name, args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(p.logFile())
		t.Fatalf("%s %s failed: %v\n%s\nserver log:\n%s", name, strings.Join(args, " "), err, out, log)
	}
}

// mkdir makes a directory the server's user owns and others may enter.
func (p *Postgres) mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p.chown(t, dir)
}

func (p *Postgres) writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	p.chown(t, path)
}

func (p *Postgres) chown(t testing.TB, path string) {
	t.Helper()
	if p.cred == nil {
		return
	}
	if err := os.Chown(path, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
		t.Fatal(err)
	}
}

// postgresUser is the postgres account, for a test running as root.
func postgresUser(t testing.TB) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("postgres")
	if err != nil {
		msg := "this test runs as root and PostgreSQL will not; it needs the postgres user (apt-get install postgresql): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		t.Fatalf("the postgres user has uid %q gid %q, not numbers", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
}

// pgBinDir finds the directory of initdb, pg_ctl and postgres: the newest
// /usr/lib/postgresql/*/bin (where Debian puts them, off $PATH), else
// $PATH. A link on $PATH is followed, since initdb finds postgres next to
// itself.
func pgBinDir(t testing.TB) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	names := []string{"initdb", "pg_ctl", "postgres"}
	for _, d := range dirs {
		complete := true
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(d, n)); err != nil {
				complete = false
			}
		}
		if complete {
			return d
		}
	}
	paths := need(t, "postgresql", names...)
	real, err := filepath.EvalSymlinks(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(real)
}

// pgMajor is the version in /usr/lib/postgresql/<version>/bin.
func pgMajor(dir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
	return v
}
