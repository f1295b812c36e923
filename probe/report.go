package probe

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Timings are the phases of one request, from net/http/httptrace. A phase
// that did not happen is zero; one that never finished counts until the
// request ended. FirstByte and Total count from the start of the request.
type Timings struct {
	DNS, Connect, TLS, FirstByte, Total time.Duration
}

// MarshalJSON writes the timings as milliseconds.
func (t Timings) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		DNS       float64 `json:"dns"`
		Connect   float64 `json:"connect"`
		TLS       float64 `json:"tls"`
		FirstByte float64 `json:"first_byte"`
		Total     float64 `json:"total"`
	}{millis(t.DNS), millis(t.Connect), millis(t.TLS), millis(t.FirstByte), millis(t.Total)})
}

// millis is d in milliseconds to a tenth.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(100*time.Microsecond)) / 10
}

// Result is the outcome of one [Target].
type Result struct {
	// Index is the target's position in the slice given to [Prober.Start].
	Index             int
	Name, Method, URL string
	// Group, Label and Region are the target's.
	Group  Group
	Label  string
	Region string
	// Status is the HTTP status, 0 when there was no answer.
	Status  int
	Class   Class
	Timings Timings
	// RemoteAddr is the address connected to (the proxy's, through a
	// proxy), or the one last tried when the connection failed.
	RemoteAddr string
	// CozeCode and CozeMsg are set when the body is Coze's JSON.
	CozeCode *int
	CozeMsg  string
	// LogID is the X-Tt-Logid header, which Coze support asks for.
	LogID string
	// Hint says what to do about a failure, in one line.
	Hint string
	// Error is what went wrong, when the target got no answer.
	Error string
	// User is whom the token belongs to, for a target with a token that
	// Coze accepted (users_me).
	User string
	// Resolved are the addresses the target's host name resolved to (none
	// for an IP literal, or through a proxy, which resolves it itself).
	Resolved []string
	// Family is the IP family that connected, "ipv4" or "ipv6", or "".
	Family string
	// FamilyNote says when the other family failed while this one worked.
	FamilyNote string
	// Skew is how far the answer's Date was ahead of this machine's clock,
	// when HasDate.
	Skew    time.Duration
	HasDate bool
}

// familyHint is the hint for a target that answered over one IP family
// after the other failed.
const familyHint = "one IP family fails here: if programs stall connecting to Coze, prefer the working one (e.g. disable IPv6 on this network) or fix its route"

// MarshalJSON writes the result in the shape `cozeauth probe --json` shows.
func (r Result) MarshalJSON() ([]byte, error) {
	resolved := r.Resolved
	if resolved == nil {
		resolved = []string{}
	}
	return json.Marshal(struct {
		Name       string   `json:"name"`
		Group      Group    `json:"group"`
		Label      string   `json:"label"`
		Region     string   `json:"region,omitempty"`
		Method     string   `json:"method"`
		URL        string   `json:"url"`
		Status     int      `json:"status"`
		Class      Class    `json:"class"`
		Timings    Timings  `json:"timings_ms"`
		RemoteAddr string   `json:"remote_addr"`
		Resolved   []string `json:"resolved"`
		Family     string   `json:"family"`
		FamilyNote string   `json:"family_note,omitempty"`
		CozeCode   *int     `json:"coze_code"`
		CozeMsg    string   `json:"coze_msg"`
		LogID      string   `json:"logid"`
		Hint       string   `json:"hint"`
		Error      string   `json:"error"`
		User       string   `json:"user,omitempty"`
	}{r.Name, r.Group, r.Label, r.Region, r.Method, r.URL, r.Status, r.Class, r.Timings, r.RemoteAddr, resolved, r.Family, r.FamilyNote,
		r.CozeCode, r.CozeMsg, r.LogID, r.Hint, r.Error, r.User})
}

// Verdict sums up a probe.
type Verdict string

// The verdicts of a [Report].
const (
	// VerdictReachable: every target answered over HTTP, whatever the status.
	VerdictReachable Verdict = "reachable"
	// VerdictDegraded: every target answered over HTTP, but an API or OAuth
	// target (the open API, the token endpoint, the account check)
	// answered 5xx: the path is open, yet no login, refresh or API call
	// works from here now.
	VerdictDegraded Verdict = "degraded"
	// VerdictPartial: some targets answered, others failed below HTTP.
	VerdictPartial Verdict = "partial"
	// VerdictUnreachable: no target answered over HTTP.
	VerdictUnreachable Verdict = "unreachable"
)

