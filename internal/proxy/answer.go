package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/coze"
)

// Header marks every answer that went through the proxy, Coze's and its own.
const Header = "X-Cozeauth-Proxy"

// msgPrefix starts the msg of every answer of the proxy's own, so that no
// one takes it for Coze's.
const msgPrefix = "cozeauth proxy: "

// writeError answers in Coze's error shape, {"code":…,"msg":…}, which
// every SDK reads and shows.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}{code, msgPrefix + msg})
}

// tokenFailure answers a request the proxy could get no token for: 503
// when only a new login helps (what `cozeauth token` exits 4 for), 504
// when Coze did not answer the refresh in time, 502 otherwise.
func tokenFailure(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil:
		return // the client went away; nobody to answer
	case auth.IsLoginRequired(err):
		writeError(w, http.StatusServiceUnavailable, coze.CodeAuthInvalid, err.Error()+" (login required: `cozeauth token` exits 4 for this); then retry")
	case isTimeout(err):
		writeError(w, http.StatusGatewayTimeout, 5000, "the token refresh timed out: "+err.Error()+"; retry shortly")
	default:
		writeError(w, http.StatusBadGateway, 5000, "could not renew the access token: "+err.Error()+"; retry shortly, and run `cozeauth probe` if it persists")
	}
}

// upstreamFailure answers a request Coze could not be reached for.
func upstreamFailure(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case r.Context().Err() != nil:
		return
	case isTimeout(err):
		writeError(w, http.StatusGatewayTimeout, 5000, "coze did not answer in time: "+err.Error()+"; retry shortly, and run `cozeauth probe` if it persists")
	default:
		writeError(w, http.StatusBadGateway, 5000, "could not reach coze: "+err.Error()+"; check the network, or run `cozeauth probe`")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
