package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cozeauth/cozeauth/internal/sandbox"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// Issue 19: one login shared by a fleet through a real engine. A laptop
// logs in once with --storage; three "machines" (config directories of
// their own, knowing only the URL and the profile) run six `cozeauth token`
// callers each for 40 s, over token lives of 8 s refreshed 3 s before
// expiry, while callers are SIGKILLed at random and the engine is hurt
// while a machine holds the profile's lock (whileHeld): an etcd leader
// killed, a PostgreSQL fast restart. No call may
// fail, Coze may never see a spent refresh token, and the fleet refreshes
// about once per token life.
func TestEndToEndFleetOnEtcd(t *testing.T) {
	t.Parallel()
	etcd := testengine.StartEtcd(t, 3)
	cl, err := clientv3.New(clientv3.Config{Endpoints: etcd.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	runFleet(t, etcd.URL("cozeauth-fleet"), func(ctx context.Context) string {
		during := whileHeld(ctx, func(ctx context.Context) bool {
			resp, err := cl.Get(ctx, "cozeauth-fleet/locks/", clientv3.WithPrefix(), clientv3.WithCountOnly())
			return err == nil && resp.Count > 0
		})
		i := etcd.KillLeader(t)
		time.Sleep(2 * time.Second)
		etcd.Restart(t, i)
		return fmt.Sprintf("killed the etcd leader (member %d) %s, and restarted it 2 s later", i, during)
	})
}

func TestEndToEndFleetOnPostgres(t *testing.T) {
	t.Parallel()
	pg := testengine.StartPostgres(t)
	runFleet(t, pg.URL(), func(ctx context.Context) string {
		conn, err := pgx.Connect(ctx, pg.URL())
		if err != nil {
			t.Error(err)
			return ""
		}
		during := whileHeld(ctx, func(ctx context.Context) bool {
			var n int
			err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2`).Scan(&n)
			return err == nil && n > 0
		})
		conn.Close(ctx)
		pg.Restart(t)
		return "restarted PostgreSQL (fast: every connection cut) " + during
	})
}

// whileHeld polls held until some machine holds the engine's lock, so that
// the fault lands in the middle of a refresh, and says whether it did (a
// poll may miss every holding: the fault then lands after 10 s).
func whileHeld(ctx context.Context, held func(context.Context) bool) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if held(ctx) {
			return "while a machine held the profile's lock"
		}
		time.Sleep(2 * time.Millisecond)
	}
	return "(no holding seen in 10 s)"
}

const (
	fleetMachines  = 3
	fleetCallers   = 6 // per machine
	fleetDuration  = 40 * time.Second
	fleetAccessTTL = 8 * time.Second
	fleetMargin    = 3 * time.Second
)

func runFleet(t *testing.T, storage string, fault func(context.Context) string) {
	e := startE2E(t, "--access-ttl", fleetAccessTTL.String())
	// The laptop: a person consents once, straight into the shared store.
	laptop := []string{"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), "laptop")}
	login := e.run(laptop, "login", "--profile", "bots", "--storage", storage, "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s")
	if login.code != 0 {
		t.Fatalf("login --storage: exit %d\n%s", login.code, login.stderr)
	}
	secret := storagePassword(storage)

	// The machines know the URL and the profile, nothing else: no client
	// id, no API base (the sandbox's is in the shared settings).
	f := &fleet{e: e, running: map[*exec.Cmd]bool{}, codes: map[int]int{}}
	for i := range fleetMachines {
		f.machines = append(f.machines, []string{
			"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), fmt.Sprintf("machine%d", i)),
			"COZEAUTH_STORAGE=" + storage, "COZE_PROFILE=bots",
			"COZEAUTH_REFRESH_MARGIN=" + fleetMargin.String(),
			"COZE_API_BASE=", "COZE_WWW_BASE=",
		})
	}
	ctx, stop := context.WithTimeout(context.Background(), fleetDuration)
	defer stop()
	var wg sync.WaitGroup
	for _, env := range f.machines {
		for range fleetCallers {
			wg.Go(func() { f.callTokens(ctx, env) })
		}
	}
	wg.Go(func() { f.killCallers(ctx) })
	var faultDone string
	wg.Go(func() {
		select {
		case <-ctx.Done():
		case <-time.After(fleetDuration / 4):
			faultDone = fault(ctx)
		}
	})
	wg.Wait()
	waitForRefreshers(t, e.bin) // e2e_killed_test.go

	st := e.stats()
	lives := int(fleetDuration / (fleetAccessTTL - fleetMargin))
	t.Logf("%s; %d calls: %d exited 0, %d killed, other exits %v; the sandbox saw %d refreshes (%d token lives), %d refused",
		faultDone, f.calls, f.codes[0], f.killed, f.otherExits(), st.Refreshes, lives, st.RejectedRefreshes)
	if faultDone == "" {
		t.Error("the fault was never injected")
	}
	if f.failed > 0 {
		t.Errorf("%d token calls failed; the first said:\n%s", f.failed, f.firstFailure)
	}
	if f.codes[0] < fleetMachines*fleetCallers || f.killed < 10 {
		t.Errorf("the run proves nothing: %d calls succeeded, %d callers killed", f.codes[0], f.killed)
	}
	if st.RejectedRefreshes != 0 {
		t.Errorf("the sandbox refused %d refreshes: a spent refresh token was sent", st.RejectedRefreshes)
	}
	// About one refresh per token life: a lost answer or a fault may
	// cost one more now and then, never one per machine or per caller.
	if st.Refreshes < lives/2 || st.Refreshes > lives*3/2+2 {
		t.Errorf("the fleet refreshed %d times over %d token lives, want about one per life", st.Refreshes, lives)
	}
	for i, env := range f.machines {
		if r := e.run(env, "token"); r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") {
			t.Errorf("machine %d after the run: exit %d (the login was lost)\n%s", i, r.code, r.stderr)
		}
	}
	status := e.run(f.machines[0], "status")
	if !strings.Contains(status.stdout, "shared store") {
		t.Errorf("status does not name the shared store:\n%s", status.stdout)
	}
	for _, out := range []string{login.stdout, login.stderr, status.stdout, status.stderr, f.firstFailure} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("the engine's password was printed:\n%s", out)
		}
	}
}

// storagePassword is the password in a storage URL, "" if none.
func storagePassword(storage string) string {
	if u, err := url.Parse(storage); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	return ""
}

// fleet runs the machines' `cozeauth token` callers and kills some.
type fleet struct {
	e        *e2e
	machines [][]string // each machine's environment, over e.env

	mu            sync.Mutex
	running       map[*exec.Cmd]bool
	calls, killed int
	failed        int
	codes         map[int]int
	firstFailure  string
}

func (f *fleet) callTokens(ctx context.Context, env []string) {
	for ctx.Err() == nil {
		cmd := exec.Command(f.e.bin, "token")
		cmd.Env = append(append([]string{}, f.e.env...), env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			f.e.t.Error(err)
			return
		}
		f.mu.Lock()
		f.running[cmd] = true
		f.mu.Unlock()
		cmd.Wait()
		f.mu.Lock()
		delete(f.running, cmd)
		f.count(cmd.ProcessState, stderr.String())
		f.mu.Unlock()
	}
}

// count records how a caller ended; f.mu is held.
func (f *fleet) count(ps *os.ProcessState, stderr string) {
	f.calls++
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		f.killed++
		return
	}
	f.codes[ps.ExitCode()]++
	if ps.ExitCode() != 0 {
		f.failed++
		if f.firstFailure == "" {
			f.firstFailure = stderr
		}
	}
}

func (f *fleet) otherExits() map[int]int {
	other := map[int]int{}
	for code, n := range f.codes {
		if code != 0 {
			other[code] = n
		}
	}
	return other
}

// killCallers SIGKILLs a random running caller every 0.2–0.6 s.
func (f *fleet) killCallers(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200*time.Millisecond + rand.N(400*time.Millisecond)):
		}
		f.mu.Lock()
		callers := make([]*exec.Cmd, 0, len(f.running))
		for c := range f.running {
			callers = append(callers, c)
		}
		if len(callers) > 0 {
			callers[rand.N(len(callers))].Process.Signal(syscall.SIGKILL)
		}
		f.mu.Unlock()
	}
}

// The commands around a shared login, as a person uses them: one login on
// a laptop, `status --all` on a machine that knows only the URL, logout
// for the whole fleet, and an engine that cannot be reached.
func TestEndToEndSharedLoginCommands(t *testing.T) {
	t.Parallel()
	pg := testengine.StartPostgres(t)
	storage, secret := pg.URL(), storagePassword(pg.URL())
	e := startE2E(t)
	machine := func(name string, extra ...string) []string {
		return append([]string{"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), name), "COZEAUTH_STORAGE=" + storage, "COZE_API_BASE=", "COZE_WWW_BASE="}, extra...)
	}
	laptop := []string{"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), "laptop")}
	if r := e.run(laptop, "login", "--profile", "bots", "--storage", storage, "--client-id", sandbox.PKCEClientID, "--browser", "--timeout", "60s"); r.code != 0 {
		t.Fatalf("login --storage: exit %d\n%s", r.code, r.stderr)
	}
	a, b := machine("a"), machine("b")
	for _, m := range [][]string{a, b} {
		if r := e.run(m, "token", "--profile", "bots"); r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") {
			t.Fatalf("token on a machine that knows only the URL: exit %d\n%s", r.code, r.stderr)
		}
	}
	list := e.run(machine("c"), "status", "--all")
	t.Logf("status --all on a new machine:\n%s", list.stdout)
	if !strings.Contains(list.stdout, "bots") || strings.Contains(list.stdout+list.stderr, secret) {
		t.Errorf("status --all on a new machine: exit %d, want the shared profile bots, password masked\n%s%s", list.code, list.stdout, list.stderr)
	}
	out := e.run(a, "logout", "--profile", "bots")
	if out.code != 0 || !strings.Contains(out.stderr, "every machine") {
		t.Errorf("logout of a shared profile: exit %d\n%s", out.code, out.stderr)
	}
	if r := e.run(machine("d"), "token", "--profile", "bots"); r.code != 4 {
		t.Errorf("token on a new machine after the logout: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if r := e.run(b, "refresh", "--profile", "bots"); r.code != 4 {
		t.Errorf("refresh on another machine after the logout: exit %d, want 4\n%s", r.code, r.stderr)
	}
	// An engine nobody answers on: exit 1 naming it, never "log in".
	down := []string{"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), "down"), "COZEAUTH_STORAGE=postgres://bot:pw-down@127.0.0.1:1/coze", "COZE_API_BASE=", "COZE_WWW_BASE="}
	r := e.run(down, "token", "--profile", "bots")
	t.Logf("token with the engine down: %s", r.stderr)
	if r.code != 1 || !strings.Contains(r.stderr, "127.0.0.1:1") || strings.Contains(r.stderr, "cozeauth login") || strings.Contains(r.stderr, "pw-down") {
		t.Errorf("token with the engine down and nothing cached: exit %d, want 1 naming the engine (password masked), no login hint\n%s", r.code, r.stderr)
	}
}
