package probe

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// One hint per cause, naming the groups (in each region) rather than every
// target; advice about the other region only when it was not probed.
func TestProbeHintsPerCause(t *testing.T) {
	t.Parallel()
	dns := func(region string, g Group, name, host string) Result {
		return Result{Region: region, Group: g, Name: name, URL: "https://" + host + "/x", Class: ClassDNS, Hint: "check DNS"}
	}
	var both []Result
	for _, region := range []string{"com", "cn"} {
		for _, g := range []Group{GroupAPI, GroupOAuth, GroupLegacy} {
			both = append(both, dns(region, g, string(g)+"_a", "api.coze."+region), dns(region, g, string(g)+"_b", "api.coze."+region))
		}
	}
	allRegions := NewReport(both, 0, "")
	hints := reportHints(allRegions)
	if diff := cmp.Diff([]reportHint{{where: "api, oauth, legacy in coze.com and coze.cn", n: 12, classes: []string{"dns"}, hint: "check DNS"}}, hints, cmp.AllowUnexported(reportHint{})); diff != "" {
		t.Errorf("--region all, both failing (-want +got):\n%s", diff)
	}
	if got := otherRegionAdvice(allRegions); got != "" {
		t.Errorf("both regions were probed, yet: %q", got)
	}

	com := NewReport([]Result{dns("", GroupAPI, "v3_chat", "api.coze.com"), dns("", GroupOAuth, "oauth_token", "api.coze.com")}, 0, "")
	if got := otherRegionAdvice(com); !strings.Contains(got, "--region cn") {
		t.Errorf("coze.com alone failed, and the advice is %q", got)
	}
	cn := NewReport([]Result{dns("", GroupAPI, "v3_chat", "api.coze.cn")}, 0, "")
	if got := otherRegionAdvice(cn); !strings.Contains(got, "--region com") {
		t.Errorf("coze.cn alone failed, and the advice is %q", got)
	}
	offline := NewReport([]Result{{Group: GroupAPI, Name: "v3_chat", URL: "https://api.coze.com/v3/chat", Class: ClassNoNetwork, Hint: "no network"}}, 0, "")
	if got := otherRegionAdvice(offline); got != "" {
		t.Errorf("no network here is no reason to try the other region: %q", got)
	}
	sandbox := NewReport([]Result{dns("", GroupAPI, "v3_chat", "127.0.0.1:8808")}, 0, "")
	if got := otherRegionAdvice(sandbox); got != "" {
		t.Errorf("a host that is not Coze's got region advice: %q", got)
	}
}

func TestProbeResolvedLines(t *testing.T) {
	t.Parallel()
	rep := NewReport([]Result{
		{Index: 0, Name: "v3_chat", Group: GroupAPI, URL: "https://api.coze.com/v3/chat", Class: ClassDNSSuspect, Resolved: []string{"198.18.0.5"}},
		{Index: 1, Name: "workflow_run", Group: GroupAPI, URL: "https://api.coze.com/v1/workflow/run", Class: ClassDNSSuspect, Resolved: []string{"198.18.0.5"}},
		{Index: 2, Name: "ws_chat", Group: GroupWebSocket, URL: "wss://ws.coze.com/v1/chat", Status: 401, Class: ClassAuthRequired,
			Resolved: []string{"2001:db8::1", "192.0.2.1"}, Family: "ipv4", FamilyNote: "IPv6 fails here while IPv4 works (connect: network is unreachable): programs that try IPv6 first may stall or fail"},
		{Index: 3, Name: "www", Group: GroupLegacy, URL: "http://127.0.0.1:8808/", Status: 200, Class: ClassOK},
	}, time.Second, "")
	var out bytes.Buffer
	if err := rep.WriteText(&out, 200, false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"Resolved: api.coze.com → 198.18.0.5 (no connection)\n          ws.coze.com → 2001:db8::1, 192.0.2.1 (ipv4 connected)\n",
		"IPv6 fails here while IPv4 works",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestProbeColour checks that colour changes nothing but the escape codes.
func TestProbeColour(t *testing.T) {
	t.Parallel()
	rep := NewReport([]Result{
		{Index: 0, Name: "www", Status: 200, Class: ClassOK, Timings: Timings{Total: 182 * time.Millisecond}},
		{Index: 1, Name: "v1_chat", Class: ClassReset, Timings: Timings{Total: 3 * time.Millisecond}, Error: "connection reset by peer", Hint: "cut"},
		{Index: 2, Name: "users_me", Status: 500, Class: ClassServerError, Hint: "later"},
	}, 200*time.Millisecond, "")
	var plain, colour bytes.Buffer
	if err := rep.WriteText(&plain, 120, false); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteText(&colour, 120, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colour.String(), "\x1b[") {
		t.Fatalf("no colour in:\n%s", colour.String())
	}
	if diff := cmp.Diff(plain.String(), ansiEscape.ReplaceAllString(colour.String(), "")); diff != "" {
		t.Errorf("colour changed the text (-plain +colour without escapes):\n%s", diff)
	}
	want := `TARGET    STATUS  CLASS            TIME      DETAIL
www       200     ok               182ms
v1_chat   -       reset            3.0ms     connection reset by peer
users_me  500     server_error     0.0ms

Verdict:  partial — 2 of 3 targets answered; the others failed below HTTP or were answered by something else
Proxy:    none (direct)
Duration: 200ms

Hints:
  v1_chat (reset)
    cut
  users_me (server_error)
    later
`
	if diff := cmp.Diff(want, plain.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
