package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const memURL = "etcd://127.0.0.1:1/test"

// machine is one machine of a fleet sharing e: a config directory of its
// own and a Manager resolved from only the storage URL and the profile.
func machine(t *testing.T, e *memEngine, now func() time.Time, warn func(string)) *Manager {
	t.Helper()
	st := NewStore(t.TempDir())
	st.Warn = warn
	useMemEngine(st, memURL, e)
	cfg, _, err := st.Resolve(Overrides{Profile: "bots", Storage: memURL})
	if err != nil {
		t.Fatal(err)
	}
	return &Manager{Config: cfg, Store: st, HTTP: testHTTP(), Now: now, Sleep: func(context.Context, time.Duration) error { return nil }}
}

// loggedInFleet is a rotating Coze whose refresh token r-a is in a shared
// store, as after `login --storage` on a laptop.
func loggedInFleet(t *testing.T, now func() time.Time) (*rotatingCoze, *httptest.Server, *memEngine) {
	t.Helper()
	coze, srv := newRotatingCoze(t, now, "r-a")
	e := newMemEngine()
	sharedLogin(t, e, srv.URL, testRecord("a"))
	return coze, srv, e
}

// sharedLogin puts a login into e as `login --storage` on a laptop would.
func sharedLogin(t *testing.T, e *memEngine, api string, rec *Record) {
	t.Helper()
	rec.Issuer = Issuer{APIBase: api, ClientID: "1.app.coze"}
	data, err := encodeShared(rec, Settings{ClientID: "1.app.coze", APIBase: api, AppType: AppPKCE})
	if err != nil {
		t.Fatal(err)
	}
	e.put("bots", data)
}

func sharedRecord(t *testing.T, e *memEngine) *Record {
	t.Helper()
	e.mu.Lock()
	data := e.records["bots"].data
	e.mu.Unlock()
	doc, err := decodeShared(data, "test")
	if err != nil || doc == nil {
		t.Fatalf("shared record: %v, %v", doc, err)
	}
	return doc.Record
}

func testHTTP() *http.Client { return &http.Client{} }

func TestSharedNewMachineNeedsOnlyTheURL(t *testing.T) {
	now := func() time.Time { return fixedNow }
	_, srv, e := loggedInFleet(t, now)

	m := machine(t, e, now, nil)
	if m.Config.ClientID != "1.app.coze" || m.Config.API() != srv.URL || m.Config.AppType() != AppPKCE {
		t.Fatalf("adopted settings %+v, want the shared ones", m.Config.Settings)
	}
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "a" {
		t.Fatalf("Token = %v, %v", rec, err)
	}
	// The next command on that machine resolves from its own settings
	// file and cache: not a word to the engine.
	calls := e.calls
	st := NewStore(m.Store.Dir)
	useMemEngine(st, memURL, e)
	cfg, found, err := st.Resolve(Overrides{Profile: "bots"})
	if err != nil || !found || !cfg.IsShared() {
		t.Fatalf("second resolve: %+v found=%v err=%v", cfg, found, err)
	}
	m2 := &Manager{Config: cfg, Store: st, HTTP: testHTTP(), Now: now}
	if rec, err := m2.Token(context.Background()); err != nil || rec.AccessToken != "a" {
		t.Fatalf("cached Token = %v, %v", rec, err)
	}
	if e.calls != calls {
		t.Errorf("a valid cached token cost %d engine calls, want 0", e.calls-calls)
	}
}

