package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/itchyny/gojq"
)

// maxShapedBody bounds the answer `api` reads whole to pretty-print it or
// run --jq on it; a longer one is passed on as it came.
const maxShapedBody = 32 << 20

// apiOutput is how `api` writes Coze's answer: as it comes (a pipe, a
// stream), indented and coloured for a person at a terminal, or through a
// jq filter.
type apiOutput struct {
	pretty bool // a terminal: indent JSON
	color  bool // and colour it (no NO_COLOR)
	jq     *gojq.Code
}

// compileJQ parses a --jq expression, as a usage error when it is not one.
func compileJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, usageError("--jq %q is not a jq expression: %v", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, usageError("--jq %q: %v", expr, err)
	}
	return code, nil
}

// shapes says whether resp's body is read whole and reshaped: JSON that is
// not a stream of events, when there is something to do with it.
func (o apiOutput) shapes(resp *http.Response) bool {
	ct := resp.Header.Get("Content-Type")
	return (o.pretty || o.jq != nil) && isJSONType(ct) && !strings.HasPrefix(ct, "text/event-stream")
}

// write writes body, a whole JSON answer, to w: through the filter when
// there is one and the answer is a success, else indented on a terminal.
func (o apiOutput) write(w io.Writer, body []byte, success bool) error {
	if o.jq != nil && success {
		return o.filter(w, body)
	}
	if !o.pretty || !json.Valid(body) {
		_, err := w.Write(body)
		return err
	}
	return writeIndentedJSON(w, body, o.color)
}

// filter runs the jq program on body and prints each result: strings as
// they are (as `gh api --jq` and `jq -r` do), anything else as JSON.
func (o apiOutput) filter(w io.Writer, body []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("--jq: coze's answer is not JSON: %w", err)
	}
	iter := o.jq.Run(normalizeNumbers(v))
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := r.(error); ok {
			return fmt.Errorf("--jq: %w", err)
		}
		if s, ok := r.(string); ok {
			if _, err := io.WriteString(w, s+"\n"); err != nil {
				return err
			}
			continue
		}
		b, err := gojq.Marshal(r)
		if err != nil {
			return fmt.Errorf("--jq: %w", err)
		}
		if o.pretty {
			err = writeIndentedJSON(w, b, o.color)
		} else {
			_, err = w.Write(append(b, '\n'))
		}
		if err != nil {
			return err
		}
	}
}

// normalizeNumbers turns json.Numbers into what gojq computes with: an int
// when the number is one (Coze's ids are 19 digits; a float64 would change
// them), else a float64.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i)
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return v.String()
	case []any:
		for i := range v {
			v[i] = normalizeNumbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = normalizeNumbers(v[k])
		}
	}
	return v
}

// jsonStyles are jq's colours: keys blue, strings green, numbers and
// literals (true, false, null) in their own, punctuation plain.
type jsonStyles struct{ key, str, num, lit lipgloss.Style }

func newJSONStyles() jsonStyles {
	return jsonStyles{
		key: lipgloss.NewStyle().Foreground(lipgloss.Blue).Bold(true),
		str: lipgloss.NewStyle().Foreground(lipgloss.Green),
		num: lipgloss.NewStyle().Foreground(lipgloss.Cyan),
		lit: lipgloss.NewStyle().Foreground(lipgloss.Yellow),
	}
}

// writeIndentedJSON writes valid JSON indented by two spaces, keys in their
// order, coloured when color is set, with a final newline.
func writeIndentedJSON(w io.Writer, body []byte, color bool) error {
	var ind bytes.Buffer
	if err := json.Indent(&ind, bytes.TrimSpace(body), "", "  "); err != nil {
		return err
	}
	ind.WriteByte('\n')
	if !color {
		_, err := w.Write(ind.Bytes())
		return err
	}
	_, err := io.WriteString(w, colorJSON(ind.String()))
	return err
}

// colorJSON colours indented, valid JSON token by token.
func colorJSON(s string) string {
	jsonColors := newJSONStyles()
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end := stringEnd(s, i)
			st := jsonColors.str
			if rest := strings.TrimLeft(s[end:], " "); strings.HasPrefix(rest, ":") {
				st = jsonColors.key
			}
			b.WriteString(st.Render(s[i:end]))
			i = end
		case c == '-' || c >= '0' && c <= '9':
			end := i + 1
			for end < len(s) && strings.IndexByte("0123456789+-.eE", s[end]) >= 0 {
				end++
			}
			b.WriteString(jsonColors.num.Render(s[i:end]))
			i = end
		case c == 't' || c == 'f' || c == 'n':
			end := i + 1
			for end < len(s) && s[end] >= 'a' && s[end] <= 'z' {
				end++
			}
			b.WriteString(jsonColors.lit.Render(s[i:end]))
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// stringEnd is the index just past the JSON string that starts at s[i].
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}
