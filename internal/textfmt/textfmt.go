// Package textfmt lays out text for a terminal or a pipe: words wrapped to
// a width (never inside a word or a `command`), cells cut with …, and
// tables whose columns give way in a set order when a line is too narrow.
// Escape sequences (colour) are kept and take no width. It is a leaf: the
// CLI's tables and the probe's text report both use it.
package textfmt

import (
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// DefaultWidth is the width of output that goes to no terminal and that no
// $COLUMNS sets otherwise.
const DefaultWidth = 80

// Fit cuts s to width display columns, ending it with … when cut. Escape
// sequences (colour) are kept and do not count.
func Fit(s string, width int) string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "…")
}

// WrapWords breaks text into lines of at most width columns at spaces,
// each after indent; a word longer than a line (an address) is kept whole
// rather than cut, and so is a `command` in backquotes, to be copied whole.
func WrapWords(text string, width int, indent string) string {
	return HangWords(indent+text, width, indent)
}

// HangWords is WrapWords for "Label:  text" lines: the first line as it is,
// the next ones after indent. Spaces inside a line are kept.
func HangWords(text string, width int, indent string) string {
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

// Table is rows of cells under a header, padded into columns that fit a
// width (0: no limit, every cell whole). When they do not, the columns in
// Soft are cut to their width there, then the columns in Drop are left out
// in that order until they do; then the columns in Shrink are cut (with …)
// in that order, down to their header's width; whatever is still too wide
// is cut at the end of the line. A cell is never wrapped; it may carry
// colour (escape sequences do not count). A heading is a line of its own
// between rows, cut to the width.
type Table struct {
	Header []string
	Shrink []int
	Drop   []int
	// Soft cuts columns to these widths, left to right, before any is left
	// out.
	Soft map[int]int
	// Min pads columns to at least these widths, so that a table's layout
	// does not depend on which values happen to be in it.
	Min  map[int]int
	rows [][]string
}

const columnGap = 2

// Add adds a row.
func (t *Table) Add(cells ...string) { t.rows = append(t.rows, cells) }

// Heading adds a line of its own, outside the columns.
func (t *Table) Heading(s string) { t.rows = append(t.rows, []string{s}) }

func (t *Table) isHeading(row []string) bool { return len(row) == 1 && len(t.Header) > 1 }

// widths are the columns' widths: the widest cell of each, less what must
// go for the line to fit width; 0 for a column left out.
func (t *Table) widths(width int) []int {
	ws := make([]int, len(t.Header))
	for i, w := range t.Min {
		ws[i] = w
	}
	for _, row := range append([][]string{t.Header}, t.rows...) {
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
	for _, i := range slices.Sorted(maps.Keys(t.Soft)) { // in column order, not the map's random one
		floor := t.Soft[i]
		cut := min(max(over, 0), max(ws[i]-floor, 0))
		ws[i] -= cut
		over -= cut
	}
	for _, i := range t.Drop {
		if over <= 0 {
			break
		}
		over -= ws[i] + columnGap
		ws[i] = 0
	}
	for _, i := range t.Shrink {
		floor := max(ansi.StringWidth(t.Header[i]), 4)
		cut := min(max(over, 0), max(ws[i]-floor, 0))
		ws[i] -= cut
		over -= cut
	}
	return ws
}

// Render writes the table to w, its lines at most width columns.
func (t *Table) Render(w io.Writer, width int) error {
	ws := t.widths(width)
	var b strings.Builder
	for _, row := range append([][]string{t.Header}, t.rows...) {
		if t.isHeading(row) {
			b.WriteString(Fit(row[0], width) + "\n")
			continue
		}
		var line strings.Builder
		for i, c := range row {
			if ws[i] == 0 {
				continue
			}
			c = Fit(c, ws[i])
			line.WriteString(c + strings.Repeat(" ", ws[i]-ansi.StringWidth(c)+columnGap))
		}
		b.WriteString(Fit(strings.TrimRight(line.String(), " "), width) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
