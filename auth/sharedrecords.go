package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
)

// engineCallTimeout bounds one read or write of a shared engine outside a
// lock wait: an engine that does not answer must not hang `cozeauth token`.
const engineCallTimeout = 10 * time.Second

// lockSafety is how much longer than a whole refresh the shared lock must
// still be held before the refresh is sent ([heldShared.prepare]).
const lockSafety = 10 * time.Second

// errLockLapsing means the shared lock will not outlive the refresh about
// to be sent; nothing was sent, and the lock is taken again.
var errLockLapsing = errors.New("the shared lock would lapse before a refresh could end")

// sharedDoc is what a shared engine keeps for a profile: the record without
// what belongs to one machine (a JWT app's private key, keyring markers),
// and the settings a new machine needs to use it.
type sharedDoc struct {
	Record   *Record  `json:"record"`
	Settings Settings `json:"settings"`
}

func encodeShared(r *Record, set Settings) ([]byte, error) {
	rec := *r
	rec.PrivateKey, rec.Secrets, rec.Unshared, rec.EngineFailedAt = "", "", "", time.Time{}
	set.Storage = "" // each machine names the engine its own way
	return json.Marshal(sharedDoc{Record: &rec, Settings: set})
}

// decodeShared reads a shared record; one that is not cozeauth's is a
// [CorruptError] naming where it is: a login replaces it, a logout
// removes it.
func decodeShared(data []byte, where string) (*sharedDoc, error) {
	if data == nil {
		return nil, nil
	}
	var d sharedDoc
	err := json.Unmarshal(data, &d)
	if err == nil && d.Record == nil {
		err = errors.New("it holds no tokens")
	}
	if err != nil {
		return nil, &CorruptError{Path: where, Err: err, Shared: true}
	}
	return &d, nil
}

// fingerprint names a refresh token without revealing it, for
// [Record.Unshared].
func fingerprint(refreshToken string) string {
	sum := sha256.Sum256([]byte(refreshToken))
	return hex.EncodeToString(sum[:12])
}

// sharedRecords is a profile kept in a shared engine, with this machine's
// token file as its cache: a token still valid in the cache is handed out
// without a word to the engine; only a renewal (or a machine with nothing
// cached) goes there. The machine's processes take turns through the file
// lock first, so that one of them at a time asks the engine for its lock.
type sharedRecords struct{ m *Manager }

func (s sharedRecords) name() string { return RedactStorage(s.m.Config.Storage) }

// where names the profile's record in the engine, for errors.
func (s sharedRecords) where() string {
	return fmt.Sprintf("%s (profile %q)", s.name(), s.m.Config.Profile)
}

func (s sharedRecords) engine() (shared.Engine, error) {
	return s.m.Store.engine(s.m.Config.Storage)
}

func (s sharedRecords) load(ctx context.Context) (*Record, error) {
	m := s.m
	cached, err := m.Store.Load(m.Config.Profile)
	if err != nil || cached != nil && !cached.refused() {
		return cached, err
	}
	// Nothing cached, or a refusal: the shared record decides (another
	// machine may have logged in again).
	doc, err := s.fetch(ctx)
	if err != nil || doc == nil {
		if cached != nil {
			return cached, nil
		}
		return nil, err
	}
	if err := s.checkApp(doc); err != nil {
		return nil, err
	}
	s.withOwnKey(doc.Record, cached)
	s.cache(ctx, cached, doc.Record)
	return doc.Record, nil
}

// withOwnKey gives r, read from the engine, this machine's JWT private
// key, which is never shared: the configured one, else the one cached.
func (s sharedRecords) withOwnKey(r, cached *Record) {
	r.PrivateKey = s.m.Config.PrivateKeyPEM
	if cached != nil && r.PrivateKey == "" {
		r.PrivateKey = cached.PrivateKey
	}
}

// keep writes r into this machine's cache under l; failing is only a
// warning, since the engine holds the record.
func (s sharedRecords) keep(l *Locked, r *Record) {
	if err := l.Save(s.m.Config.Profile, r); err != nil {
		s.m.Store.warn(fmt.Sprintf("warning: could not keep the shared tokens in %s (%v); commands ask %s until it can", s.m.Store.Dir, err, s.name()))
	}
}

