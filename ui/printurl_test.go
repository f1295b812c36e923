package ui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// oneLineLink is the printed address: an OSC 8 link whose text is the URL,
// with no line break in it.
var oneLineLink = regexp.MustCompile("\x1b\\]8;;([^\x07\x1b]+)\x07([^\x1b\n]+)\x1b\\]8;;\x07\n")

// TestURLPrinterPrintsOneLine: the u key's command prints the address once,
// unbroken (the terminal wraps it, so a mouse selects it whole), as a link,
// and goes back on Enter without reading past it.
func TestURLPrinterPrintsOneLine(t *testing.T) {
	url := "http://127.0.0.1:1/api/permission/oauth2/authorize?client_id=7.app.coze&" + strings.Repeat("state=abcdefgh", 20)
	in := strings.NewReader("\nnext keys")
	var out bytes.Buffer
	p := &urlPrinter{url: url}
	p.SetStdin(in)
	p.SetStdout(&out)
	if err := p.Run(); err != nil {
		t.Fatal(err)
	}
	m := oneLineLink.FindStringSubmatch(out.String())
	if m == nil || m[1] != url || m[2] != url {
		t.Errorf("the address is not one line, linked to itself:\n%q", out.String())
	}
	if !strings.Contains(out.String(), "Press Enter to go back") {
		t.Errorf("no word of how to go back:\n%s", out.String())
	}
	if rest, _ := io.ReadAll(in); string(rest) != "next keys" {
		t.Errorf("read past the Enter: %q left", rest)
	}
}

// TestURLPrinterEndsWithTheProgram: Ctrl+C (the program's context ending)
// ends the wait for Enter.
func TestURLPrinterEndsWithTheProgram(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	done := make(chan struct{})
	p := &urlPrinter{url: "http://x", done: done}
	p.SetStdin(r)
	p.SetStdout(io.Discard)
	ended := make(chan error, 1)
	go func() { ended <- p.Run() }()
	close(done)
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second): // a hang guard, not a measurement
		t.Fatal("the wait for Enter outlived the program")
	}
}

// TestPrintKeyOnConsent: u is offered while the login waits, and the screen
// says where the address went when it comes back.
func TestPrintKeyOnConsent(t *testing.T) {
	m, _ := newFixture(t).consent(t)
	if !m.keys.Print.Enabled() {
		t.Fatal("u is not offered while the login waits")
	}
	if !strings.Contains(helpLine(m), "u one-line url") {
		t.Errorf("the help line at 80 columns lacks u: %q", helpLine(m))
	}
	m, cmd := step(m, press("u"))
	if cmd == nil {
		t.Fatal("u does nothing")
	}
	m = step1(m, urlPrintedMsg{})
	if v := strings.Join(strings.Fields(viewText(m)), " "); !strings.Contains(v, "The address is on the normal screen, one line") {
		t.Errorf("no word of the printed address:\n%s", viewText(m))
	}
	m = step1(m, urlPrintedMsg{err: errors.New("broken pipe")})
	if v := viewText(m); !strings.Contains(v, "Could not print the address: broken pipe") {
		t.Errorf("a failed print is not said:\n%s", v)
	}
}
