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
}

// MarshalJSON writes the result in the shape `cozeauth probe --json` shows.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name       string  `json:"name"`
		Method     string  `json:"method"`
		URL        string  `json:"url"`
		Status     int     `json:"status"`
		Class      Class   `json:"class"`
		Timings    Timings `json:"timings_ms"`
		RemoteAddr string  `json:"remote_addr"`
		CozeCode   *int    `json:"coze_code"`
		CozeMsg    string  `json:"coze_msg"`
		LogID      string  `json:"logid"`
		Hint       string  `json:"hint"`
		Error      string  `json:"error"`
		User       string  `json:"user,omitempty"`
	}{r.Name, r.Method, r.URL, r.Status, r.Class, r.Timings, r.RemoteAddr, r.CozeCode, r.CozeMsg, r.LogID, r.Hint, r.Error, r.User})
}

// Verdict sums up a probe.
type Verdict string

// The verdicts of a [Report].
const (
	// VerdictReachable: every target answered over HTTP, whatever the status.
	VerdictReachable Verdict = "reachable"
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
}

// NewReport orders results by Index and judges them.
func NewReport(results []Result, elapsed time.Duration, proxy string) Report {
	rs := slices.Clone(results)
	slices.SortStableFunc(rs, func(a, b Result) int { return cmp.Compare(a.Index, b.Index) })
	answered := 0
	for _, r := range rs {
		if r.Class.Answered() {
			answered++
		}
	}
	v := VerdictPartial
	switch {
	case answered == 0:
		v = VerdictUnreachable
	case answered == len(rs):
		v = VerdictReachable
	}
	return Report{Verdict: v, Proxy: proxy, Duration: elapsed, Targets: rs}
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
	return json.Marshal(struct {
		Verdict    Verdict  `json:"verdict"`
		Proxy      string   `json:"proxy"`
		DurationMS float64  `json:"duration_ms"`
		Targets    []Result `json:"targets"`
	}{r.Verdict, r.Proxy, millis(r.Duration), targets})
}
