package filestore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A staged write replaces the target whole and 0600, and leaves no
// temporary file; an aborted one leaves the target as it was.
func TestStageCommitAndAbort(t *testing.T) {
	target := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := Stage(target, StageHeadroom)
	if err != nil {
		t.Fatal(err)
	}
	st.Abort()
	if got, _ := os.ReadFile(target); string(got) != "old" {
		t.Errorf("after Abort the target holds %q", got)
	}
	if err := WriteAtomic(target, []byte("new")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(got) != "new" || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("after WriteAtomic: %q, mode %v; want \"new\", 0600", got, fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".tokens.json-*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

// A link where a regular file belongs is refused by name, and so is a file
// larger than any store.
func TestReadBoundedRefusesLinksAndHugeFiles(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.WriteFile(real, []byte("{}"), 0o600)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	var ue *UnsafeFileError
	if _, err := ReadBounded(link); !errors.As(err, &ue) || ue.Kind != "a symbolic link" {
		t.Errorf("ReadBounded(link) = %v, want an UnsafeFileError naming a link", err)
	}
	huge := filepath.Join(dir, "huge")
	os.WriteFile(huge, make([]byte, MaxFile+1), 0o600)
	if _, err := ReadBounded(huge); err == nil {
		t.Error("ReadBounded read a file larger than MaxFile")
	}
	if data, err := ReadBounded(real); err != nil || string(data) != "{}" {
		t.Errorf("ReadBounded(real) = %q, %v", data, err)
	}
}

// The lock is exclusive: a second taker waits until the first lets go, or
// gives up when its context ends.
func TestLockPathIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.lock")
	first, err := LockPath(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if l, err := LockPath(ctx, path); err == nil {
		l.Unlock()
		t.Fatal("a second LockPath got the lock while the first held it")
	}
	first.Unlock()
	second, err := LockPath(context.Background(), path)
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	second.Unlock()
}
