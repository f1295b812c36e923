// Package wait holds the one way cozeauth waits: a duration, or until a
// context ends, whichever comes first. The refresh's retries, the lock's
// polls, the device poll, the probe's rounds and the sandbox's paced events
// all wait so; their test seams (a fake Sleep) sit in front of it.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or returns ctx's error when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