// fetch reads the shared record without the lock.
func (s sharedRecords) fetch(ctx context.Context) (*sharedDoc, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, engineCallTimeout)
	defer cancel()
	data, _, err := eng.Get(ctx, s.m.Config.Profile)
	if err != nil {
		return nil, s.engineError("read the profile", err)
	}
	return decodeShared(data, s.where())
}

// cacheLockWait bounds the wait for this machine's file lock to keep a
// record read without the engine's lock: a best effort, not worth a wait
// behind another process's refresh.
const cacheLockWait = 2 * time.Second

// cache writes r, read from the engine without its lock, into this
// machine's token file — unless the file changed since it held seen:
// another process may have put a newer pair there meanwhile (one the
// engine did not take, say), which r must not replace.
func (s sharedRecords) cache(ctx context.Context, seen, r *Record) {
	ctx, cancel := context.WithTimeout(ctx, cacheLockWait)
	defer cancel()
	l, err := s.m.Store.Lock(ctx)
	if err != nil {
		return // busy: the process holding it keeps the cache itself
	}
	defer l.Unlock()
	if now, err := l.Load(s.m.Config.Profile); err == nil && sameRecord(now, seen) {
		s.keep(l, r)
	}
}

// checkApp sees whether the shared record is still for the app this
// machine resolved. A new login into the store, for another app or host,
// replaces this machine's settings of the profile with the store's; the
// command in hand, resolved with the old ones, stops there (nothing was sent).
func (s sharedRecords) checkApp(doc *sharedDoc) error {
	m := s.m
	if doc.Record.Issuer.sameAs(issuerOf(m.Config)) || !doc.Record.Issuer.known() {
		return nil
	}
	set := doc.Settings
	set.Storage = m.Config.Storage
	if err := m.Store.SaveSettings(m.Config.Profile, set); err != nil {
		return err
	}
	return fmt.Errorf("profile %q was logged in again in the shared store %s, for %s; this machine's settings were updated to match: run the command again (nothing was sent)",
		m.Config.Profile, s.name(), doc.Record.Issuer)
}

func (s sharedRecords) engineError(op string, err error) error {
	return &EngineError{Storage: s.name(), Op: op, Err: err}
}

func (s sharedRecords) lock(ctx context.Context) (heldRecords, error) { return s.lockShared(ctx) }

// lockShared takes this machine's file lock, then the engine's lock of the
// profile.
func (s sharedRecords) lockShared(ctx context.Context) (*heldShared, error) {
	local, err := s.m.Store.Lock(ctx)
	if err != nil {
		return nil, err
	}
	h := &heldShared{s: s, local: local}
	if err := h.relock(ctx); err != nil {
		s.rememberFailure(local, err)
		local.Unlock()
		return nil, err
	}
	return h, nil
}

// rememberFailure marks this machine's cache when the engine could not be
// reached, so that the next commands hand out a token still usable at once
// instead of each waiting for the engine ([Record.EngineFailedAt]).
func (s sharedRecords) rememberFailure(local *Locked, err error) {
	var oe *net.OpError // the engine could not be reached, not merely busy
	if !errors.As(err, &oe) {
		return
	}
	cached, lerr := local.Load(s.m.Config.Profile)
	if lerr != nil || cached == nil {
		return
	}
	cached.EngineFailedAt = s.m.now()
	_ = local.Save(s.m.Config.Profile, cached) // a hint: losing it costs a wait
}

// heldShared is a shared profile while this process holds both this
// machine's file lock and the engine's lock of the profile.
type heldShared struct {
	s       sharedRecords
	local   *Locked
	lock    shared.Lock
	version int64 // of the shared record as load read it
	// readRT is the refresh token of the shared record as last read ("" for
	// none): what a pair obtained now replaces ([Record.Unshared]).
	readRT string
}

