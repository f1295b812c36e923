package ui

import (
	"regexp"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// The screens are drawn with styles (SGR sequences) and text fields that pad
// themselves with spaces to their width. Before a frame is sent, each
// line's trailing blanks are dropped (a terminal that soft-wraps or a
// mouse selection would otherwise carry them), which needs to know where a
// space shows: this file reads just enough SGR for that.

// sgr matches a Select Graphic Rendition sequence.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// trimRight drops a line's trailing blanks: the spaces text fields pad
// themselves with. A space that shows (reverse video or a background: a
// text field's cursor) is kept, and a style cut off with the spaces is
// reset.
func trimRight(l string) string {
	if !endsBlank(l) {
		return l // most lines: nothing to trim, no need to read their styles
	}
	keep, shows, pos := 0, false, 0 // keep: the end of the last cell that shows
	for _, loc := range append(sgr.FindAllStringIndex(l, -1), []int{len(l), len(l)}) {
		switch text := l[pos:loc[0]]; {
		case text != "" && shows:
			keep = loc[0]
		case strings.TrimRight(text, " ") != "":
			keep = pos + len(strings.TrimRight(text, " "))
		}
		if loc[0] < len(l) {
			shows = sgrShows(l[loc[0]:loc[1]], shows)
		}
		pos = loc[1]
	}
	cut := l[keep:]
	if !strings.Contains(cut, " ") {
		return l
	}
	l = l[:keep]
	if strings.Contains(cut, "\x1b[") {
		l += ansi.ResetStyle
	}
	return l
}

// endsBlank reports whether l's last character, past any trailing SGR
// sequences, is a space.
func endsBlank(l string) bool {
	for strings.HasSuffix(l, "m") {
		i := strings.LastIndex(l, "\x1b[")
		if i < 0 || strings.Trim(l[i+2:len(l)-1], "0123456789;:") != "" {
			break
		}
		l = l[:i]
	}
	return strings.HasSuffix(l, " ")
}

// sgrShows reports whether, after seq, a space is visible: reverse video or
// a background colour is on. shows is whether it was before seq.
func sgrShows(seq string, shows bool) bool {
	params := strings.FieldsFunc(strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b["), "m"), func(r rune) bool { return r == ';' || r == ':' })
	if len(params) == 0 {
		return false // ESC[m resets
	}
	for i := 0; i < len(params); i++ {
		p := params[i]
		switch {
		case p == "0" || p == "27" || p == "49":
			shows = false
		case p == "7" || p == "48" || isBasicBackground(p):
			shows = true
		}
		if p == "38" || p == "48" || p == "58" { // a colour's own parameters follow
			i += colourParams(params[i+1:])
		}
	}
	return shows
}

// isBasicBackground reports whether an SGR parameter sets one of the 16
// basic background colours.
func isBasicBackground(p string) bool {
	return (len(p) == 2 && p[0] == '4' && p[1] <= '7') || (len(p) == 3 && p[:2] == "10")
}

// colourParams is how many parameters an extended colour takes after its
// 38, 48 or 58: 5;n or 2;r;g;b.
func colourParams(rest []string) int {
	switch {
	case len(rest) > 0 && rest[0] == "5":
		return 2
	case len(rest) > 0 && rest[0] == "2":
		return 4
	}
	return 0
}
