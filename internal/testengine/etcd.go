package testengine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// etcdHangGuard bounds how long a cluster may take to start answering or to
// elect a leader. It guards against a hung test, not against a slow machine.
const etcdHangGuard = 2 * time.Minute

// Etcd is a cluster of real etcd members on loopback, started by
// [StartEtcd] and stopped when the test ends.
type Etcd struct {
	bin     string
	members []*etcdMember
}

// etcdMember is one etcd process: the flags it was started with, so that
// [Etcd.Restart] can bring it back on the same data directory, and the
// process while it runs.
type etcdMember struct {
	name    string
	client  string // host:port of the client listener
	args    []string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
}

// StartEtcd starts an etcd cluster of members members (1 or 3) from
// Debian's etcd-server on free loopback ports, each member's data and log
// in the test's temporary directory, and waits until the cluster answers.
// Everything is stopped by t.Cleanup (SIGTERM, then SIGKILL); members' logs
// are shown only when the test failed.
func StartEtcd(t testing.TB, members int) *Etcd {
	t.Helper()
	bin := need(t, "etcd-server", "etcd")[0]
	if members < 1 {
		t.Fatalf("StartEtcd: a cluster needs at least one member, not %d", members)
	}
	dir := t.TempDir()
	ports := freePorts(t, 2*members)

	e := &Etcd{bin: bin}
	var initial []string
	for i := range members {
		name := fmt.Sprintf("m%d", i)
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])
		initial = append(initial, name+"="+peer)
		e.members = append(e.members, &etcdMember{
			name:    name,
			client:  fmt.Sprintf("127.0.0.1:%d", ports[2*i]),
			logPath: filepath.Join(dir, name+".log"),
		})
	}
	for i, m := range e.members {
		peer := fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1])
		m.args = []string{
			"--name", m.name,
			"--data-dir", filepath.Join(dir, m.name+".etcd"),
			"--listen-client-urls", "http://" + m.client,
			"--advertise-client-urls", "http://" + m.client,
			"--listen-peer-urls", peer,
			"--initial-advertise-peer-urls", peer,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-state", "new",
			"--initial-cluster-token", "cozeauth-test",
			"--logger", "zap",
			"--log-outputs", "stderr",
		}
	}

	// Registered after t.TempDir, so it runs before the directory goes.
	t.Cleanup(func() {
		for _, m := range e.members {
			m.stop()
		}
		if t.Failed() {
			for _, m := range e.members {
				out, _ := os.ReadFile(m.logPath)
				t.Logf("etcd member %s (%s) log:\n%s", m.name, m.client, out)
			}
		}
	})
	for _, m := range e.members {
		if err := m.start(bin); err != nil {
			t.Fatal(err)
		}
	}
	e.waitHealthy(t)
	return e
}

// freePorts returns n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	seen := map[int]bool{}
	var ports []int
	for len(ports) < n {
		p := freePort(t)
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports
}

// start runs the member's process, its output appended to its log file
// (appended, so a restarted member's earlier life stays readable).
func (m *etcdMember) start(bin string) error {
	log, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("could not open the log of etcd member %s: %w", m.name, err)
	}
	cmd := exec.Command(bin, m.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = etcdEnv()
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("could not start etcd member %s: %w", m.name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		log.Close()
		close(exited)
	}()
	m.cmd, m.exited = cmd, exited
	return nil
}

// etcdEnv is this process's environment without ETCD_ variables, which
// etcd would read as flags and which belong to whoever runs the tests.
// On an architecture etcd 3.4 does not call supported (it refuses to
// start there) it adds ETCD_UNSUPPORTED_ARCH.
func etcdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "ppc64le" {
		env = append(env, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
	}
	return env
}

// running reports whether the member's process has been started and has
// not exited.
func (m *etcdMember) running() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// stop ends the member: SIGTERM, and SIGKILL if it has not exited after a
// few seconds.
func (m *etcdMember) stop() {
	if !m.running() {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.kill()
	}
}

// kill ends the member with SIGKILL and waits until it has exited.
func (m *etcdMember) kill() {
	if !m.running() {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
}

// client returns an etcd client of endpoints that logs nothing.
func newClient(endpoints []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
}

// waitHealthy waits until every running member answers Status and the
// cluster has a leader that takes a write.
func (e *Etcd) waitHealthy(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), etcdHangGuard)
	defer cancel()
	c, err := newClient(e.Endpoints())
	if err != nil {
		t.Fatalf("could not make an etcd client: %v", err)
	}
	defer c.Close()
	var last error
	for {
		last = e.probe(ctx, c)
		if last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the etcd cluster at %s did not answer within %s: %v",
				strings.Join(e.Endpoints(), ","), etcdHangGuard, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// probe returns nil when every running member reports a leader and a
// linearizable read through the cluster succeeds.
func (e *Etcd) probe(ctx context.Context, c *clientv3.Client) error {
	for _, m := range e.members {
		if !m.running() {
			if m.cmd != nil {
				continue // killed on purpose
			}
			return fmt.Errorf("member %s is not running", m.name)
		}
		sctx, cancel := context.WithTimeout(ctx, time.Second)
		st, err := c.Status(sctx, m.client)
		cancel()
		if err != nil {
			return fmt.Errorf("member %s: %w", m.name, err)
		}
		if st.Leader == 0 {
			return fmt.Errorf("member %s has no leader yet", m.name)
		}
	}
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := c.Get(gctx, "cozeauth-test-probe")
	return err
}

// Endpoints returns the members' client addresses, host:port each.
func (e *Etcd) Endpoints() []string {
	eps := make([]string, len(e.members))
	for i, m := range e.members {
		eps[i] = m.client
	}
	return eps
}

// URL returns the cozeauth etcd URL of the whole cluster under prefix.
func (e *Etcd) URL(prefix string) string {
	return "etcd://" + strings.Join(e.Endpoints(), ",") + "/" + prefix
}

// KillLeader finds the member that leads the cluster (asking each running
// member's Status, again while an election is still going on), SIGKILLs
// it, and returns its index for [Etcd.Restart].
func (e *Etcd) KillLeader(t testing.TB) int {
	t.Helper()
	c, err := newClient(e.Endpoints())
	if err != nil {
		t.Fatalf("could not make an etcd client: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), etcdHangGuard)
	defer cancel()
	for {
		var errs []error
		for i, m := range e.members {
			if !m.running() {
				continue
			}
			sctx, scancel := context.WithTimeout(ctx, time.Second)
			st, err := c.Status(sctx, m.client)
			scancel()
			if err != nil {
				errs = append(errs, fmt.Errorf("member %s: %w", m.name, err))
				continue
			}
			if st.Leader != 0 && st.Leader == st.Header.MemberId {
				m.kill()
				return i
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no running etcd member said it leads within %s: %v", etcdHangGuard, errors.Join(errs...))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Restart starts member i again, on its old data directory, after
// [Etcd.KillLeader], and waits until the cluster answers again.
func (e *Etcd) Restart(t testing.TB, i int) {
	t.Helper()
	if i < 0 || i >= len(e.members) {
		t.Fatalf("Restart: no etcd member %d in a cluster of %d", i, len(e.members))
	}
	m := e.members[i]
	if m.running() {
		t.Fatalf("Restart: etcd member %s is still running", m.name)
	}
	if err := m.start(e.bin); err != nil {
		t.Fatal(err)
	}
	e.waitHealthy(t)
}
