//go:build unix

package pgstore

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/auth/internal/shared"
	"github.com/cozeauth/cozeauth/internal/testengine"
)

// freezer is a TCP relay to a server that can stop passing bytes, as a
// network partition does: the connections stay open and nothing arrives.
type freezer struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	frozen chan struct{} // closed while traffic flows
	conns  []net.Conn
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{l: l, target: target, frozen: make(chan struct{})}
	close(f.frozen)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *freezer) serve() {
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, s)
		f.mu.Unlock()
		go f.pipe(c, s)
		go f.pipe(s, c)
	}
}

// pipe copies src to dst, holding each chunk while frozen.
func (f *freezer) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			flowing := f.frozen
			f.mu.Unlock()
			<-flowing
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	f.frozen = make(chan struct{})
	f.mu.Unlock()
}

func (f *freezer) close() {
	f.l.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.frozen:
	default:
		close(f.frozen)
	}
	for _, c := range f.conns {
		c.Close()
	}
}

func TestPartitionMidRefreshIsAnErrorNotAHang(t *testing.T) {
	p := testengine.StartPostgres(t)
	ctx := guardCtx(t)
	direct := freshDB(t, p)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	f := newFreezer(t, u.Host)
	u.Host = f.l.Addr().String()
	e := open(t, u.String())

	l := lock(t, ctx, e, "default")
	data, v, err := l.Get(ctx)
	if err != nil || data != nil {
		t.Fatalf("Get = %q, %v", data, err)
	}
	f.freeze()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = l.Put(short, []byte("fake-record"), v)
	if !errors.Is(err, shared.ErrLockLost) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put across a partition: %v; want ErrLockLost and context.DeadlineExceeded", err)
	}
	if err := l.Alive(ctx, time.Minute); !errors.Is(err, shared.ErrLockLost) {
		t.Errorf("Alive after the partition: %v; want ErrLockLost", err)
	}

	// The session behind the relay is gone once the relay lets go of it;
	// then another machine, reaching the server directly, takes the lock.
	f.close()
	other := open(t, direct)
	l2 := lock(t, ctx, other, "default")
	if _, err := l2.Put(ctx, []byte("fake-record"), v); err != nil {
		t.Fatalf("Put by the next holder: %v", err)
	}
	if err := l2.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(ctx); err != nil {
		t.Errorf("Unlock of the lost lock: %v; want nil", err)
	}
}