func TestSharedRefreshWinnerAndLosers(t *testing.T) {
	clock := fixedNow
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	coze, _, e := loggedInFleet(t, now)
	fleet := []*Manager{machine(t, e, now, nil), machine(t, e, now, nil), machine(t, e, now, nil)}
	for _, m := range fleet {
		if _, err := m.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	clock = fixedNow.Add(11 * time.Minute) // inside every machine's margin
	mu.Unlock()
	var wg sync.WaitGroup
	got := make([]string, len(fleet)*4)
	for i := range got {
		wg.Go(func() {
			rec, err := fleet[i%len(fleet)].Token(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = rec.AccessToken
		})
	}
	wg.Wait()
	if coze.refreshs != 1 || coze.rejected != 0 {
		t.Errorf("the fleet refreshed %d times (%d refused), want once", coze.refreshs, coze.rejected)
	}
	for i, tok := range got {
		if tok != "czu_1" {
			t.Errorf("caller %d got %q, want the winner's czu_1", i, tok)
		}
	}
	if r := sharedRecord(t, e); r.RefreshToken != "r1" {
		t.Errorf("shared refresh token %q, want r1", r.RefreshToken)
	}
}

func TestSharedLapsingLockIsTakenAgainBeforeTheRefresh(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(11 * time.Minute) }
	coze, _, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	e.aliveFor = []time.Duration{time.Second} // the first lease has a second left
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "czu_1" {
		t.Fatalf("Token = %v, %v", rec, err)
	}
	if coze.refreshs != 1 || len(e.aliveFor) != 0 {
		t.Errorf("refreshes %d, alive checks left %v; want one refresh after a second lock", coze.refreshs, e.aliveFor)
	}
}

// The lock lapses after Coze answered and another holder writes meanwhile:
// the new pair is the only one that works, so it is kept here and put back
// when the shared record still holds the spent token or its refusal.
func TestSharedLostCompareAndSetKeepsTheNewPair(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(11 * time.Minute) }
	coze, _, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	e.lapseBeforePut = func(r map[string]memRecord) {
		// Another machine, on the lapsed lock, sent the spent token and
		// recorded Coze's refusal.
		doc, _ := decodeShared(r["bots"].data, "test")
		doc.Record.Failure = &Failure{At: now(), Refused: true, Reason: "coze refused the refresh token"}
		data, _ := json.Marshal(doc)
		r["bots"] = memRecord{data, r["bots"].version + 1}
	}
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "czu_1" {
		t.Fatalf("Token = %v, %v", rec, err)
	}
	if r := sharedRecord(t, e); r.RefreshToken != "r1" || r.refused() {
		t.Errorf("shared record %q refused=%v, want the new pair r1 put back", r.RefreshToken, r.refused())
	}
	if cached, _ := m.Store.Load("bots"); cached.Unshared != "" {
		t.Errorf("cache still marked unshared after the pair went back")
	}
	if coze.refreshs != 1 {
		t.Errorf("refreshes %d, want 1", coze.refreshs)
	}
}

func TestSharedUnshareablePairWaitsInTheCache(t *testing.T) {
	clock := fixedNow.Add(11 * time.Minute)
	now := func() time.Time { return clock }
	_, _, e := loggedInFleet(t, now)
	var warned []string
	m := machine(t, e, now, func(s string) { warned = append(warned, s) })
	e.lapseBeforePut = func(map[string]memRecord) { e.down = true } // cut after Coze answered
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "czu_1" {
		t.Fatalf("Token = %v, %v", rec, err)
	}
	if !strings.Contains(strings.Join(warned, "\n"), "go back to the shared store") {
		t.Errorf("warnings %q, want one saying the tokens wait here", warned)
	}
	cached, _ := m.Store.Load("bots")
	if cached.RefreshToken != "r1" || cached.Unshared != fingerprint("r-a") {
		t.Fatalf("cache %q unshared=%q, want r1 marked as replacing r-a", cached.RefreshToken, cached.Unshared)
	}
	// The engine comes back: the next renewal puts the pair back first
	// and refreshes with it, never with the spent r-a.
	e.down = false
	clock = clock.Add(12 * time.Minute)
	if _, err := m.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := sharedRecord(t, e); r.RefreshToken != "r2" {
		t.Errorf("shared refresh token %q, want r2", r.RefreshToken)
	}
}

func TestSharedRefusalRereadsBeforeLoggingOut(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(11 * time.Minute) }
	coze, srv := newRotatingCoze(t, now, "r-other") // r-a is spent: another machine rotated it
	e := newMemEngine()
	sharedLogin(t, e, srv.URL, testRecord("a"))
	m := machine(t, e, now, nil)
	// While this machine's refresh is refused, the other machine's pair
	// lands (its lock lapsed too: the engine let it write).
	fresh := testRecord("other")
	fresh.Expiry = now().Add(15 * time.Minute)
	coze.onRefuse = func() { sharedLogin(t, e, srv.URL, fresh) }
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "other" {
		t.Fatalf("Token = %v, %v; want the other machine's token, not a logout", rec, err)
	}
}

func TestSharedEngineDownHandsOutTheCachedToken(t *testing.T) {
	clock := fixedNow
	now := func() time.Time { return clock }
	_, _, e := loggedInFleet(t, now)
	var warned []string
	m := machine(t, e, now, func(s string) {
		if strings.Contains(s, "shared store") {
			warned = append(warned, s)
		}
	})
	e.down = true
	clock = fixedNow.Add(11 * time.Minute)
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "a" {
		t.Fatalf("Token = %v, %v; want the cached token", rec, err)
	}
	if len(warned) == 0 || !strings.Contains(warned[0], "127.0.0.1:1") {
		t.Errorf("warnings %q, want one naming the engine", warned)
	}
	// The next command, moments later, does not ask the engine again.
	calls := e.calls
	if rec, err := m.Token(context.Background()); err != nil || rec.AccessToken != "a" || e.calls != calls {
		t.Errorf("Token moments after the engine failed = %v, %v, %d engine calls; want the cached token and none", rec, err, e.calls-calls)
	}
	clock = fixedNow.Add(16 * time.Minute) // expired
	_, err = m.Token(context.Background())
	var ee *EngineError
	if !errors.As(err, &ee) || IsLoginRequired(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("expired with the engine down: %v; want the engine's error, not login required", err)
	}
}

