package probe

import (
	"net/http"
	"slices"
	"time"
)

// SkewThreshold is how far this machine's clock may be from Coze's before a
// report mentions it: beyond it, tokens seem to expire early or late.
const SkewThreshold = 30 * time.Second

// skew is how far the Date of an answer is ahead of this machine's clock
// (negative: behind), and whether the answer had a Date at all.
func (p *Prober) skew(resp *http.Response) (time.Duration, bool) {
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0, false
	}
	// Date has whole seconds: compare with the local time cut the same way.
	return d.Sub(p.now().Truncate(time.Second)), true
}

// clockSkew is the median skew over the answers that count as Coze's, so a
// single odd server does not decide; ok is false when none had a Date.
func clockSkew(results []Result) (time.Duration, bool) {
	var ds []time.Duration
	for _, r := range results {
		if r.HasDate && r.Class.Answered() {
			ds = append(ds, r.Skew)
		}
	}
	if len(ds) == 0 {
		return 0, false
	}
	slices.Sort(ds)
	return ds[len(ds)/2], true
}
