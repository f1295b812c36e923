package input

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small, atBound, over := write("small", 10), write("at", MaxFile), write("over", MaxFile+1)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(small, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		size       int    // read on success
		wantErr    string // "" for success
	}{
		{"small", small, 10, ""},
		{"at the bound", atBound, MaxFile, ""},
		{"symlink to a file", link, 10, ""},
		{"over the bound", over, 0, "larger than 64 KiB"},
		{"directory", dir, 0, "is a directory, not a regular file: save the content to a file"},
		{"device", os.DevNull, 0, "is a device, not a regular file"},
		{"missing", filepath.Join(dir, "nope"), 0, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadFile(tt.path)
			if tt.wantErr == "" {
				if err != nil || len(data) != tt.size {
					t.Fatalf("read %d bytes, err %v; want %d bytes", len(data), err, tt.size)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("err %v, want one naming the path and saying %q", err, tt.wantErr)
			}
		})
	}
}

// A FIFO is refused without opening it: opening one for reading waits for
// a writer, for ever when none comes. The writer here is only a safety net
// so that the test ends (with a failure) even if the FIFO were read.
func TestReadFileRefusesAFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(p); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		f.WriteString(`{"client_id":"1"}`)
		<-done
	}()
	_, err := ReadFile(p)
	if !errors.Is(err, errNotRegular) {
		t.Fatalf("err %v, want a refusal of the FIFO", err)
	}
	if diff := cmp.Diff(p+" is a named pipe (FIFO), not a regular file: save the content to a file and pass that file's path", err.Error()); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	// Let the writer go: open the FIFO for reading ourselves, without waiting.
	if f, err := os.OpenFile(p, os.O_RDONLY|nonBlock, 0); err == nil {
		f.Close()
	}
}
