//go:build !linux

package probe

import "testing"

// blackholeAddr needs Linux's handling of a full accept queue.
func blackholeAddr(t *testing.T) string {
	t.Skip("simulating dropped SYNs needs Linux")
	return ""
}
