package cli

import (
	"fmt"
	"os"
	"sync"
)

// waitingLine says what on standard error while a command waits for Coze
// (`refresh`, `api`, `status --check`), when standard error is a terminal,
// so a slow answer is not a blank screen; done erases the line again. Off
// a terminal, or on a dumb one (which cannot erase a line), it says
// nothing: logs and pipes get only the outcome. done may be called more
// than once.
func (g *globals) waitingLine(what string) (done func()) {
	if !g.stderrIsTerminal() || g.dumbTerminal() {
		return func() {}
	}
	w := g.env.Stderr
	fmt.Fprint(w, what)
	var once sync.Once
	return func() { once.Do(func() { fmt.Fprint(w, "\r\x1b[K") }) }
}

func (g *globals) stderrIsTerminal() bool {
	if g.env.StderrIsTerminal != nil {
		return g.env.StderrIsTerminal()
	}
	f, ok := g.env.Stderr.(*os.File)
	return ok && isTerminal(f)
}
