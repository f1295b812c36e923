package probe

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/textfmt"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

// WriteText writes the report as a table for people: a heading per group
// (and region), a row per target, the verdict, and the hints of what
// failed. Every line fits width: the table's rows are cut (with …), the
// summary and the hints wrap between words. A width of 0 (no terminal, no
// $COLUMNS) keeps rows whole and wraps the prose at 80. colour uses the 16
// basic colours, which every colour terminal has.
func (r Report) WriteText(w io.Writer, width int, colour bool) error {
	s := newTextStyles(colour)
	var summary, b strings.Builder
	if err := reportTable(r, s).Render(&b, width); err != nil {
		return err
	}
	prose := cmp.Or(width, textfmt.DefaultWidth)
	b.WriteString("\n")
	writeSummary(&summary, r, s)
	for _, line := range strings.Split(strings.TrimSuffix(summary.String(), "\n"), "\n") {
		b.WriteString(textfmt.HangWords(line, prose, "          ")) // under the text after "Verdict:  "
	}
	hints := reportHints(r)
	if other := otherRegionAdvice(r); other != "" {
		hints = append(hints, reportHint{where: "the other region", hint: other})
	}
	if len(hints) > 0 {
		b.WriteString("\nHints:\n")
		for _, h := range hints {
			head := "  " + h.where
			switch {
			case h.n > 0:
				head += fmt.Sprintf(" (%s; %s)", plural(h.n, "target"), strings.Join(h.classes, ", "))
			case len(h.classes) > 0:
				head += " (" + strings.Join(h.classes, ", ") + ")"
			}
			b.WriteString(textfmt.HangWords(head, prose, "    "))
			for _, line := range strings.Split(strings.TrimSuffix(textfmt.WrapWords(h.hint, prose-4, ""), "\n"), "\n") {
				b.WriteString("    " + s.Faint(line) + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RegionOfBase names the region whose API base is base, or "" for another host.
func RegionOfBase(base string) coze.Region {
	for _, r := range []coze.Region{coze.RegionCOM, coze.RegionCN} {
		if strings.TrimRight(base, "/") == r.APIBase() {
			return r
		}
	}
	return ""
}

// textStyles colour the probe table; without colour each is the identity.
type textStyles struct {
	OK, Warn, Bad, Faint, Bold func(string) string
}

// newTextStyles uses the 16 basic colours, which every colour terminal
// has, rather than adaptive ones that would query the terminal first.
func newTextStyles(color bool) textStyles {
	if !color {
		id := func(s string) string { return s }
		return textStyles{id, id, id, id, id}
	}
	render := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
	return textStyles{
		OK:    render(lipgloss.NewStyle().Foreground(lipgloss.Green)),
		Warn:  render(lipgloss.NewStyle().Foreground(lipgloss.Yellow)),
		Bad:   render(lipgloss.NewStyle().Foreground(lipgloss.Red)),
		Faint: render(lipgloss.NewStyle().Faint(true)),
		Bold:  render(lipgloss.NewStyle().Bold(true)),
	}
}

func (s textStyles) class(c Class) func(string) string {
	switch {
	case c == ClassServerError || c == ClassCanceled:
		return s.Warn
	case c.Answered():
		return s.OK
	}
	return s.Bad
}

func (s textStyles) verdict(v Verdict) func(string) string {
	switch v {
	case VerdictReachable:
		return s.OK
	case VerdictPartial, VerdictDegraded:
		return s.Warn
	}
	return s.Bad
}

// reportTable is the report as a table: a row per target, with a heading line
// whenever the group (or region) changes. Results without a group (a
// report built by hand) get no headings.
func reportTable(rep Report, s textStyles) *textfmt.Table {
	grouped := slices.ContainsFunc(rep.Targets, func(r Result) bool { return r.Group != "" })
	pad := ""
	if grouped {
		pad = "  "
	}
	// At 80 columns the detail is cut to 24 first; narrower, the time is
	// left out before the detail is cut further.
	t := &textfmt.Table{
		Header: []string{s.Bold("TARGET"), s.Bold("STATUS"), s.Bold("CLASS"), s.Bold("TIME"), s.Bold("DETAIL")},
		Min:    map[int]int{1: len("STATUS"), 2: len("connect_timeout"), 3: 8},
		Soft:   map[int]int{4: 24},
		Drop:   []int{3},
		Shrink: []int{4, 0},
	}
	heading := ""
	for _, r := range rep.Targets {
		if h := r.Heading(); grouped && h != heading {
			heading = h
			t.Heading(s.Bold(h))
		}
		status := "-"
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		t.Add(pad+r.Name, status, s.class(r.Class)(string(r.Class)), timefmt.Millis(r.Timings.Total), resultDetail(r, s))
	}
	return t
}

// writeSummary writes the verdict and what else the report found: the
// regions and the one to use, the proxy, the clock, the time it took.
func writeSummary(b *strings.Builder, rep Report, s textStyles) {
	answered, n := rep.Answered(), len(rep.Targets)
	if hosts := probedHosts(rep); len(hosts) > 0 {
		fmt.Fprintf(b, "Probed:   %s\n", strings.Join(hosts, ", "))
	}
	var why string
	switch rep.Verdict {
	case VerdictReachable:
		why = fmt.Sprintf("all %d targets answered over HTTP: nothing blocks the path to these hosts", n)
	case VerdictDegraded:
		why = fmt.Sprintf("all %d targets answered over HTTP, but an API or OAuth target answered 5xx: Coze or something in the path fails", n)
	case VerdictPartial:
		why = fmt.Sprintf("%d of %d targets answered; the others failed below HTTP or were answered by something else", answered, n)
	default:
		why = fmt.Sprintf("none of the %d targets answered over HTTP", n)
	}
	fmt.Fprintf(b, "Verdict:  %s — %s\n", s.verdict(rep.Verdict)(string(rep.Verdict)), why)
	if len(rep.Regions) > 0 {
		var parts []string
		for _, rv := range rep.Regions {
			parts = append(parts, fmt.Sprintf("%s %s (%d of %d answered)", rv.Host, s.verdict(rv.Verdict)(string(rv.Verdict)), rv.Answered, rv.Total))
		}
		fmt.Fprintf(b, "Regions:  %s\n", strings.Join(parts, ", "))
		fmt.Fprintf(b, "Advice:   %s\n", rep.Recommendation)
	}
	proxy := rep.Proxy
	if proxy == "" {
		proxy = "none (direct)"
	}
	fmt.Fprintf(b, "Proxy:    %s\n", proxy)
	for i, line := range resolvedLines(rep) {
		label := "          "
		if i == 0 {
			label = "Resolved: "
		}
		b.WriteString(label + line + "\n")
	}
	if rep.SkewNotable() {
		fmt.Fprintf(b, "Clock:    %s\n", s.Warn(skewText(rep.Skew)))
	}
	fmt.Fprintf(b, "Duration: %s\n", timefmt.Millis(rep.Duration))
}

// resolvedLines say, once per host name, what it resolved to and which IP
// family connected: "api.coze.com → 1.2.3.4, 2001:db8::1 (ipv4 connected)".
// IP literals and hosts reached through a proxy resolve nothing here.
func resolvedLines(rep Report) []string {
	type host struct {
		addrs  []string
		family string
	}
	var order []string
	hosts := map[string]*host{}
	for _, r := range rep.Targets {
		u, err := url.Parse(r.URL)
		if err != nil || len(r.Resolved) == 0 {
			continue
		}
		h, ok := hosts[u.Hostname()]
		if !ok {
			h = &host{addrs: r.Resolved}
			hosts[u.Hostname()] = h
			order = append(order, u.Hostname())
		}
		if h.family == "" {
			h.family = r.Family
		}
	}
	var lines []string
	for _, name := range order {
		h := hosts[name]
		line := name + " → " + strings.Join(h.addrs, ", ")
		if h.family != "" {
			line += " (" + h.family + " connected)"
		} else {
			line += " (no connection)"
		}
		lines = append(lines, line)
	}
	return lines
}

// skewText explains a clock skew: Coze stamps tokens with its own clock.
func skewText(d time.Duration) string {
	if d > 0 {
		return fmt.Sprintf("this machine's clock is %s behind Coze's: tokens expire earlier than it expects; sync the clock (NTP)", d.Round(time.Second))
	}
	return fmt.Sprintf("this machine's clock is %s ahead of Coze's: tokens seem to expire early and are refreshed too soon; sync the clock (NTP)", (-d).Round(time.Second))
}

// resultDetail is the last column: who the token belongs to, Coze's error,
// or what went wrong, then the target's label.
func resultDetail(r Result, s textStyles) string {
	var d string
	switch {
	case r.User != "":
		d = "token of " + r.User
	case r.Class.Answered() && r.CozeCode != nil && *r.CozeCode != 0:
		d = strings.TrimSuffix(fmt.Sprintf("code %d: %s", *r.CozeCode, r.CozeMsg), ": ")
	case r.Class.Answered() && r.CozeCode == nil && r.CozeMsg != "":
		d = r.CozeMsg
	case !r.Class.Answered():
		d = r.Error
	}
	if r.FamilyNote != "" {
		d = strings.TrimPrefix(d+"; "+r.FamilyNote, "; ")
	}
	if r.Label == "" {
		return d
	}
	if d == "" {
		return s.Faint(r.Label)
	}
	return d + " " + s.Faint("· "+r.Label)
}

type reportHint struct {
	where   string // the groups (and regions) it is for, or the targets'
	n       int    // how many targets, when where names groups
	classes []string
	hint    string
}

// reportHints lists each distinct hint once, with the groups of the targets
// it is for: one line per cause, not one name per target.
func reportHints(rep Report) []reportHint {
	var hs []reportHint
	type seen struct {
		regions []string
		groups  map[string][]string // by region
	}
	var where []seen
	idx := map[string]int{}
	for _, r := range rep.Targets {
		if r.Hint == "" {
			continue
		}
		i, ok := idx[r.Hint]
		if !ok {
			i = len(hs)
			idx[r.Hint] = i
			hs = append(hs, reportHint{hint: r.Hint})
			where = append(where, seen{groups: map[string][]string{}})
		}
		h, w := &hs[i], &where[i]
		h.n++
		if !slices.Contains(h.classes, string(r.Class)) {
			h.classes = append(h.classes, string(r.Class))
		}
		label := cmp.Or(string(r.Group), r.Name) // a report built by hand has no groups
		if !slices.Contains(w.regions, r.Region) {
			w.regions = append(w.regions, r.Region)
		}
		if !slices.Contains(w.groups[r.Region], label) {
			w.groups[r.Region] = append(w.groups[r.Region], label)
		}
	}
	for i := range hs {
		hs[i].where = hintWhere(where[i].regions, where[i].groups)
	}
	if !slices.ContainsFunc(rep.Targets, func(r Result) bool { return r.Group != "" }) {
		for i := range hs {
			hs[i].n = 0 // where names each target already
		}
	}
	return hs
}

// hintWhere says which groups a hint is for, in each region when a report
// covers several ("api, oauth in coze.com and coze.cn").
func hintWhere(regions []string, groups map[string][]string) string {
	if len(regions) == 1 && regions[0] == "" {
		return strings.Join(groups[""], ", ")
	}
	same := true
	for _, r := range regions[1:] {
		same = same && slices.Equal(groups[r], groups[regions[0]])
	}
	hosts := make([]string, len(regions))
	for i, r := range regions {
		hosts[i] = RegionHost(r)
	}
	if same {
		return strings.Join(groups[regions[0]], ", ") + " in " + strings.Join(hosts, " and ")
	}
	parts := make([]string, len(regions))
	for i, r := range regions {
		parts[i] = hosts[i] + ": " + strings.Join(groups[r], ", ")
	}
	return strings.Join(parts, "; ")
}

// otherRegionAdvice suggests the other region when one of Coze's regions
// was probed alone and something failed below HTTP there; "" when both
// were probed (--region all says which to use) or the hosts are not Coze's.
func otherRegionAdvice(rep Report) string {
	if len(rep.Regions) > 0 || rep.Verdict == VerdictReachable || rep.Verdict == VerdictDegraded {
		return ""
	}
	blocked := slices.ContainsFunc(rep.Targets, func(r Result) bool {
		return !r.Class.Answered() && r.Class != ClassNoNetwork && r.Class != ClassCanceled
	})
	if !blocked {
		return ""
	}
	switch RegionOfBase(probedAPIBase(rep)) {
	case coze.RegionCOM:
		return "from mainland China coze.com is often blocked while coze.cn is not: a coze.cn app needs --region cn; `cozeauth probe --region all` probes both"
	case coze.RegionCN:
		return "coze.cn serves mainland China; from elsewhere coze.com (--region com) may be the one that answers: `cozeauth probe --region all` probes both"
	}
	return ""
}

// probedAPIBase is the scheme and host of the report's first API target.
func probedAPIBase(rep Report) string {
	for _, r := range rep.Targets {
		if u, err := url.Parse(r.URL); err == nil && strings.HasPrefix(u.Host, "api.") {
			return u.Scheme + "://" + u.Host
		}
	}
	return ""
}

// probedHosts are the hosts the report's targets went to, in order.
func probedHosts(rep Report) []string {
	var hosts []string
	for _, r := range rep.Targets {
		if u, err := url.Parse(r.URL); err == nil && u.Host != "" && !slices.Contains(hosts, u.Host) {
			hosts = append(hosts, u.Host)
		}
	}
	return hosts
}

// plural is "1 target", "18 targets".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
