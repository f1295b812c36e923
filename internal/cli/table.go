package cli

import (
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// defaultWidth is the width of output that goes to no terminal and no
// $COLUMNS says otherwise.
const defaultWidth = 80

// outputWidth is how wide w's lines of prose may be: the terminal's width
// when w is one (TIOCGWINSZ: a system call, not a query the terminal must
// answer), else $COLUMNS, else 80.
func (g *globals) outputWidth(w io.Writer) int {
	if n := g.knownWidth(w); n > 0 {
		return n
	}
	return defaultWidth
}

// tableWidth is how wide w's table rows may be: as [globals.outputWidth],
// except that off a terminal with no $COLUMNS it is 0, no limit: a log or a
// script gets whole cells and every column, as gh prints them.
func (g *globals) tableWidth(w io.Writer) int { return g.knownWidth(w) }

// knownWidth is the terminal's width when w is one, else $COLUMNS, else 0.
func (g *globals) knownWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	if n, err := strconv.Atoi(strings.TrimSpace(g.getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	return 0
}

// outputHeight is the terminal's height when w is one, else 0 (unknown).
func outputHeight(w io.Writer) int {
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		if _, rows, err := term.GetSize(int(f.Fd())); err == nil {
			return rows
		}
	}
	return 0
}

// fit cuts s to width display columns, ending it with … when cut. Escape
// sequences (colour) are kept and do not count.
func fit(s string, width int) string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// wrapWords breaks text into lines of at most width columns at spaces,
// each after indent; a word longer than a line (an address) is kept whole
// rather than cut, and so is a `command` in backquotes, to be copied whole.
func wrapWords(text string, width int, indent string) string {
	return hangWords(indent+text, width, indent)
}

// hangWords is wrapWords for "Label:  text" lines: the first line as it is,
// the next ones after indent. Spaces inside a line are kept.
func hangWords(text string, width int, indent string) string {
	width = max(width, ansi.StringWidth(indent)+20)
	var b strings.Builder
	for ansi.StringWidth(text) > width {
		cut := breakAt(text, width)
		if cut < 0 {
			break
		}
		b.WriteString(strings.TrimRight(text[:cut], " ") + "\n")
		text = indent + strings.TrimLeft(text[cut:], " ")
	}
	b.WriteString(text + "\n")
	return b.String()
}

// breakAt is the index of the last space of text where a line of width
// columns may end: after the leading spaces, outside backquotes. -1 when
// there is none.
func breakAt(text string, width int) int {
	lead := len(text) - len(strings.TrimLeft(text, " "))
	cut, quoted := -1, false
	for i := lead; i < len(text); i++ {
		switch text[i] {
		case '`':
			quoted = !quoted
		case ' ':
			if quoted || text[i-1] == ' ' {
				continue
			}
			if ansi.StringWidth(text[:i]) > width {
				if cut < 0 {
					return i // a word longer than the line gets a line of its own
				}
				return cut
			}
			cut = i
		}
	}
	return cut
}

// table is rows of cells under a header, padded into columns that fit a
// width (0: no limit, every cell whole). When they do not, the columns in soft are cut to their width
// there, then the columns in drop are left out in that order until they
// do; then the columns in shrink are cut (with …) in that order, down to
// their header's width; whatever is still too wide is cut at the end of
// the line. A cell is never wrapped; it may carry colour (escape sequences
// do not count). A heading is a line of its own between rows, cut to the
// width.
type table struct {
	header []string
	rows   [][]string
	shrink []int
	drop   []int
	// soft cuts columns to these widths before any is left out.
	soft map[int]int
	// min pads columns to at least these widths, so that a table's layout
	// does not depend on which values happen to be in it.
	min map[int]int
}

const columnGap = 2

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// heading adds a line of its own, outside the columns.
func (t *table) heading(s string) { t.rows = append(t.rows, []string{s}) }

func (t *table) isHeading(row []string) bool { return len(row) == 1 && len(t.header) > 1 }

// widths are the columns' widths: the widest cell of each, less what must
// go for the line to fit width; 0 for a column left out.
func (t *table) widths(width int) []int {
	ws := make([]int, len(t.header))
	for i, w := range t.min {
		ws[i] = w
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		if t.isHeading(row) {
			continue
		}
		for i, c := range row {
			ws[i] = max(ws[i], ansi.StringWidth(c))
		}
	}
	if width <= 0 {
		return ws
	}
	over := (len(ws)-1)*columnGap - width
	for _, w := range ws {
		over += w
	}
	for i, floor := range t.soft {
		cut := min(max(over, 0), max(ws[i]-floor, 0))
		ws[i] -= cut
		over -= cut
	}
	for _, i := range t.drop {
		if over <= 0 {
			break
		}
		over -= ws[i] + columnGap
		ws[i] = 0
	}
	for _, i := range t.shrink {
		floor := max(ansi.StringWidth(t.header[i]), 4)
		cut := min(max(over, 0), max(ws[i]-floor, 0))
		ws[i] -= cut
		over -= cut
	}
	return ws
}

func (t *table) render(w io.Writer, width int) error {
	ws := t.widths(width)
	var b strings.Builder
	for _, row := range append([][]string{t.header}, t.rows...) {
		if t.isHeading(row) {
			b.WriteString(fit(row[0], width) + "\n")
			continue
		}
		var line strings.Builder
		for i, c := range row {
			if ws[i] == 0 {
				continue
			}
			c = fit(c, ws[i])
			line.WriteString(c + strings.Repeat(" ", ws[i]-ansi.StringWidth(c)+columnGap))
		}
		b.WriteString(fit(strings.TrimRight(line.String(), " "), width) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
