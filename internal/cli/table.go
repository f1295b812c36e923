package cli

import (
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cozeauth/cozeauth/internal/textfmt"
	"golang.org/x/term"
)

// defaultWidth is the width of output that goes to no terminal and no
// $COLUMNS says otherwise.
const defaultWidth = textfmt.DefaultWidth

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

// wrapWords and hangWords are textfmt's (internal/textfmt).
func wrapWords(text string, width int, indent string) string {
	return textfmt.WrapWords(text, width, indent)
}

func hangWords(text string, width int, indent string) string {
	return textfmt.HangWords(text, width, indent)
}

// table is a [textfmt.Table] under the names status and profiles build
// theirs with; they may use textfmt.Table itself.
type table struct {
	header       []string
	shrink, drop []int
	soft, min    map[int]int
	rows         [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) render(w io.Writer, width int) error {
	tt := textfmt.Table{Header: t.header, Shrink: t.shrink, Drop: t.drop, Soft: t.soft, Min: t.min}
	for _, row := range t.rows {
		tt.Add(row...)
	}
	return tt.Render(w, width)
}
