package auth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// CallbackServer listens on the redirect URI's loopback port for the browser
// to come back with a code. It never listens on anything but loopback.
type CallbackServer struct {
	redirect *url.URL
	path     string
	srvs     []*http.Server
	results  chan callbackHit
	once     sync.Once
	// held is the browser's request that brought the code, kept waiting
	// until [CallbackServer.Answer] says how the login ended: the page must
	// not say "Logged in" before the code exchange worked.
	mu   sync.Mutex
	held chan callbackReply
}

// answerWait bounds how long the browser's page waits for the terminal's
// verdict: the code exchange and the save take seconds, at most a minute.
const answerWait = 90 * time.Second

// BusyPortError means the redirect URI's port is taken by another program.
type BusyPortError struct {
	Port string
	Err  error
}

func (e *BusyPortError) Error() string {
	return fmt.Sprintf("port %s is already in use, so the login callback cannot be received: stop the program using it, or register another redirect URI on the app and pass it with --redirect-uri", e.Port)
}

func (e *BusyPortError) Unwrap() error { return e.Err }

// ListenCallback starts listening for redirectURI on exactly its loopback
// host and port: "localhost" listens on 127.0.0.1 and, where available,
// ::1; no port means port 80, as it does for the browser. Port 0 picks a
// free port, which [CallbackServer.RedirectURI] then names; only a server
// that accepts any port (the sandbox) can use it, since Coze matches
// redirect URIs exactly. The URI itself is never rewritten otherwise.
func ListenCallback(redirectURI string) (*CallbackServer, error) {
	if err := ValidateRedirectURI(redirectURI); err != nil {
		return nil, err
	}
	u, _ := url.Parse(redirectURI)
	port := u.Port()
	if port == "" {
		port = "80"
	}
	hosts := []string{u.Hostname()}
	if strings.EqualFold(u.Hostname(), "localhost") {
		hosts = []string{"127.0.0.1", "::1"}
	}
	cs := &CallbackServer{redirect: u, path: u.EscapedPath(), results: make(chan callbackHit, 8)}
	if cs.path == "" {
		cs.path = "/"
	}
	lns, port, err := listenLoopback(hosts, port)
	if err != nil {
		return nil, err
	}
	if u.Port() == "0" {
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	for _, ln := range lns {
		srv := &http.Server{Handler: http.HandlerFunc(cs.serve), ReadHeaderTimeout: 10 * time.Second}
		cs.srvs = append(cs.srvs, srv)
		go func() { _ = srv.Serve(ln) }()
	}
	return cs, nil
}

// listenLoopback listens on port of each host (all loopback literals), and
// returns the port actually used. Only the first host is required: a
// machine without IPv6 loopback still has 127.0.0.1.
func listenLoopback(hosts []string, port string) ([]net.Listener, string, error) {
	var lns []net.Listener
	for i, h := range hosts {
		if ip, err := netip.ParseAddr(h); err != nil || !ip.IsLoopback() {
			return nil, "", fmt.Errorf("refusing to listen on %q: the login callback is only received on loopback", h)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
		if err != nil {
			if i > 0 && !errors.Is(err, syscall.EADDRINUSE) {
				continue // no IPv6 loopback here: 127.0.0.1 is enough
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, "", listenError(h, port, err)
		}
		if port == "0" { // the other loopback family must use the same port
			_, port, _ = net.SplitHostPort(ln.Addr().String())
		}
		lns = append(lns, ln)
	}
	return lns, port, nil
}

func listenError(host, port string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return &BusyPortError{Port: port, Err: err}
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission):
		return fmt.Errorf("could not listen for the login callback on %s: port %s needs root here; register a redirect URI with another port (like %s) on the app and pass it with --redirect-uri: %w", net.JoinHostPort(host, port), port, DefaultRedirectURI, err)
	}
	return fmt.Errorf("could not listen for the login callback on %s: %w", net.JoinHostPort(host, port), err)
}

// RedirectURI is the redirect URI with the port actually listened on.
func (cs *CallbackServer) RedirectURI() string { return cs.redirect.String() }

func (cs *CallbackServer) serve(w http.ResponseWriter, r *http.Request) {
	if !sameHostPort(r.Host, cs.redirect) {
		// A page elsewhere that resolves its own name to 127.0.0.1 (DNS
		// rebinding) reaches this port with its own Host: never answer it.
		http.Error(w, "this listener only answers its redirect URI's host", http.StatusMisdirectedRequest)
		return
	}
	if r.URL.EscapedPath() != cs.path {
		http.NotFound(w, r)
		return
	}
	reply := make(chan callbackReply, 1)
	select {
	case cs.results <- callbackHit{r.URL.Query(), reply}:
	case <-r.Context().Done():
		return
	}
	select {
	case rep := <-reply:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(rep.status)
		fmt.Fprint(w, resultPage(rep.ok, rep.message))
	case <-r.Context().Done():
	case <-time.After(answerWait):
		http.Error(w, "cozeauth did not say how the login ended: return to the terminal", http.StatusServiceUnavailable)
	}
}

type callbackReply struct {
	status  int
	ok      bool
	message string
}

// callbackHit is one request to the redirect URI, with the channel on which
// the waiting side decides what the browser sees.
type callbackHit struct {
	query url.Values
	reply chan callbackReply
}

// Wait returns the code of the first callback that matches req. Callbacks
// with a wrong or missing state get HTTP 400 and are ignored; one with an
// error parameter ends the wait with a [ConsentError].
func (cs *CallbackServer) Wait(ctx context.Context, req *AuthRequest) (string, error) {
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", fmt.Errorf("timed out waiting for the browser to come back to %s: run the login again, or use --paste/--device on a machine without a browser", cs.RedirectURI())
			}
			return "", ctx.Err()
		case hit := <-cs.results:
			code, err := req.CodeFromQuery(hit.query)
			switch {
			case errors.Is(err, ErrStateMismatch):
				hit.reply <- callbackReply{http.StatusBadRequest, false, "This address does not belong to the login cozeauth is waiting for (state mismatch). Start the login again from the terminal."}
				continue
			case err != nil:
				hit.reply <- callbackReply{http.StatusOK, false, err.Error() + ". Return to the terminal."}
				return "", err
			}
			cs.mu.Lock()
			cs.held = hit.reply // answered once the login has ended
			cs.mu.Unlock()
			return code, nil
		}
	}
}