func TestSharedLogoutDeletesTheSharedRecord(t *testing.T) {
	now := func() time.Time { return fixedNow }
	_, _, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	if _, err := m.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	had, err := m.Logout(context.Background())
	if err != nil || !had {
		t.Fatalf("Logout = %v, %v", had, err)
	}
	if len(e.records) != 0 {
		t.Errorf("shared records left: %v", e.records)
	}
	if cached, _ := m.Store.Load("bots"); cached != nil {
		t.Errorf("cache left after logout")
	}
}

func TestSharedRecordNeverHoldsAPrivateKey(t *testing.T) {
	rec := testRecord("a")
	rec.PrivateKey = "-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----"
	data, err := encodeShared(rec, Settings{ClientID: "1", Storage: "postgres://u:pw@h/db"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY")) || bytes.Contains(data, []byte("pw@")) {
		t.Errorf("shared record holds a machine's secret: %s", data)
	}
}

func TestRedactStorage(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bot:s3cret@db:5432/coze":       "postgres://bot:xxxxx@db:5432/coze",
		"postgres://db/coze?password=s3cret&x=1":   "postgres://db/coze?password=xxxxx&x=1",
		"etcd://h1:2379,h2:2379/p?password=s3cret": "etcd://h1:2379,h2:2379/p?password=xxxxx",
		"etcd://h1:2379/p":                         "etcd://h1:2379/p",
		"file":                                     "file",
	} {
		if got := RedactStorage(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactStorage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSharedLoginForAnotherAppUpdatesTheMachine(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(11 * time.Minute) }
	coze, srv, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	// Someone logs in again into the store, with another app.
	rec := testRecord("b")
	rec.Issuer = Issuer{APIBase: srv.URL, ClientID: "2.app.coze"}
	data, _ := encodeShared(rec, Settings{ClientID: "2.app.coze", APIBase: srv.URL, AppType: AppPKCE})
	e.put("bots", data)
	_, err := m.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "run the command again") || coze.refreshs+coze.rejected != 0 {
		t.Fatalf("Token after a login for another app: %v (%d sent); want a request to run again, nothing sent", err, coze.refreshs+coze.rejected)
	}
	cfg, _, err := m.Store.Resolve(Overrides{Profile: "bots"})
	if err != nil || cfg.ClientID != "2.app.coze" || !cfg.IsShared() {
		t.Errorf("settings after the update: %+v, %v; want the new app, still shared", cfg.Settings, err)
	}
}

func TestSharedUnreadableRecordIsNamedAndReplaceable(t *testing.T) {
	now := func() time.Time { return fixedNow }
	_, srv := newRotatingCoze(t, now, "r-a")
	e := newMemEngine()
	e.put("bots", []byte("not json"))
	m := machine(t, e, now, nil)
	m.Config.Settings = Settings{ClientID: "1.app.coze", APIBase: srv.URL, Storage: memURL}
	_, err := m.Token(context.Background())
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "cozeauth login") || !strings.Contains(err.Error(), "bots") {
		t.Fatalf("Token over an unreadable shared record: %v; want it named, with the way out", err)
	}
	// A login replaces it.
	res, err := m.finishLogin(context.Background(), func(context.Context, *Client) (*Token, error) {
		tok := testRecord("new").Token
		return &tok, nil
	})
	if err != nil || res.Record.AccessToken != "new" {
		t.Fatalf("login over an unreadable shared record: %v", err)
	}
	if r := sharedRecord(t, e); r.AccessToken != "new" {
		t.Errorf("shared record after the login: %q", r.AccessToken)
	}
	// And a logout removes one, readable or not.
	e.put("bots", []byte("not json"))
	if _, err := m.Logout(context.Background()); err != nil || len(e.records) != 0 {
		t.Errorf("logout of an unreadable shared record: %v, left %d", err, len(e.records))
	}
}

