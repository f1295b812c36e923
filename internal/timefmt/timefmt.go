// Package timefmt holds the time conventions every command and screen of
// cozeauth shares, so that `status`, `profiles` and the dashboard never
// disagree: how many days a token has left, and how a time is written in
// JSON, and how a duration or a time to come is said in text. It must not read the clock or print: callers pass the times in, so
// that tests with a fake clock see what users see.
package timefmt

import (
	"fmt"
	"math"
	"strings"
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

// Compact is d to the second, without zero minutes or seconds at its end:
// 24h, 1h30m, 5m, 14m59s, 90s is 1m30s, 19.86s is 20s (a margin clamped to
// a third of a token's life is no round number). Under a second it is as
// it is.
func Compact(d time.Duration) string {
	if d >= time.Second || d <= -time.Second {
		d = d.Round(time.Second)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Relative says when t is from now: "in 14m59s", "3m ago", to the second;
// two days or more away in whole days ("in 30 days").
func Relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("in %d days", DaysLeft(d))
	case d >= 0:
		return "in " + Compact(d)
	case d <= -48*time.Hour:
		return fmt.Sprintf("%d days ago", DaysLeft(-d))
	}
	return Compact(-d) + " ago"
}

// Millis is a measured time for a person, as the probe shows it in the CLI
// and the UI alike: tenths of a millisecond under 10ms ("3.0ms"), whole
// milliseconds under a second ("182ms"), then tenths of a second ("1.2s").
func Millis(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