// Report is a finished probe.
type Report struct {
	Verdict Verdict
	// Proxy is the proxy the targets went through, "" when direct; when
	// targets differ, the distinct choices joined by ", " ("direct" for none).
	Proxy    string
	Duration time.Duration
	// Targets are ordered by Index.
	Targets []Result
	// Skew is how far Coze's clock is ahead of this machine's (negative:
	// behind), from the Date of the answers, when HasSkew.
	Skew    time.Duration
	HasSkew bool
	// Regions judge each region on its own when the targets cover several
	// (`probe --region all`); nil otherwise.
	Regions []RegionVerdict
	// Recommendation says which region to use from here, with Regions.
	Recommendation string
}

// NewReport orders results by Index and judges them, each region apart
// when they cover several.
func NewReport(results []Result, elapsed time.Duration, proxy string) Report {
	rs := slices.Clone(results)
	slices.SortStableFunc(rs, func(a, b Result) int { return cmp.Compare(a.Index, b.Index) })
	rep := Report{Verdict: verdictOf(rs), Proxy: proxy, Duration: elapsed, Targets: rs}
	rep.Skew, rep.HasSkew = clockSkew(rs)
	rep.Regions = regionVerdicts(rs)
	rep.Recommendation = recommend(rep.Regions)
	return rep
}

// verdictOf judges a set of results: reachable when all answered over
// HTTP (degraded when an API or OAuth target's answer was a 5xx),
// unreachable when none did.
func verdictOf(rs []Result) Verdict {
	answered, failing := 0, false
	for _, r := range rs {
		if r.Class.Answered() {
			answered++
		}
		failing = failing || r.ServiceFails()
	}
	switch {
	case answered == 0:
		return VerdictUnreachable
	case answered == len(rs) && failing:
		return VerdictDegraded
	case answered == len(rs):
		return VerdictReachable
	}
	return VerdictPartial
}

// ServiceFails reports whether r is an API or OAuth target (the account
// check included) that Coze, or something in the path, answered with a
// 5xx: what logins, refreshes and API calls need fails.
func (r Result) ServiceFails() bool {
	switch r.Group {
	case GroupAPI, GroupOAuth, GroupAccount:
		return r.Class == ClassServerError
	}
	return false
}

// SkewNotable reports whether the clock skew is over [SkewThreshold].
func (r Report) SkewNotable() bool {
	return r.HasSkew && (r.Skew > SkewThreshold || r.Skew < -SkewThreshold)
}

// Reachable reports whether the probe found a way to Coze: every target
// answered, or, over several regions, every target of one region did.
func (r Report) Reachable() bool {
	if len(r.Regions) == 0 {
		return r.Verdict == VerdictReachable
	}
	for _, rv := range r.Regions {
		if rv.Verdict == VerdictReachable {
			return true
		}
	}
	return false
}

// Answered counts the targets that answered over HTTP.
func (r Report) Answered() int {
	n := 0
	for _, t := range r.Targets {
		if t.Class.Answered() {
			n++
		}
	}
	return n
}

// MarshalJSON writes the report in the shape `cozeauth probe --json` shows.
func (r Report) MarshalJSON() ([]byte, error) {
	targets := r.Targets
	if targets == nil {
		targets = []Result{}
	}
	var skew *float64
	if r.HasSkew {
		s := r.Skew.Seconds()
		skew = &s
	}
	return json.Marshal(struct {
		Verdict        Verdict         `json:"verdict"`
		Proxy          string          `json:"proxy"`
		DurationMS     float64         `json:"duration_ms"`
		ClockSkewS     *float64        `json:"clock_skew_s"`
		Regions        []RegionVerdict `json:"regions,omitempty"`
		Recommendation string          `json:"recommendation,omitempty"`
		Targets        []Result        `json:"targets"`
	}{r.Verdict, r.Proxy, millis(r.Duration), skew, r.Regions, r.Recommendation, targets})
}