// relock takes the engine's lock, on a lease of its own, letting go of the
// one held before. An engine that fails for a moment (a leader election, a
// restart that cut the connections) is asked again for a few seconds
// (engineRetries), within ctx.
func (h *heldShared) relock(ctx context.Context) error {
	if h.lock != nil {
		h.release()
	}
	eng, err := h.s.engine()
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		lk, err := eng.Lock(ctx, h.s.m.Config.Profile)
		if err == nil {
			h.lock = lk
			return nil
		}
		if try == engineRetries || ctx.Err() != nil || h.s.m.sleep(ctx, engineRetryPause) != nil {
			return h.s.engineError("take the profile's lock", err)
		}
	}
}

// An engine that fails is asked again engineRetries times in all, every
// engineRetryPause: long enough for an etcd leader election or a
// PostgreSQL restart, short enough that an engine that is down is said so.
const (
	engineRetries    = 25
	engineRetryPause = 200 * time.Millisecond
)

func (h *heldShared) release() {
	ctx, cancel := context.WithTimeout(context.Background(), engineCallTimeout)
	defer cancel()
	_ = h.lock.Unlock(ctx) // a lapsed lock is released already
	h.lock = nil
}

func (h *heldShared) unlock() {
	if h.lock != nil {
		h.release()
	}
	h.local.Unlock()
}

// load reads the shared record under the lock and brings this machine's
// cache up to date with it. A pair this machine obtained but could not
// write back ([Record.Unshared]) goes in first when the shared record
// still holds the token it replaced, or a refusal of it.
func (h *heldShared) load() (*Record, error) {
	m := h.s.m
	ctx, cancel := context.WithTimeout(context.Background(), engineCallTimeout)
	defer cancel()
	doc, err := h.read(ctx)
	var ee *EngineError
	if errors.As(err, &ee) {
		// The lock is bound to a lease or a connection that just failed:
		// take it again before anything is decided.
		return nil, fmt.Errorf("%w: %w", errLockLapsing, err)
	}
	if err != nil {
		return nil, err
	}
	cached, _ := h.local.Load(m.Config.Profile) // an unreadable cache is replaced
	if cached != nil && cached.Unshared != "" {
		switch {
		case fingerprint(h.readRT) == cached.Unshared:
			// The store still holds what this pair replaced (or its
			// refusal): the pair goes in.
			if err := h.save(ctx, cached); err != nil {
				m.Store.warn(fmt.Sprintf("warning: %v; this machine keeps the newest tokens until it can", err))
			}
			return cached, nil
		case doc == nil:
			// Logged out meanwhile: the pair goes with the login.
			if err := h.local.Delete(m.Config.Profile); err != nil {
				return nil, err
			}
			return nil, nil
		}
	}
	if doc == nil {
		return nil, nil
	}
	if err := h.s.checkApp(doc); err != nil {
		return nil, err
	}
	rec := doc.Record
	h.s.withOwnKey(rec, cached)
	if !sameRecord(cached, rec) {
		h.s.keep(h.local, rec)
	}
	return rec, nil
}

// read gets the shared record under the lock, remembering its version and
// refresh token (those of an unreadable record too, which a login
// replaces and a logout removes).
func (h *heldShared) read(ctx context.Context) (*sharedDoc, error) {
	data, version, err := h.lock.Get(ctx)
	if err != nil {
		return nil, h.s.engineError("read the profile", err)
	}
	h.version, h.readRT = version, ""
	doc, err := decodeShared(data, h.s.where())
	if doc != nil {
		h.readRT = doc.Record.RefreshToken
	}
	return doc, err
}

// prepare makes sure the lock will be held for a whole refresh.
func (h *heldShared) prepare(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, engineCallTimeout)
	defer cancel()
	if err := h.lock.Alive(ctx, h.s.m.refreshDeadline()+lockSafety); err != nil {
		return fmt.Errorf("%w: %w", errLockLapsing, h.s.engineError("check the profile's lock", err))
	}
	return nil
}

// save writes r to the engine if the shared record is still what load read,
// then into this machine's cache.
func (h *heldShared) save(ctx context.Context, r *Record) error {
	m := h.s.m
	data, err := encodeShared(r, m.Config.explicitSettings()) // as the machines that adopt them need them
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
	defer cancel()
	version, err := h.lock.Put(ctx, data, h.version)
	if err != nil {
		return h.s.engineError("write the profile", err)
	}
	h.version = version
	r.Unshared = ""
	h.s.keep(h.local, r)
	return nil
}