// Answer tells the browser whose request brought the code how the login
// ended: "Logged in" only when err is nil (the code was exchanged and the
// tokens saved), else the error, to read beside the terminal's. ok says
// what to add on success, such as whom the login is for.
func (cs *CallbackServer) Answer(err error, ok string) {
	cs.mu.Lock()
	held := cs.held
	cs.held = nil
	cs.mu.Unlock()
	if held == nil {
		return
	}
	if err != nil {
		held <- callbackReply{http.StatusOK, false, "Coze sent the authorization back, but the login did not finish: " + coze.Sanitize(err.Error()) + ". Return to the terminal: it says the same and what to do."}
		return
	}
	held <- callbackReply{http.StatusOK, true, "cozeauth saved the login" + ok + ". You can close this tab and return to the terminal."}
}

// Close stops listening. A browser still waiting to hear how the login
// ended is told that it was stopped.
func (cs *CallbackServer) Close() error {
	cs.Answer(errors.New("the login was stopped in the terminal before it finished"), "")
	cs.once.Do(func() {
		for _, s := range cs.srvs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = s.Shutdown(ctx)
			cancel()
		}
	})
	return nil
}

func resultPage(ok bool, msg string) string {
	title, color := "Login failed", "#b3261e"
	if ok {
		title, color = "Logged in", "#1b7f3b"
	}
	return `<!doctype html><html><head><meta charset="utf-8"><title>cozeauth: ` + title + `</title></head>` +
		`<body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1 style="color:` + color + `">` + title +
		`</h1><p>` + html.EscapeString(msg) + `</p></body></html>`
}

// sameHostPort reports whether a request's Host header names the redirect
// URI's own host and port (port 80 when the URI has none, as the browser
// sends it).
func sameHostPort(host string, redirect *url.URL) bool {
	h, p, err := net.SplitHostPort(host)
	if err != nil { // no port in the header: the default one
		h, p = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	want := redirect.Port()
	if want == "" {
		want = "80"
	}
	return p == want && strings.EqualFold(h, redirect.Hostname())
}
