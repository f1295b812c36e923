package testengine

import (
	"context"
	"testing"
	"time"
)

// TestStartEtcd checks that a started member takes a write and a read
// through the URL's endpoints, and that the URL names every member.
func TestStartEtcd(t *testing.T) {
	e := StartEtcd(t, 1)
	if got, want := e.URL("p"), "etcd://"+e.Endpoints()[0]+"/p"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	c, err := newClient(e.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put: %v", err)
	}
	r, err := c.Get(ctx, "k")
	if err != nil || len(r.Kvs) != 1 || string(r.Kvs[0].Value) != "v" {
		t.Fatalf("get = %v, %v; want k=v", r, err)
	}
}

// TestKillLeaderRestart checks that killing the leader of three leaves a
// cluster that elects another and takes writes, and that the killed member
// comes back on its data and rejoins.
func TestKillLeaderRestart(t *testing.T) {
	e := StartEtcd(t, 3)
	if n := len(e.Endpoints()); n != 3 {
		t.Fatalf("%d endpoints, want 3", n)
	}
	killed := e.KillLeader(t)
	if e.members[killed].running() {
		t.Fatalf("member %d still runs after KillLeader", killed)
	}
	c, err := newClient(e.Endpoints())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), etcdHangGuard)
	defer cancel()
	// A write in flight while the others elect a new leader may time
	// out; one must succeed once they have.
	for {
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := c.Put(pctx, "after-kill", "v")
		pcancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no put succeeded after the leader was killed: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	e.Restart(t, killed)
	st, err := c.Status(ctx, e.Endpoints()[killed])
	if err != nil {
		t.Fatalf("status of the restarted member: %v", err)
	}
	if st.Leader == 0 {
		t.Errorf("the restarted member sees no leader")
	}
}
