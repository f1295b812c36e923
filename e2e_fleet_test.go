package main

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
	var machines [][]string // each machine's environment, over e.env
	for i := range fleetMachines {
		machines = append(machines, []string{
			"COZEAUTH_CONFIG_DIR=" + filepath.Join(t.TempDir(), fmt.Sprintf("machine%d", i)),
			"COZEAUTH_STORAGE=" + storage, "COZE_PROFILE=bots",
			"COZEAUTH_REFRESH_MARGIN=" + fleetMargin.String(),
			"COZE_API_BASE=", "COZE_WWW_BASE=",
		})
	}
	ctx, stop := context.WithTimeout(context.Background(), fleetDuration)
	defer stop()
	k := &killLoop{e: e, running: map[*exec.Cmd]bool{}, enoughKills: math.MaxInt} // e2e_killed_test.go
	var wg sync.WaitGroup
	for _, env := range machines {
		for range fleetCallers {
			wg.Go(func() { k.callTokens(ctx, env) })
		}
	}
	wg.Go(func() { k.killCallers(ctx, func() {}) })
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
	failed := k.otherExits()
	firstFailure := k.firstLoginRequired + k.firstOther
	t.Logf("%s; %d calls: %d exited 0, %d killed, other exits %v; the sandbox saw %d refreshes (%d token lives), %d refused",
		faultDone, k.calls, k.codes[0], k.killedCalls, failed, st.Refreshes, lives, st.RejectedRefreshes)
	if faultDone == "" {
		t.Error("the fault was never injected")
	}
	if len(failed) > 0 {
		t.Errorf("token calls failed, by exit code %v; the first said:\n%s", failed, firstFailure)
	}
	if k.codes[0] < fleetMachines*fleetCallers || k.killedCalls < 10 {
		t.Errorf("the run proves nothing: %d calls succeeded, %d callers killed", k.codes[0], k.killedCalls)
	}
	if st.RejectedRefreshes != 0 {
		t.Errorf("the sandbox refused %d refreshes: a spent refresh token was sent", st.RejectedRefreshes)
	}
	// About one refresh per token life: a lost answer or a fault may
	// cost one more now and then, never one per machine or per caller.
	if st.Refreshes < lives/2 || st.Refreshes > lives*3/2+2 {
		t.Errorf("the fleet refreshed %d times over %d token lives, want about one per life", st.Refreshes, lives)
	}
	for i, env := range machines {
		if r := e.run(env, "token"); r.code != 0 || !strings.HasPrefix(r.stdout, "czu_") {
			t.Errorf("machine %d after the run: exit %d (the login was lost)\n%s", i, r.code, r.stderr)
		}
	}
	status := e.run(machines[0], "status")
	if !strings.Contains(status.stdout, "shared store") {
		t.Errorf("status does not name the shared store:\n%s", status.stdout)
	}
	for _, out := range []string{login.stdout, login.stderr, status.stdout, status.stderr, firstFailure} {
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
