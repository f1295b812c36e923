package etcdstore

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cozeauth/cozeauth/internal/testengine"
)

// TestDoesNotLinkTheGRPCClient keeps the point of the gateway: nothing the
// package links may pull in gRPC, protobuf, etcd's Go modules or zap,
// whose package init cost every cozeauth command ~3 ms.
func TestDoesNotLinkTheGRPCClient(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the package's dependencies: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		for _, banned := range []string{"google.golang.org/grpc", "google.golang.org/protobuf", "go.etcd.io/etcd/", "go.uber.org/zap"} {
			if dep == strings.TrimSuffix(banned, "/") || strings.HasPrefix(dep, strings.TrimSuffix(banned, "/")+"/") {
				t.Errorf("etcdstore links %s (from %s); talk to the gateway with net/http instead", dep, banned)
			}
		}
	}
}

// fakeMember is a stand-in for one member's gateway that answers every
// request with answer and counts the requests by path.
type fakeMember struct {
	mu     sync.Mutex
	calls  map[string]int
	tokens []string // the Authorization header of each request
	answer func(w http.ResponseWriter, r *http.Request, n int)
	srv    *httptest.Server
}

// newFakeMember starts a fakeMember, closed by t.Cleanup.
func newFakeMember(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *fakeMember {
	t.Helper()
	m := &fakeMember{calls: map[string]int{}, answer: answer}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.calls[r.URL.Path]++
		n := m.calls[r.URL.Path]
		m.tokens = append(m.tokens, r.Header.Get("Authorization"))
		m.mu.Unlock()
		m.answer(w, r, n)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// addr is the member's host:port.
func (m *fakeMember) addr() string { return strings.TrimPrefix(m.srv.URL, "http://") }

// count is how many requests reached path.
func (m *fakeMember) count(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[path]
}

// answerJSON writes v with status.
func answerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// recordAnswer is a range answer of one record "rec" at mod_revision 7,
// as the gateway writes it.
const recordAnswer = `{"header":{"revision":"9"},"kvs":[{"key":"cC9wcm9maWxlcy9w","value":"cmVj","create_revision":"5","mod_revision":"7","version":"2"}],"count":"1"}`

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestGatewayMovesOnAndSticks checks that a member that cannot be reached
// and one without a leader are passed over, and that the member that
// answered is asked first the next time.
func TestGatewayMovesOnAndSticks(t *testing.T) {
	noLeader := newFakeMember(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		answerJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "etcdserver: no leader", "code": 14, "message": "etcdserver: no leader"})
	})
	good := newFakeMember(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(recordAnswer))
	})
	e, err := Open("etcd://"+closedAddr(t)+","+noLeader.addr()+","+good.addr()+"/p", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for range 2 {
		data, v, err := e.Get(guard(t), "p")
		if err != nil || string(data) != "rec" || v != 7 {
			t.Fatalf("Get = %q, %d, %v; want rec at 7", data, v, err)
		}
	}
	if n := noLeader.count("/v3/kv/range"); n != 1 {
		t.Errorf("the leaderless member was asked %d times, want once (then the good one sticks)", n)
	}
	if n := good.count("/v3/kv/range"); n != 2 {
		t.Errorf("the good member was asked %d times, want 2", n)
	}
}

// TestGatewayRefusalIsFinal checks that an answer another member would
// give alike (permission denied) is returned at once, with etcd's text.
func TestGatewayRefusalIsFinal(t *testing.T) {
	denied := newFakeMember(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		answerJSON(w, http.StatusForbidden, map[string]any{"error": "etcdserver: permission denied", "code": 7, "message": "etcdserver: permission denied"})
	})
	other := newFakeMember(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		answerJSON(w, http.StatusOK, map[string]any{})
	})
	e, err := Open("etcd://"+denied.addr()+","+other.addr()+"/p", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.Profiles(guard(t))
	if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "could not list profiles") {
		t.Fatalf("Profiles = %v, want etcd's permission denied, said of listing", err)
	}
	if n := other.count("/v3/kv/range"); n != 0 {
		t.Errorf("the second member was asked %d times after a final refusal, want 0", n)
	}
}

