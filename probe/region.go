package probe

import (
	"fmt"

	"github.com/cozeauth/cozeauth/coze"
)

// RegionVerdict judges one region's targets of a probe that covers several.
type RegionVerdict struct {
	Region   string  `json:"region"`
	Host     string  `json:"host"` // "coze.com", "coze.cn"
	Verdict  Verdict `json:"verdict"`
	Answered int     `json:"answered"`
	Total    int     `json:"total"`
}

// Regions are Coze's two regions with their own bases, for `probe --region
// all`; token, when set, goes to users_me in tokenRegion only.
func Regions(token string, tokenRegion coze.Region) []Region {
	var rs []Region
	for _, r := range []coze.Region{coze.RegionCOM, coze.RegionCN} {
		reg := Region{Name: string(r), Bases: Bases{API: r.APIBase(), WWW: r.WWWBase()}}
		if r == tokenRegion {
			reg.Token = token
		}
		rs = append(rs, reg)
	}
	return rs
}

// RegionHost is how people call a region ("coze.com" for com), or name
// itself when it is no region.
func RegionHost(name string) string {
	switch name {
	case string(coze.RegionCOM):
		return "coze.com"
	case string(coze.RegionCN):
		return "coze.cn"
	}
	return name
}

// regionVerdicts judges each region in the order it first appears, or
// returns nil when the results are of one region only.
func regionVerdicts(rs []Result) []RegionVerdict {
	var order []string
	by := map[string][]Result{}
	for _, r := range rs {
		if r.Region == "" {
			continue
		}
		if _, ok := by[r.Region]; !ok {
			order = append(order, r.Region)
		}
		by[r.Region] = append(by[r.Region], r)
	}
	if len(order) < 2 {
		return nil
	}
	var out []RegionVerdict
	for _, name := range order {
		sub := by[name]
		rv := RegionVerdict{Region: name, Host: RegionHost(name), Verdict: verdictOf(sub), Total: len(sub)}
		for _, r := range sub {
			if r.Class.Answered() {
				rv.Answered++
			}
		}
		out = append(out, rv)
	}
	return out
}

// state says how a region fared, in a few words.
func (rv RegionVerdict) state() string {
	switch rv.Verdict {
	case VerdictReachable:
		return "reachable"
	case VerdictPartial:
		return "partly blocked"
	case VerdictDegraded:
		return "failing (5xx)"
	}
	return "blocked"
}

// recommend says which region to use from here, or "" for one region.
func recommend(rvs []RegionVerdict) string {
	if len(rvs) == 0 {
		return ""
	}
	var ok, notOK []RegionVerdict
	for _, rv := range rvs {
		if rv.Verdict == VerdictReachable {
			ok = append(ok, rv)
		} else {
			notOK = append(notOK, rv)
		}
	}
	const differ = "apps, accounts and tokens differ between regions"
	switch {
	case len(notOK) == 0:
		return fmt.Sprintf("all regions reachable from here: use the one your Coze account and app are on (%s)", differ)
	case len(ok) == 0:
		return "no region is fully reachable from here: see the hints, and try another network or a proxy via HTTPS_PROXY"
	case len(ok) == 1 && len(notOK) == 1:
		return fmt.Sprintf("%s %s from here, %s reachable: %s; use --region %s with an account and app made on %s",
			notOK[0].Host, notOK[0].state(), ok[0].Host, differ, ok[0].Region, ok[0].Host)
	}
	return fmt.Sprintf("%s reachable from here (%s); use --region %s", ok[0].Host, differ, ok[0].Region)
}
