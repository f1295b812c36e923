package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/auth"
)

// Coze rotates the refresh token on every refresh, and only its answer
// holds the new one: a command killed (SIGKILL, its process group, the OOM
// killer) between the answer and the save would log its user out. So the
// commands run each renewal — a refresh or a JWT mint, and the save — in a
// refresher process of their own, which a kill of the command does not
// reach (a new session, no terminal), and wait for its answer. The
// refresher runs the same code as a renewal in process
// ([auth.Manager.RenewHere]): the lock, using another process's result, the
// refusal remembered, the rescue file.

// RefresherCommand is the hidden first argument that makes cozeauth the
// refresher process of another cozeauth: main runs [ServeRefresher] for it.
const RefresherCommand = "__refresher"

// RefresherLimit bounds the refresher's work: longer than the wait for the
// lock (30 s) and one renewal (20 s) together. main ends a refresher that
// is still running well after it.
const RefresherLimit = 60 * time.Second

// maxRefresherMessage bounds a request and an answer: a profile's record
// and settings, a few KiB.
const maxRefresherMessage = 1 << 20

// A Refresher starts the process a renewal runs in, given its request.
// [Reexec] is the real one; tests run [ServeRefresher] in process.
type Refresher interface {
	Start(request []byte) (*RefresherProcess, error)
}

// RefresherProcess is a started refresher.
type RefresherProcess struct {
	Pid int
	// Answer carries the outcome, then ends when the process does.
	Answer io.ReadCloser
	// Wait waits for the process to exit and says how it did.
	Wait func() error
}

// renewer is the Manager's renewal seam: through the refresher when the
// command has one (Env.Refresher), nil (in this process) otherwise. The
// --sandbox wizard renews in process: its fake Coze and its throwaway
// config directory end with it, and a refresher that outlived them would
// only recreate the directory.
func (g *globals) renewer() auth.Renewer {
	if g.env.Refresher == nil || g.flags.sandbox {
		return nil
	}
	return processRenewer{start: g.env.Refresher}
}

// processRenewer runs each renewal in a refresher process.
type processRenewer struct{ start Refresher }

// Renew asks a refresher to renew and waits for its answer. If the
// command is told to stop meanwhile it returns at once: the refresher goes
// on and saves what Coze rotates. A refresher that cannot start, or ends
// without an answer, costs a warning, and the renewal runs here after all:
// under the lock it re-reads what that refresher may have saved.
func (p processRenewer) Renew(ctx context.Context, m *auth.Manager, r auth.Renewal) (*auth.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // nothing started, nothing sent
	}
	req, err := json.Marshal(refreshRequest{
		Config: m.Config, Dir: m.Store.Dir, RescueDirs: m.Store.RescueDirs,
		UserAgent: m.UserAgent, Renewal: r,
	})
	if err != nil {
		return nil, fmt.Errorf("could not ask the refresher: %w", err)
	}
	proc, err := p.start.Start(req)
	if err != nil {
		warn(m, fmt.Sprintf("warning: could not start a refresher process (%v); refreshing in this one", err))
		return m.RenewHere(ctx, r)
	}
	answered := make(chan answer, 1)
	go func() { answered <- readAnswer(proc) }() // also reaps the process
	select {
	case <-ctx.Done():
		warn(m, fmt.Sprintf("warning: stopped waiting for the token refresh; refresher process %d finishes it and saves the new tokens", proc.Pid))
		return nil, ctx.Err()
	case a := <-answered:
		if a.err != nil {
			warn(m, fmt.Sprintf("warning: refresher process %d ended without an answer (%v); refreshing in this process", proc.Pid, a.err))
			return m.RenewHere(ctx, r)
		}
		for _, w := range a.outcome.Warnings {
			warn(m, w)
		}
		return a.outcome.result()
	}
}

func warn(m *auth.Manager, msg string) {
	if m.Store.Warn != nil {
		m.Store.Warn(msg)
	}
}

type answer struct {
	outcome *refreshOutcome
	err     error
}

// readAnswer reads the refresher's outcome and waits for it to exit. No
// outcome means it died before answering (killed, crashed, or a binary
// that does not know the request): the error says how it ended.
func readAnswer(p *RefresherProcess) answer {
	data, rerr := io.ReadAll(io.LimitReader(p.Answer, maxRefresherMessage))
	p.Answer.Close()
	werr := p.Wait()
	var o refreshOutcome
	if err := json.Unmarshal(data, &o); err == nil && (o.Record != nil || o.Error != nil) {
		return answer{outcome: &o}
	}
	switch {
	case werr != nil:
		return answer{err: werr}
	case rerr != nil:
		return answer{err: rerr}
	case len(data) == 0:
		return answer{err: errors.New("it exited without writing one")}
	}
	return answer{err: fmt.Errorf("its answer is unreadable (%d bytes)", len(data))}
}

// ServeRefresher is the refresher process: it reads one request from in,
// runs the renewal it asks for in this process, and writes the outcome to
// out, which nobody may read any more. Its store and Manager are built as
// the command's were (the same code, the same inherited environment), with
// the command's resolved Config; its warnings go into the outcome, for the
// command to print. It answers with exit code 0; a request it cannot read
// is a usage error, and nothing is sent to Coze.
func ServeRefresher(in io.Reader, out io.Writer, env *Env) int {
	var req refreshRequest
	if err := json.NewDecoder(io.LimitReader(in, maxRefresherMessage)).Decode(&req); err != nil {
		return ExitUsage
	}
	var (
		mu       sync.Mutex
		warnings []string
	)
	g := newGlobals(env).with(func(f *sharedFlags, _ *appFlags) { f.configDir = req.Dir })
	o := refreshOutcome{}
	if st, err := g.store(); err != nil {
		o.Error = wireErrorOf(err)
	} else {
		st.RescueDirs = req.RescueDirs
		st.Warn = func(msg string) {
			mu.Lock()
			defer mu.Unlock()
			warnings = append(warnings, msg)
		}
		m := g.managerFor(req.Config, st)
		m.UserAgent, m.Renewer = req.UserAgent, nil
		ctx, cancel := context.WithTimeout(context.Background(), RefresherLimit)
		defer cancel()
		rec, err := m.RenewHere(ctx, req.Renewal)
		o.Record, o.Error = rec, wireErrorOf(err)
	}
	mu.Lock()
	o.Warnings = warnings
	mu.Unlock()
	if data, err := json.Marshal(o); err == nil {
		_, _ = out.Write(data) // the caller may be gone: the tokens are saved anyway
	}
	return ExitOK
}
