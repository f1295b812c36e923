package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"maps"
	"net"
	"net/http/httptrace"
	"slices"
	"sync"
	"time"
)

// recorder notes when each phase of one request starts and ends. The
// transport calls it from its own goroutines, even after the request has
// given up (a dial left running), hence the lock.
type recorder struct {
	mu                 sync.Mutex
	start              time.Time
	dnsStart, dnsDone  time.Time
	connStart, connOK  time.Time
	tlsStart, tlsDone  time.Time
	tlsErr             error
	gotConn, firstByte time.Time
	lastAddr, remote   string
	connectCode        int    // status of the proxy's answer to CONNECT, 0 if none
	connectStatus      string // that answer when not 200, as "403 Forbidden"
	resolved           []string
	families           map[string]string // "ipv4"/"ipv6" -> "" when it connected, else why not
	ended              bool
	// racing counts family dials under way; idle is closed when it
	// returns to zero, so [recorder.settle] can wait for the loser.
	racing int
	idle   chan struct{}
}

// snapshot is what a finished request learned from its trace.
type snapshot struct {
	timings       Timings
	remote        string
	connectStatus string
	tlsFailed     bool // a TLS handshake ended in an error
	resolved      []string
	families      map[string]string
	// For phase: which steps started and finished.
	dnsPending, connPending, tlsPending bool
	connected, tunneled, gotConn        bool
}

func (r *recorder) withTrace(ctx context.Context) context.Context {
	at := func(f func(now time.Time)) {
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		if !r.ended {
			f(now)
		}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// DNS is timed by the prober's dialer, which does the lookups.
		ConnectStart: func(_, addr string) {
			at(func(t time.Time) {
				// Several addresses may be tried at once; time from the first.
				if r.connStart.IsZero() {
					r.connStart = t
				}
				r.lastAddr = addr
			})
		},
		ConnectDone: func(_, addr string, err error) {
			at(func(t time.Time) {
				if err == nil && r.connOK.IsZero() {
					r.connOK = t
					r.remote = addr
				}
			})
		},
		// With a TLS proxy there are two handshakes; the later one, with the
		// origin, is the one that matters.
		TLSHandshakeStart: func() { at(func(t time.Time) { r.tlsStart, r.tlsDone, r.tlsErr = t, time.Time{}, nil }) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			at(func(t time.Time) { r.tlsDone, r.tlsErr = t, err })
		},
		GotConn: func(info httptrace.GotConnInfo) {
			at(func(t time.Time) {
				r.gotConn = t
				if a := info.Conn.RemoteAddr(); a != nil {
					r.remote = a.String()
				}
			})
		},
		GotFirstResponseByte: func() { at(func(t time.Time) { r.firstByte = t }) },
	})
}

func (r *recorder) begin(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = now
}

// dnsBegin and dnsEnd time a lookup; with several (a proxy's name, then
// none for the target) the last counts.
func (r *recorder) dnsBegin(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.dnsStart, r.dnsDone = now, time.Time{}
	}
}

func (r *recorder) dnsEnd(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ended {
		r.dnsDone = now
	}
}

// resolvedTo notes the addresses the target's host resolved to.
func (r *recorder) resolvedTo(ips []net.IPAddr) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.resolved = r.resolved[:0]
	for _, ip := range ips {
		r.resolved = append(r.resolved, ip.IP.String())
	}
}

// familyDone notes how connecting over one IP family to the target ended.
func (r *recorder) familyDone(family string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if r.families == nil {
		r.families = map[string]string{}
	}
	if err == nil {
		r.families[family] = ""
		return
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	if _, ok := r.families[family]; !ok || r.families[family] != "" {
		r.families[family] = err.Error()
	}
}

// raceStarted notes a family dial that [recorder.raceEnded] will close.
func (r *recorder) raceStarted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.racing == 0 {
		r.idle = make(chan struct{})
	}
	r.racing++
}

func (r *recorder) raceEnded() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.racing--
	if r.racing == 0 {
		close(r.idle)
	}
}

// settle waits, at most grace, for the family dials still under way: a
// connection won by one family usually learns within moments whether the
// other refuses too, and the report should say so. A family that hangs
// (an IPv6 path that drops packets) costs grace and stays unknown.
func (r *recorder) settle(grace time.Duration) {
	r.mu.Lock()
	idle, racing := r.idle, r.racing
	r.mu.Unlock()
	if racing == 0 {
		return
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

func (r *recorder) proxyAnswered(code int, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connectCode = code
	if code != 200 {
		r.connectStatus = status
	}
}

// end stops recording and measures; a phase still open counts until now.
func (r *recorder) end(now time.Time) snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ended = true
	span := func(from, to time.Time) time.Duration {
		switch {
		case from.IsZero():
			return 0
		case to.IsZero():
			return now.Sub(from)
		}
		return to.Sub(from)
	}
	s := snapshot{
		timings: Timings{
			DNS:     span(r.dnsStart, r.dnsDone),
			Connect: span(r.connStart, r.connOK),
			TLS:     span(r.tlsStart, r.tlsDone),
			Total:   now.Sub(r.start),
		},
		remote:        r.remote,
		connectStatus: r.connectStatus,
		tlsFailed:     r.tlsErr != nil,
		resolved:      slices.Clone(r.resolved),
		families:      maps.Clone(r.families),
		dnsPending:    !r.dnsStart.IsZero() && r.dnsDone.IsZero(),
		connPending:   !r.connStart.IsZero() && r.connOK.IsZero(),
		tlsPending:    !r.tlsStart.IsZero() && r.tlsDone.IsZero(),
		connected:     !r.connOK.IsZero(),
		tunneled:      r.connectCode != 0,
		gotConn:       !r.gotConn.IsZero(),
	}
	if !r.firstByte.IsZero() {
		s.timings.FirstByte = r.firstByte.Sub(r.start)
	}
	if s.remote == "" {
		s.remote = r.lastAddr
	}
	return s
}

// phase is where the request stood when it ended. tunnel says whether the
// request needed a CONNECT tunnel through a proxy.
func (s snapshot) phase(tunnel bool) phase {
	switch {
	case s.dnsPending:
		return phaseDNS
	case s.connPending && !s.connected:
		return phaseConnect
	case tunnel && s.connected && !s.tunneled:
		return phaseProxy
	case s.tlsPending:
		return phaseTLS
	case s.connected || s.gotConn:
		// Includes the moment between connecting and sending.
		return phaseWait
	}
	return phaseUnknown
}
