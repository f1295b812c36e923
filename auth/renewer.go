package auth

import "context"

// A Renewer runs a [Manager]'s renewals somewhere other than in the calling
// process. Coze rotates refresh tokens: a process killed (SIGKILL, the OOM
// killer) between Coze's answer and the save loses the login. The cozeauth
// command therefore runs each renewal in a process of its own that
// outlives its caller; the library does not ([Open] sets no Renewer).
//
// Renew is called only when [Manager.Token] or [Manager.Refresh] decided to
// renew, never for a token still valid. It must give what
// [Manager.RenewHere] gives for r, run by a Manager of the same Config and
// Store: the renewed record, or the same kinds of error
// ([LoginRequiredError], [IssuerMismatchError], [UnsavedError]). It may
// return ctx's error as soon as ctx ends, leaving the renewal to finish
// and be saved where it runs.
type Renewer interface {
	Renew(ctx context.Context, m *Manager, r Renewal) (*Record, error)
}

// Renewal is one renewal that [Manager.Token] or [Manager.Refresh] decided on.
type Renewal struct {
	// Force renews whatever the token's remaining life, even after a
	// refusal: [Manager.Refresh].
	Force bool `json:"force,omitempty"`
	// Before is the record as read without the lock (nil when there was
	// none), to tell whether another process renewed it meanwhile and to
	// hand it out when that process takes too long.
	Before *Record `json:"before,omitempty"`
}

// RenewHere runs r in this process, whatever m.Renewer says: waiting for the
// lock, re-reading the record under it and using what another process did
// meanwhile, the grant, and the save (or the rescue file, or the failure
// recorded for the others). It is what a [Renewer]'s process runs.
func (m *Manager) RenewHere(ctx context.Context, r Renewal) (*Record, error) {
	return m.renewHere(ctx, r.Force, r.Before)
}
