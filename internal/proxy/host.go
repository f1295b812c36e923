package proxy

import (
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// AllowedHosts are the Host headers a proxy listening on addr answers: addr
// itself, and localhost and 127.0.0.1 (or [::1]) with its port. Anything
// else is a page on some other name that a DNS rebinding pointed here.
func AllowedHosts(addr net.Addr, asGiven string) []string {
	hosts := []string{}
	if asGiven != "" {
		hosts = append(hosts, asGiven)
	}
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return hosts
	}
	hosts = append(hosts, addr.String(), net.JoinHostPort("localhost", port), net.JoinHostPort("127.0.0.1", port))
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.To4() == nil {
		hosts = append(hosts, net.JoinHostPort("::1", port))
	}
	var unique []string
	for _, h := range hosts {
		if !slices.Contains(unique, h) {
			unique = append(unique, h)
		}
	}
	return unique
}

// RequireHost passes on only the requests whose Host is one of hosts
// (compared without regard to case); any other gets 403 and nothing is
// forwarded. A browser page on a name that resolves to 127.0.0.1 (DNS
// rebinding) sends its own name as Host, so it cannot use the proxy even
// if it learnt the key.
func RequireHost(hosts []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, h := range hosts {
			if strings.EqualFold(r.Host, h) {
				next.ServeHTTP(w, r)
				return
			}
		}
		writeError(w, http.StatusForbidden, coze.CodeNoPermission, "this proxy answers only to Host "+strings.Join(hosts, ", ")+": point the client at one of them")
	})
}
