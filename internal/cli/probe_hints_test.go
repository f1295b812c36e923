package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cozeauth/cozeauth/probe"
)

// One hint per cause, naming the groups (in each region) rather than every
// target; advice about the other region only when it was not probed.
func TestProbeHintsPerCause(t *testing.T) {
	t.Parallel()
	dns := func(region string, g probe.Group, name, host string) probe.Result {
		return probe.Result{Region: region, Group: g, Name: name, URL: "https://" + host + "/x", Class: probe.ClassDNS, Hint: "check DNS"}
	}
	var both []probe.Result
	for _, region := range []string{"com", "cn"} {
		for _, g := range []probe.Group{probe.GroupAPI, probe.GroupOAuth, probe.GroupLegacy} {
			both = append(both, dns(region, g, string(g)+"_a", "api.coze."+region), dns(region, g, string(g)+"_b", "api.coze."+region))
		}
	}
	allRegions := probe.NewReport(both, 0, "")
	hints := probeHints(allRegions)
	if diff := cmp.Diff([]probeHint{{where: "api, oauth, legacy in coze.com and coze.cn", n: 12, classes: []string{"dns"}, hint: "check DNS"}}, hints, cmp.AllowUnexported(probeHint{})); diff != "" {
		t.Errorf("--region all, both failing (-want +got):\n%s", diff)
	}
	if got := otherRegionAdvice(allRegions); got != "" {
		t.Errorf("both regions were probed, yet: %q", got)
	}

	com := probe.NewReport([]probe.Result{dns("", probe.GroupAPI, "v3_chat", "api.coze.com"), dns("", probe.GroupOAuth, "oauth_token", "api.coze.com")}, 0, "")
	if got := otherRegionAdvice(com); !strings.Contains(got, "--region cn") {
		t.Errorf("coze.com alone failed, and the advice is %q", got)
	}
	cn := probe.NewReport([]probe.Result{dns("", probe.GroupAPI, "v3_chat", "api.coze.cn")}, 0, "")
	if got := otherRegionAdvice(cn); !strings.Contains(got, "--region com") {
		t.Errorf("coze.cn alone failed, and the advice is %q", got)
	}
	offline := probe.NewReport([]probe.Result{{Group: probe.GroupAPI, Name: "v3_chat", URL: "https://api.coze.com/v3/chat", Class: probe.ClassNoNetwork, Hint: "no network"}}, 0, "")
	if got := otherRegionAdvice(offline); got != "" {
		t.Errorf("no network here is no reason to try the other region: %q", got)
	}
	sandbox := probe.NewReport([]probe.Result{dns("", probe.GroupAPI, "v3_chat", "127.0.0.1:8808")}, 0, "")
	if got := otherRegionAdvice(sandbox); got != "" {
		t.Errorf("a host that is not Coze's got region advice: %q", got)
	}
}
