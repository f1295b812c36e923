package ui

import (
	"context"
	"errors"
	"fmt"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// The consent screen draws the authorize URL hard-wrapped, each piece an
// OSC 8 link: Bubble Tea's renderer clips a frame's line at the window's
// edge, so inside the frame a URL cannot be one line the terminal wraps.
// A mouse selection of the pieces is a broken URL. The u key therefore
// leaves the frame: with the terminal released (tea.Exec: off the
// alternate screen, in its normal mode, the renderer stopped) the address
// is printed once on the normal screen, on one line the terminal wraps
// itself, and stays in its scrollback; Enter comes back.

// urlPrintedMsg: the u key's print ended; err is why it failed.
type urlPrintedMsg struct{ err error }

// printedNote is said once the address was printed and the screen is back.
const printedNote = "The address is on the normal screen, one line, above this program's: it stays in the scrollback, good while this login waits."

// urlPrinter is the u key's command, run by tea.Exec while the program's
// terminal is released: it prints url on one line and waits for Enter (or
// for the program's end, done).
type urlPrinter struct {
	url  string
	done <-chan struct{}
	in   io.Reader
	out  io.Writer
}

func (p *urlPrinter) SetStdin(r io.Reader)  { p.in = r }
func (p *urlPrinter) SetStdout(w io.Writer) { p.out = w }
func (p *urlPrinter) SetStderr(io.Writer)   {}

func (p *urlPrinter) Run() error {
	if p.out == nil || p.in == nil {
		return errors.New("the terminal is not available")
	}
	_, err := fmt.Fprintf(p.out, "\nThe login's address, on one line (select it whole; good while the login waits):\n\n%s%s%s\n\nPress Enter to go back to cozeauth.\n",
		ansi.SetHyperlink(p.url), p.url, ansi.ResetHyperlink())
	if err != nil {
		return err
	}
	read := make(chan error, 1)
	go func() { read <- readLine(p.in) }()
	select {
	case err := <-read:
		return err
	case <-p.done:
		return context.Canceled
	}
}

// readLine reads up to and including a newline, a byte at a time: nothing
// past it is taken from the input the program reads next. The end of the
// input (Ctrl+D) goes back too.
func readLine(r io.Reader) error {
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		switch {
		case n == 1 && (b[0] == '\n' || b[0] == '\r'):
			return nil
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

// printURLCmd prints url outside the frame, as urlPrinter does.
func printURLCmd(url string, done <-chan struct{}) tea.Cmd {
	return tea.Exec(&urlPrinter{url: url, done: done}, func(err error) tea.Msg { return urlPrintedMsg{err: err} })
}
