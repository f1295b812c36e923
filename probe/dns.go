package probe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Resolver looks up a host's addresses; *net.Resolver is the real one.
// Tests pass their own to play a resolver that lies.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// dialFunc is http.Transport's DialContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// dialer resolves with the prober's resolver and connects to the addresses
// of each IP family at once, noting what the resolver said and how each
// family fared, so that a report can tell DNS that lies and an IPv6 path
// that is broken from a blocked host.
type dialer struct {
	resolver Resolver
	inner    dialFunc
	rec      *recorder
	// host is the target's host name: what it resolved to is recorded,
	// while a proxy's name (dialled instead through a proxy) is not.
	host string
	// timeout is the target's. Twice it bounds every dial, including those
	// of the losing family that go on after the request (the transport may
	// dial with a context that outlives the request), while the request's
	// own deadline, which comes first, still names the phase it ended in.
	timeout time.Duration
}

// familyOf names an address's IP family.
func familyOf(ip netip.Addr) string {
	if ip.Unmap().Is4() {
		return "ipv4"
	}
	return "ipv6"
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*d.timeout)
	conn, err := d.dialWithin(ctx, network, addr)
	if err != nil {
		cancel()
		return nil, err
	}
	// The losing family's dials may still be going: they end at the
	// deadline, which releases the context. A connection already made does
	// not depend on it.
	context.AfterFunc(ctx, cancel)
	return conn, nil
}

func (d *dialer) dialWithin(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return d.inner(ctx, network, addr)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		c, err := d.inner(ctx, network, addr)
		if host == d.host {
			d.rec.familyDone(familyOf(ip), err)
		}
		return c, err
	}
	d.rec.dnsBegin(time.Now())
	ips, err := d.resolver.LookupIPAddr(ctx, host)
	d.rec.dnsEnd(time.Now())
	if err != nil {
		var de *net.DNSError
		if !errors.As(err, &de) && ctx.Err() == nil {
			err = &net.DNSError{Err: err.Error(), Name: host}
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	byFamily := splitFamilies(ips, network)
	if host == d.host {
		d.rec.resolvedTo(ips)
	}
	if len(byFamily) == 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no addresses for " + network, Name: host, IsNotFound: true}}
	}
	return d.race(ctx, network, port, byFamily, host == d.host)
}

// splitFamilies groups addresses by family in the resolver's order,
// keeping only those network allows ("tcp4", "tcp6" or "tcp").
func splitFamilies(ips []net.IPAddr, network string) [][]netip.Addr {
	var order []string
	by := map[string][]netip.Addr{}
	for _, a := range ips {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		f := familyOf(ip)
		if (network == "tcp4" && f != "ipv4") || (network == "tcp6" && f != "ipv6") {
			continue
		}
		if _, seen := by[f]; !seen {
			order = append(order, f)
		}
		by[f] = append(by[f], ip)
	}
	out := make([][]netip.Addr, 0, len(order))
	for _, f := range order {
		out = append(out, by[f])
	}
	return out
}

type dialed struct {
	conn net.Conn
	err  error
}

// race connects to each family's addresses at once and returns the first
// connection; the others go on in the background until they end or ctx
// does, so the report learns whether the other family works too.
func (d *dialer) race(ctx context.Context, network, port string, families [][]netip.Addr, record bool) (net.Conn, error) {
	results := make(chan dialed, len(families))
	for _, addrs := range families {
		if record {
			d.rec.raceStarted()
		}
		go func() {
			c, err := d.dialFamily(ctx, network, port, addrs)
			if record {
				d.rec.familyDone(familyOf(addrs[0]), err)
				d.rec.raceEnded()
			}
			results <- dialed{c, err}
		}()
	}
	var first error
	for range families {
		r := <-results
		if r.err == nil {
			go closeLosers(results, len(families)-1)
			return r.conn, nil
		}
		if first == nil {
			first = r.err
		}
	}
	return nil, first
}

// closeLosers closes connections that complete after another won.
func closeLosers(results <-chan dialed, n int) {
	for range n {
		if r := <-results; r.conn != nil {
			_ = r.conn.Close()
		}
	}
}

// dialFamily tries one family's addresses in turn.
func (d *dialer) dialFamily(ctx context.Context, network, port string, addrs []netip.Addr) (net.Conn, error) {
	var err error
	for _, ip := range addrs {
		var c net.Conn
		if c, err = d.inner(ctx, network, net.JoinHostPort(ip.String(), port)); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// notCoze are address ranges a Coze host name never resolves to: this
// network, loopback, private (RFC 1918), shared (CGNAT), the benchmark range
// proxy clients hand out as fake IPs, link-local, and IPv6 ULA, loopback
// and unspecified.
var notCoze = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("::/128"),
}

// fakeIPRange is where proxy clients in fake-IP mode answer from.
var fakeIPRange = netip.MustParsePrefix("198.18.0.0/15")

// cannotBeCoze reports whether an address is one no public host has.
func cannotBeCoze(s string) bool {
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	for _, p := range notCoze {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// suspectAddrs lists the addresses host resolved to that cannot be Coze's,
// or nil when host is an IP literal or a local name, for which any address
// is what the user asked for.
func suspectAddrs(host string, resolved []string) []string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(h); err == nil || h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return nil
	}
	var bad []string
	for _, a := range resolved {
		if cannotBeCoze(a) {
			bad = append(bad, a)
		}
	}
	return bad
}

// anyFakeIP reports whether one of addrs is in a proxy client's fake-IP range.
func anyFakeIP(addrs []string) bool {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && fakeIPRange.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// familyNote says when one IP family failed while the other connected.
func familyNote(families map[string]string, connected string) string {
	if connected == "" {
		return ""
	}
	other := "ipv6"
	if connected == "ipv6" {
		other = "ipv4"
	}
	errText, failed := families[other]
	if !failed || errText == "" {
		return ""
	}
	name := map[string]string{"ipv4": "IPv4", "ipv6": "IPv6"}
	return name[other] + " fails here while " + name[connected] + " works (" + errText + "): programs that try " + name[other] + " first may stall or fail"
}
