package timefmt

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDaysLeft(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		left time.Duration
		want int
	}{
		{30 * day, 30},
		{30*day - time.Second, 30}, // a fresh refresh token, a second later
		{29*day + 13*time.Hour, 30},
		{29*day + 11*time.Hour, 29},
		{2 * day, 2},
		{0, 0},
		{-29*day - 14*time.Hour, -30},
	}
	for _, tt := range tests {
		if got := DaysLeft(tt.left); got != tt.want {
			t.Errorf("DaysLeft(%v) = %d, want %d", tt.left, got, tt.want)
		}
	}
}

func TestStampAndFormat(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	in := time.Date(2025, 6, 1, 20, 0, 5, 999_999_999, cst)
	if diff := cmp.Diff("2025-06-01T12:00:05Z", Format(in)); diff != "" {
		t.Errorf("Format (-want +got):\n%s", diff)
	}
	// time.Time's own JSON of a stamp has no fraction either.
	b, err := json.Marshal(Stamp(in))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`"2025-06-01T12:00:05Z"`, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}

func TestCompact(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h", 150 * time.Minute: "2h30m", 14*time.Minute + 59*time.Second: "14m59s", 19862020229 * time.Nanosecond: "20s", 300 * time.Millisecond: "300ms"} {
		if got := Compact(d); got != want {
			t.Errorf("Compact(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want string
	}{
		{15 * time.Minute, "in 15m"},
		{14*time.Minute + 59*time.Second + 400*time.Millisecond, "in 14m59s"},
		{-3 * time.Minute, "3m ago"},
		{30 * 24 * time.Hour, "in 30 days"},
		{-3 * 24 * time.Hour, "3 days ago"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Relative(now.Add(tt.d), now)); diff != "" {
			t.Errorf("Relative(now%+v) (-want +got):\n%s", tt.d, diff)
		}
	}
}

func TestMillis(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Microsecond: "0.4ms", 3 * time.Millisecond: "3.0ms", 12 * time.Millisecond: "12ms",
		182*time.Millisecond + 700*time.Microsecond: "182ms", 1250 * time.Millisecond: "1.2s",
	} {
		if got := Millis(d); got != want {
			t.Errorf("Millis(%v) = %q, want %q", d, got, want)
		}
	}
}
