package textfmt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A table too wide for its width cuts the soft column first, then leaves
// out the drop columns, then shrinks; headings are cut to the width; with
// no width every cell is whole.
func TestTableGivesWay(t *testing.T) {
	t.Parallel()
	build := func() *Table {
		tb := &Table{Header: []string{"NAME", "REGION", "DETAIL"}, Soft: map[int]int{2: 10}, Drop: []int{1}, Shrink: []int{2, 0}}
		tb.Heading("A heading longer than the narrowest width")
		tb.Add("default", "com", "lookup api.coze.com: no such host")
		return tb
	}
	tests := []struct {
		width int
		want  string
	}{
		{0, "NAME     REGION  DETAIL\nA heading longer than the narrowest width\ndefault  com     lookup api.coze.com: no such host\n"},
		{29, "NAME     REGION  DETAIL\nA heading longer than the na…\ndefault  com     lookup api.…\n"}, // DETAIL cut only as far as needed
		{20, "NAME     DETAIL\nA heading longer th…\ndefault  lookup ap…\n"},                            // REGION left out, then DETAIL shrunk
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := build().Render(&b, tt.width); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, b.String()); diff != "" {
			t.Errorf("width %d (-want +got):\n%s", tt.width, diff)
		}
	}
}

// Words wrap between words, never inside a `command` in backquotes, the
// next lines after the indent.
func TestHangWords(t *testing.T) {
	t.Parallel()
	got := HangWords("Hint: run `cozeauth login --profile work` and then try again", 30, "      ")
	want := "Hint: run\n      `cozeauth login --profile work`\n      and then try again\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := Fit("\x1b[1mbold text\x1b[0m", 6); !strings.Contains(got, "bold …") || !strings.HasPrefix(got, "\x1b[1m") {
		t.Errorf("Fit = %q, want the colour kept and the text cut with …", got)
	}
}

// Soft columns give way left to right, the same way every time (a map's
// order is random).
func TestTableSoftColumnsInOrder(t *testing.T) {
	t.Parallel()
	for range 20 {
		tb := &Table{Header: []string{"AAAA", "BBBB"}, Soft: map[int]int{0: 4, 1: 4}}
		tb.Add("aaaaaaaaaa", "bbbbbbbbbb")
		var b strings.Builder
		if err := tb.Render(&b, 18); err != nil {
			t.Fatal(err)
		}
		if want := "aaaaa…  bbbbbbbbbb\n"; !strings.HasSuffix(b.String(), want) {
			t.Fatalf("got %q, want it to end with %q", b.String(), want)
		}
	}
}
