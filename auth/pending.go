package auth

import (
	"context"
	"sync"
)

// Pending tracks the token work under way — refreshes and code exchanges —
// from the moment a grant may reach Coze until its answer is saved. Coze
// rotates refresh tokens and spends codes, so a program that exits in that
// window logs its user out; it calls [Pending.Wait] (or [Manager.Close])
// first. A program shares one Pending between all its Managers, so that a
// wizard that builds a Manager per screen still waits for all of them. The
// zero value is ready to use.
type Pending struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero
}

// begin counts one piece of work in; the returned func counts it out.
func (p *Pending) begin() (end func()) {
	p.mu.Lock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
	p.mu.Unlock()
	return sync.OnceFunc(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.n--; p.n == 0 {
			close(p.idle)
		}
	})
}

// Busy reports whether any work is under way.
func (p *Pending) Busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n > 0
}

// Wait returns when no work is under way, or with ctx's error when ctx ends
// first.
func (p *Pending) Wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.n == 0 {
			p.mu.Unlock()
			return nil
		}
		idle := p.idle
		p.mu.Unlock()
		select {
		case <-idle: // new work may have begun since: look again
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
