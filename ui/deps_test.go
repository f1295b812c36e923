package ui

import (
	"testing"
	"time"
)

func TestDepsDefaults(t *testing.T) {
	d := Deps{}.withDefaults()
	if d.Now == nil || d.Targets == nil || len(d.Spinner.Frames) == 0 {
		t.Errorf("defaults missing: %+v", d)
	}
	if d.Timeout != DefaultTimeout || d.TickEvery != time.Second {
		t.Errorf("timeout %v tick %v", d.Timeout, d.TickEvery)
	}
	kept := Deps{Timeout: time.Minute, Appearance: Appearance{TickEvery: time.Hour}}.withDefaults()
	if kept.Timeout != time.Minute || kept.TickEvery != time.Hour {
		t.Errorf("given values were replaced: %v %v", kept.Timeout, kept.TickEvery)
	}
}

func TestTickCmdReadsInjectedClock(t *testing.T) {
	f := newFixture(t)
	f.deps.TickEvery = time.Nanosecond
	msg := tickCmd(f.deps.withDefaults())()
	if got := msg.(tickMsg).now; !got.Equal(t0) {
		t.Errorf("tick now = %v, want the fake clock's %v", got, t0)
	}
}
