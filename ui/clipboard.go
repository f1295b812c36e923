package ui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/aymanbagabas/go-osc52/v2"
)

// copiedNote is what the c key says: the terminal gets the address, but
// whether it reaches the clipboard is the terminal's (and tmux's) choice,
// which nothing reports back.
const copiedNote = "Sent the address to the terminal's clipboard (OSC 52); if it did not arrive, press u to print it on one line for the mouse."

// Clipboard is how the c key reaches the terminal's clipboard: OSC 52,
// written by Bubble Tea's renderer (tea.SetClipboard, tea.Raw), never by
// anything beside it.
type Clipboard struct {
	// Multiplexer is "tmux" or "screen" when cozeauth runs inside one: the
	// sequence is then also sent wrapped for passthrough, which tmux ≥ 3.3
	// passes on only with allow-passthrough on.
	Multiplexer string
	// Note, when not empty, is said after each copy: what the multiplexer
	// needs for the copy to arrive (tmux with set-clipboard off).
	Note string
}

// copyCmd sends s to the clipboard and then says it was sent.
func copyCmd(c *Clipboard, s string) tea.Cmd {
	cmds := []tea.Cmd{tea.SetClipboard(s)}
	switch seq := osc52.New(s); c.Multiplexer {
	case "tmux":
		cmds = append(cmds, tea.Raw(seq.Tmux().String()))
	case "screen":
		cmds = append(cmds, tea.Raw(seq.Screen().String()))
	}
	note := copiedNote
	if c.Note != "" {
		note += " " + c.Note
	}
	return tea.Batch(append(cmds, func() tea.Msg { return urlCopiedMsg{note: note} })...)
}
