package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/probe"
)

// Every time writeJSON writes is RFC 3339 in whole seconds, UTC, wherever it
// sits: a field, behind a pointer, in a slice, embedded.
func TestWriteJSONWholeSeconds(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2025, 6, 1, 20, 0, 5, 987_654_321, cst)
	type Inner struct {
		At time.Time `json:"at"`
	}
	type outer struct {
		Inner
		Ptr   *time.Time `json:"ptr"`
		Nil   *time.Time `json:"nil"`
		List  []Inner    `json:"list"`
		Other string     `json:"other"`
	}
	var b strings.Builder
	if err := writeJSON(&b, outer{Inner: Inner{at}, Ptr: &at, List: []Inner{{at}}, Other: "2025-06-01T20:00:05.9+08:00"}); err != nil {
		t.Fatal(err)
	}
	want := `{
  "at": "2025-06-01T12:00:05Z",
  "ptr": "2025-06-01T12:00:05Z",
  "nil": null,
  "list": [
    {
      "at": "2025-06-01T12:00:05Z"
    }
  ],
  "other": "2025-06-01T20:00:05.9+08:00"
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// writeJSON stamps the times it writes, not the caller's: a status printed
// as JSON keeps its exact expiry for whatever the caller does next. It
// rewrote them in place behind pointers.
func TestWriteJSONLeavesTheValueAlone(t *testing.T) {
	at := time.Date(2025, 6, 1, 20, 0, 5, 987_654_321, time.FixedZone("CST", 8*3600))
	type row struct {
		At   *time.Time `json:"at"`
		Any  any        `json:"any"`
		List []*time.Time
	}
	ptr, inAny, inList := at, at, at
	v := []*row{{At: &ptr, Any: &inAny, List: []*time.Time{&inList}}}
	var b strings.Builder
	if err := writeJSON(&b, v); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), `"2025-06-01T12:00:05Z"`) != 3 {
		t.Errorf("not every time was stamped:\n%s", b.String())
	}
	for _, got := range []time.Time{*v[0].At, *v[0].Any.(*time.Time), *v[0].List[0]} {
		if got != at {
			t.Errorf("the caller's time became %v, want %v", got, at)
		}
	}
}

func TestProbeWatchTimeWholeSeconds(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	started := time.Date(2025, 6, 1, 12, 0, 0, 999_000_000, time.UTC)
	if err := writeRound(&b, 1, started, probe.Report{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), `{"round":1,"time":"2025-06-01T12:00:00Z",`) {
		t.Errorf("round line = %s", b.String())
	}
}
