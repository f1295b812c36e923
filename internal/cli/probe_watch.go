package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cozeauth/cozeauth/internal/timefmt"
	"github.com/cozeauth/cozeauth/internal/wait"
	"github.com/cozeauth/cozeauth/probe"
	"github.com/cozeauth/cozeauth/ui"
)

// watchProbe is `probe --watch`. On a terminal (without --json or --count)
// it is a live view that probes again every interval, until q; otherwise
// JSON lines. The exit code is the last round's: 0 when it found the way
// open, 3 when not; 130 when Ctrl+C ended it, as for every command.
func (g *globals) watchProbe(ctx context.Context, p *probe.Prober, targets []probe.Target, where string, o probeOpts) error {
	if o.asJSON || o.count > 0 || !isTerminal(g.env.Stdout) || !g.stdinIsTerminal() {
		return g.watchJSONLines(ctx, p, targets, o)
	}
	final, err := ui.RunWatch(ctx, ui.WatchDeps{Prober: p, Targets: targets, Interval: o.interval, Where: where, Now: g.env.Now})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("the watch view failed: %w", err)
	}
	fmt.Fprint(g.env.Stdout, final.Summary()) // the last round stays on screen after the view
	if final.Interrupted() || ctx.Err() != nil {
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted")}
	}
	if final.Rounds() == 0 {
		return &ExitError{Code: ExitBlocked, Err: fmt.Errorf("stopped before the first round finished: nothing to report")}
	}
	if !final.Reachable() {
		return &ExitError{Code: ExitBlocked}
	}
	return nil
}

// watchJSONLines is a round every interval until the context ends (Ctrl-C)
// or --count rounds are done, each written as one JSON object on its own
// line, for logs and jq. A round cut short by Ctrl-C is not written: it
// would report the interruption, not the network.
func (g *globals) watchJSONLines(ctx context.Context, p *probe.Prober, targets []probe.Target, o probeOpts) error {
	var last *probe.Report
	for round := 1; o.count == 0 || round <= o.count; round++ {
		if round > 1 {
			if err := g.sleep(ctx, o.interval); err != nil {
				break
			}
		}
		started := g.now()
		rep := p.Run(ctx, targets)
		if ctx.Err() != nil {
			break
		}
		last = &rep
		if err := writeRound(g.env.Stdout, round, started, rep); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		// The rounds written stand; the exit code says how it ended.
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted")}
	}
	return probeExit(*last)
}

// writeRound writes one round as a single line: the report's JSON with the
// round number and its start time in front.
func writeRound(w io.Writer, round int, started time.Time, rep probe.Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("could not encode the probe report: %w", err)
	}
	head, err := json.Marshal(struct {
		Round int    `json:"round"`
		Time  string `json:"time"`
	}{round, timefmt.Format(started)})
	if err != nil {
		return fmt.Errorf("could not encode the probe report: %w", err)
	}
	var line bytes.Buffer
	line.Write(head[:len(head)-1]) // without its closing brace
	line.WriteByte(',')
	line.Write(body[1:]) // without its opening brace
	line.WriteByte('\n')
	if _, err := w.Write(line.Bytes()); err != nil {
		return fmt.Errorf("could not write the probe report: %w", err)
	}
	return nil
}

// sleep waits d or until ctx ends, with the Env's Sleep when tests set one.
func (g *globals) sleep(ctx context.Context, d time.Duration) error {
	if g.env.Sleep != nil {
		return g.env.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}