// Found in review: a record read without the engine's lock must not
// replace what another process put in the cache meanwhile.
func TestSharedCacheKeepsANewerPairWrittenMeanwhile(t *testing.T) {
	now := func() time.Time { return fixedNow }
	e := newMemEngine()
	m := machine(t, e, now, nil)
	pending := testRecord("r1")
	pending.Unshared = fingerprint("r-a")
	save(t, m.Store, "bots", pending) // written after the fetch saw no cache
	sharedRecords{m}.cache(context.Background(), nil, testRecord("a"))
	if got, _ := m.Store.Load("bots"); got.AccessToken != "r1" || got.Unshared == "" {
		t.Errorf("cache = %q unshared=%q; the pending pair was overwritten", got.AccessToken, got.Unshared)
	}
}

func TestSharedPendingPairDoesNotUndoALogout(t *testing.T) {
	now := func() time.Time { return fixedNow.Add(11 * time.Minute) }
	_, srv, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	pending := testRecord("r1")
	pending.Issuer = Issuer{APIBase: srv.URL, ClientID: "1.app.coze"}
	pending.Unshared = fingerprint("r-a")
	save(t, m.Store, "bots", pending)
	e.mu.Lock()
	delete(e.records, "bots") // `cozeauth logout` on another machine
	e.mu.Unlock()
	if _, err := m.Token(context.Background()); !IsLoginRequired(err) {
		t.Errorf("Token after a fleet logout: %v, want login required", err)
	}
	if len(e.records) != 0 {
		t.Errorf("the pending pair recreated the shared record after a logout")
	}
	// Nor does it replace another login's refusal.
	other := testRecord("b")
	other.Failure = &Failure{At: now(), Refused: true, Reason: "refused"}
	sharedLogin(t, e, srv.URL, other)
	save(t, m.Store, "bots", pending)
	m.Token(context.Background())
	if r := sharedRecord(t, e); r.RefreshToken != "r-b" {
		t.Errorf("shared refresh token %q: a pending pair replaced another login's record", r.RefreshToken)
	}
}

func TestSharedLoginForAnotherAppReplacesTheRecord(t *testing.T) {
	now := func() time.Time { return fixedNow }
	_, _, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	m.Config.ClientID = "2.app.coze" // `login --client-id 2.app.coze --storage …`
	res, err := m.finishLogin(context.Background(), func(context.Context, *Client) (*Token, error) {
		tok := testRecord("new").Token
		return &tok, nil
	})
	if err != nil || res.Record.AccessToken != "new" {
		t.Fatalf("login for another app into a shared profile: %v", err)
	}
	if r := sharedRecord(t, e); r.AccessToken != "new" || r.ClientID != "2.app.coze" {
		t.Errorf("shared record %q for %q, want the new login", r.AccessToken, r.ClientID)
	}
}

func TestSharedUncachedMachineMeetsALoginForAnotherApp(t *testing.T) {
	now := func() time.Time { return fixedNow }
	_, srv, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	refused := testRecord("a")
	refused.Issuer = Issuer{APIBase: srv.URL, ClientID: "1.app.coze"}
	refused.Failure = &Failure{At: now(), Refused: true, Reason: "refused"}
	save(t, m.Store, "bots", refused)
	rec := testRecord("b")
	rec.Issuer = Issuer{APIBase: srv.URL, ClientID: "2.app.coze"}
	data, _ := encodeShared(rec, Settings{ClientID: "2.app.coze", APIBase: srv.URL, AppType: AppPKCE})
	e.put("bots", data)
	if _, err := m.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "run the command again") {
		t.Fatalf("Token: %v; want the settings updated and a request to run again", err)
	}
	cfg, _, _ := m.Store.Resolve(Overrides{Profile: "bots"})
	m2 := &Manager{Config: cfg, Store: m.Store, HTTP: testHTTP(), Now: now}
	if got, err := m2.Token(context.Background()); err != nil || got.AccessToken != "b" {
		t.Errorf("the command run again: %v, %v; want the new login's token", got, err)
	}
}

func TestSharedLapsingLocksStillHandOutAUsableToken(t *testing.T) {
	clock := fixedNow
	now := func() time.Time { return clock }
	coze, _, e := loggedInFleet(t, now)
	m := machine(t, e, now, nil)
	if _, err := m.Token(context.Background()); err != nil { // fills the cache
		t.Fatal(err)
	}
	clock = fixedNow.Add(11 * time.Minute) // 4 minutes left, inside the margin
	e.aliveFor = []time.Duration{time.Second, time.Second, time.Second}
	rec, err := m.Token(context.Background())
	if err != nil || rec.AccessToken != "a" || coze.refreshs != 0 {
		t.Errorf("Token with every lock lapsing = %v, %v (%d refreshes); want the current token, nothing sent", rec, err, coze.refreshs)
	}
}
