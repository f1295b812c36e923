// Package timefmt holds the time conventions every command and screen of
// cozeauth shares, so that `status`, `profiles` and the dashboard never
// disagree: how many days a token has left, and how a time is written in
// JSON. It must not read the clock or print: callers pass the times in, so
// that tests with a fake clock see what users see.
package timefmt

import (
	"math"
	"time"
)

// DaysLeft is left in whole days, rounded to the nearest: a refresh token
// issued a moment ago has 30 days left, not 29, and one that ran out 29.6
// days ago ran out 30 days ago.
func DaysLeft(left time.Duration) int {
	return int(math.Round(left.Hours() / 24))
}

// Stamp is t as every JSON output writes it: UTC, whole seconds (cut, not
// rounded, so an expiry is never moved later).
func Stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}

// Format is t in RFC 3339, UTC, whole seconds: "2025-06-01T12:00:00Z".
func Format(t time.Time) string {
	return Stamp(t).Format(time.RFC3339)
}