// TestGatewayAuthenticatesAgain checks that the token is asked for once,
// sent as Authorization, and asked for again once when a member calls it
// invalid.
func TestGatewayAuthenticatesAgain(t *testing.T) {
	m := newFakeMember(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.URL.Path {
		case "/v3/auth/authenticate":
			var req authenticateRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name != "cozeauth" || req.Password != "fake-pw" {
				answerJSON(w, http.StatusBadRequest, map[string]any{"code": 3, "message": "etcdserver: authentication failed, invalid user ID or password"})
				return
			}
			answerJSON(w, http.StatusOK, map[string]any{"token": []string{"", "fake-token-1", "fake-token-2"}[min(n, 2)]})
		case "/v3/kv/range":
			if r.Header.Get("Authorization") != "fake-token-2" {
				answerJSON(w, http.StatusUnauthorized, map[string]any{"code": 16, "message": "etcdserver: invalid auth token"})
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(recordAnswer))
		}
	})
	e, err := Open("etcd://cozeauth:fake-pw@"+m.addr()+"/p", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for range 2 {
		if data, _, err := e.Get(guard(t), "p"); err != nil || string(data) != "rec" {
			t.Fatalf("Get = %q, %v; want rec", data, err)
		}
	}
	if n := m.count("/v3/auth/authenticate"); n != 2 {
		t.Errorf("authenticated %d times, want 2 (once, then once after the invalid token)", n)
	}
	m.mu.Lock()
	got := m.tokens
	m.mu.Unlock()
	if diff := cmp.Diff([]string{"", "fake-token-1", "", "fake-token-2", "fake-token-2"}, got); diff != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", diff)
	}

	bad, err := Open("etcd://cozeauth:wrong@"+m.addr()+"/p", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if _, _, err := bad.Get(guard(t), "p"); err == nil || !strings.Contains(err.Error(), `could not log in as etcd user "cozeauth"`) {
		t.Errorf("Get with a wrong password = %v, want a failed login that names the user", err)
	}
}

// TestNumJSON checks the gateway's int64s: written quoted, read quoted or
// bare, absent as 0.
func TestNumJSON(t *testing.T) {
	b, err := json.Marshal(leaseRequest{ID: 7587869839428123456})
	if err != nil || string(b) != `{"ID":"7587869839428123456"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var kv keyValue
	if err := json.Unmarshal([]byte(`{"create_revision":"12","mod_revision":13}`), &kv); err != nil {
		t.Fatal(err)
	}
	if kv.CreateRevision != 12 || kv.ModRevision != 13 || kv.Lease != 0 {
		t.Errorf("Unmarshal = %+v, want create 12, mod 13, lease 0", kv)
	}
	if err := json.Unmarshal([]byte(`{"mod_revision":"x"}`), &kv); err == nil {
		t.Errorf("a revision that is not a number was read")
	}
}

// TestAuth runs the engine against a real member with auth on: the token
// from /v3/auth/authenticate is accepted as the Authorization header.
func TestAuth(t *testing.T) {
	cluster := testengine.StartEtcd(t, 1)
	cl := rawClient(t, cluster)
	ctx := guard(t)
	if _, err := cl.UserAdd(ctx, "root", "fake-root-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.UserGrantRole(ctx, "root", "root"); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.AuthEnable(ctx); err != nil {
		t.Fatal(err)
	}

	e, err := Open("etcd://"+strings.Join(cluster.Endpoints(), ",")+"/auth", func(name string) string {
		return map[string]string{"ETCDCTL_USER": "root:fake-root-pw"}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	l := mustLock(t, e, "p")
	v, err := l.Put(ctx, []byte("record"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Alive(ctx, time.Second); err != nil {
		t.Errorf("Alive with auth on: %v", err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if data, got, err := e.Get(ctx, "p"); err != nil || string(data) != "record" || got != v {
		t.Errorf("Get = %q, %d, %v; want record at %d", data, got, err, v)
	}

	anon := open(t, cluster, "auth")
	if _, _, err := anon.Get(ctx, "p"); err == nil {
		t.Errorf("Get without a user succeeded with auth on")
	}
	admin, err := clientv3.New(clientv3.Config{Endpoints: cluster.Endpoints(), Username: "root", Password: "fake-root-pw", DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if resp, err := admin.Leases(ctx); err != nil || len(resp.Leases) != 0 {
		t.Errorf("leases after Unlock = %v, %v; want none", resp, err)
	}
}
