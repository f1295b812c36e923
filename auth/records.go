package auth

import "context"

// records is where a profile's record is kept and where its renewals take
// turns: the token file of the config directory ([fileRecords]), or a
// shared engine with the token file as this machine's cache
// ([sharedRecords]). The rules of a refresh — margins, bounded waits,
// remembered refusals, issuer binding, rescue — are written once, in
// refresh.go and login.go, over this interface.
type records interface {
	// load returns the record without the lock, as cheaply as the storage
	// allows: a shared profile reads its local cache and touches the
	// engine only when the cache has nothing to hand out.
	load(ctx context.Context) (*Record, error)
	// lock takes the profile's refresh lock, waiting until ctx ends.
	lock(ctx context.Context) (heldRecords, error)
	// name is the storage as `status` shows it (no password).
	name() string
}

// heldRecords is a profile's storage while this process holds its lock.
type heldRecords interface {
	// load re-reads the record: another process (or machine) may have
	// rotated it while this one waited.
	load() (*Record, error)
	// prepare proves, before a grant is spent at Coze, that the result can
	// be kept: the token file can take a write, the shared lock will be
	// held for a whole refresh ([errLockLapsing] when it will not).
	prepare(ctx context.Context) error
	// save writes the record; a shared one only if the record is still
	// what load read (compare-and-set).
	save(ctx context.Context, r *Record) error
	// keepUnsaved keeps a new pair that save could not write, where the
	// next command finds it (a rescue file; a shared profile's cache, to
	// go back to the engine), and returns what to hand out.
	keepUnsaved(ctx context.Context, next *Record, saveErr error) (*Record, error)
	// readable reads the store for a login, which replaces the record:
	// a [CorruptError] when it cannot be read as tokens.
	readable() error
	// moveAside moves an unreadable store aside for a login.
	moveAside() (string, error)
	unlock()
}

// records is the storage of m's profile.
func (m *Manager) records() records {
	if isSharedStorage(m.Config.Storage) {
		return sharedRecords{m}
	}
	return fileRecords{m}
}

// fileRecords is the token file of the config directory, where all of a
// machine's processes take turns through the file lock.
type fileRecords struct{ m *Manager }

func (f fileRecords) load(context.Context) (*Record, error) {
	return f.m.Store.Load(f.m.Config.Profile)
}

func (f fileRecords) lock(ctx context.Context) (heldRecords, error) {
	l, err := f.m.Store.Lock(ctx)
	if err != nil {
		return nil, err
	}
	return heldFile{l: l, m: f.m}, nil
}

func (f fileRecords) name() string { return f.m.Store.Path() }

type heldFile struct {
	l *Locked
	m *Manager
}

func (h heldFile) load() (*Record, error)                  { return h.l.Load(h.m.Config.Profile) }
func (h heldFile) prepare(context.Context) error           { return h.l.Prepare() }
func (h heldFile) save(_ context.Context, r *Record) error { return h.l.Save(h.m.Config.Profile, r) }
func (h heldFile) moveAside() (string, error)              { return h.l.moveAside(h.m.now()) }
func (h heldFile) unlock()                                 { h.l.Unlock() }

func (h heldFile) readable() error {
	_, err := h.l.Load(h.m.Config.Profile)
	return err
}

func (h heldFile) keepUnsaved(_ context.Context, next *Record, saveErr error) (*Record, error) {
	return h.m.rescue(next, saveErr)
}