// keepUnsaved keeps a pair the engine did not take (its lock lapsed, its
// record changed, its connection was cut): the old refresh token is
// already spent at Coze (or a login's code is), so this pair may be the
// only one that works. It goes into this machine's cache (or a rescue
// file) marked as replacing the shared record last read, and then back to
// the engine under a lock taken afresh, unless the shared record meanwhile
// holds another login.
func (h *heldShared) keepUnsaved(ctx context.Context, next *Record, saveErr error) (*Record, error) {
	m := h.s.m
	next.Unshared = fingerprint(h.readRT)
	if err := h.local.Save(m.Config.Profile, next); err != nil {
		return m.rescue(next, errors.Join(saveErr, err))
	}
	for range 3 {
		lockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), engineCallTimeout)
		err := h.relock(lockCtx)
		cancel()
		if err != nil {
			continue
		}
		if rec, err := h.load(); err == nil {
			if rec == nil {
				return nil, m.loginRequired("the profile was logged out of the shared store "+h.s.name()+" meanwhile", nil)
			}
			return rec, nil
		}
	}
	m.Store.warn(fmt.Sprintf("warning: refreshed, but %v; the new tokens are kept in %s, and go back to the shared store when this machine next can reach it. Other machines cannot refresh until then",
		saveErr, m.Store.Dir))
	return next, nil
}

// readable reads the shared record for a login, which replaces it: the
// version to replace, and whether it is cozeauth's at all. Nothing else of
// load's (the cache, the app check) applies to a record about to go.
func (h *heldShared) readable() error {
	ctx, cancel := context.WithTimeout(context.Background(), engineCallTimeout)
	defer cancel()
	_, err := h.read(ctx)
	return err
}

// remove deletes the shared record, readable or not.
func (h *heldShared) remove() error {
	ctx, cancel := context.WithTimeout(context.Background(), engineCallTimeout)
	defer cancel()
	var ee *EngineError
	if _, err := h.read(ctx); errors.As(err, &ee) {
		return err
	}
	if err := h.lock.Delete(ctx, h.version); err != nil {
		return h.s.engineError("delete the profile", err)
	}
	return nil
}

// moveAside has nothing to move: a login replaces an unreadable shared
// record (at the version read) and this machine's cache with it.
func (h *heldShared) moveAside() (string, error) { return "", nil }

// sameRecord reports whether two records say the same, to spare a write.
func sameRecord(a, b *Record) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// EngineError means the shared store of a profile could not be used: it
// could not be reached, or refused a request. It never means the login is
// gone: the tokens in the engine are as they were.
type EngineError struct {
	// Storage is the engine's URL, without its password.
	Storage string
	Op      string
	Err     error
}

func (e *EngineError) Error() string {
	return fmt.Sprintf("could not %s in the shared store %s (%v): check that it is running and reachable from here; the tokens in it were not changed", e.Op, e.Storage, e.Err)
}

func (e *EngineError) Unwrap() error { return e.Err }

// adoptShared gives a machine that knows only a shared store's URL the
// settings of profile kept there, and keeps them (and the tokens) here, so
// that later commands need no flags but the profile. found is false when
// the store holds no such profile or cannot be read (the commands that
// follow say why).
func (s *Store) adoptShared(profile, storage string) (Settings, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), engineCallTimeout)
	defer cancel()
	m := &Manager{Config: Config{Profile: profile, Settings: Settings{Storage: storage}}, Store: s}
	sr := sharedRecords{m}
	doc, err := sr.fetch(ctx)
	if err != nil || doc == nil {
		return Settings{}, false
	}
	set := doc.Settings
	set.Storage = storage
	if err := s.SaveSettings(profile, set); err != nil {
		s.warn(fmt.Sprintf("warning: could not keep profile %q's shared settings in %s (%v)", profile, s.Dir, err))
	}
	sr.cache(ctx, nil, doc.Record)
	return set, true
}
