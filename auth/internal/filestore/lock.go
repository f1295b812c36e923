package filestore

import (
	"context"
	"time"

	"github.com/cozeauth/cozeauth/internal/wait"
)

// Lock is the held cross-process lock of a token store.
type Lock interface{ Unlock() }

// lockPoll is how often a lock held by another process is tried again.
const lockPoll = 20 * time.Millisecond

// waitPoll waits one lockPoll, or returns ctx's error when ctx ends first.
func waitPoll(ctx context.Context) error {
	return wait.Sleep(ctx, lockPoll)
}
