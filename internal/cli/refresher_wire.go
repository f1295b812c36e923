package cli

import (
	"context"
	"errors"
	"net"

	"github.com/cozeauth/cozeauth/auth"
)

// refreshRequest is what a command sends its refresher: everything the
// refresher's Manager needs to be the command's, and the renewal to run.
// It goes through a pipe only the two processes hold, never argv or the
// environment: it carries the secrets the renewal needs.
type refreshRequest struct {
	Config     auth.Config  `json:"config"`
	Dir        string       `json:"dir"`
	RescueDirs []string     `json:"rescue_dirs,omitempty"`
	UserAgent  string       `json:"user_agent,omitempty"`
	Renewal    auth.Renewal `json:"renewal"`
}

// refreshOutcome is the refresher's answer: what [auth.Manager.RenewHere]
// returned, and the warnings it gave on the way.
type refreshOutcome struct {
	Record   *auth.Record `json:"record,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	Error    *wireError   `json:"error,omitempty"`
}

func (o *refreshOutcome) result() (*auth.Record, error) {
	if o.Error == nil {
		return o.Record, nil
	}
	return o.Record, o.Error.err()
}

// wireError is an error as the refresher sends it: its text, and what the
// commands tell apart — the exit code (login required, another issuer,
// and any other kind of error that has one), `token` printing an access
// token that could not be saved, and `status --check` calling a timeout or
// a network failure unreachable.
type wireError struct {
	Message       string                    `json:"message"`
	Code          int                       `json:"exit_code"`
	LoginRequired *wireLoginRequired        `json:"login_required,omitempty"`
	Mismatch      *auth.IssuerMismatchError `json:"issuer_mismatch,omitempty"`
	Unsaved       *wireUnsaved              `json:"unsaved,omitempty"`
	Timeout       bool                      `json:"timeout,omitempty"`
	Network       bool                      `json:"network,omitempty"`
}

type wireLoginRequired struct {
	Profile string `json:"profile"`
	Reason  string `json:"reason,omitempty"`
	Err     string `json:"err,omitempty"`
}

type wireUnsaved struct {
	Record    *auth.Record `json:"record"`
	Dir       string       `json:"dir"`
	Err       string       `json:"err,omitempty"`
	RescueErr string       `json:"rescue_err,omitempty"`
}

// wireErrorOf describes err for the caller; nil for nil.
func wireErrorOf(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Message: err.Error(), Code: exitCode(err)}
	var (
		unsaved  *auth.UnsavedError
		mismatch *auth.IssuerMismatchError
		login    *auth.LoginRequiredError
		ne       net.Error
	)
	switch {
	case errors.As(err, &unsaved):
		w.Unsaved = &wireUnsaved{Record: unsaved.Record, Dir: unsaved.Dir, Err: errText(unsaved.Err), RescueErr: errText(unsaved.RescueErr)}
	case errors.As(err, &mismatch):
		w.Mismatch = mismatch
	case errors.As(err, &login):
		w.LoginRequired = &wireLoginRequired{Profile: login.Profile, Reason: login.Reason, Err: errText(login.Err)}
	}
	w.Network = errors.As(err, &ne)
	w.Timeout = errors.Is(err, context.DeadlineExceeded) || w.Network && ne.Timeout()
	return w
}

// err rebuilds the error: its text is the refresher's, word for word, and
// it is (errors.As, errors.Is) what the original was to the commands.
func (w *wireError) err() error {
	var typed error
	switch {
	case w.Unsaved != nil:
		typed = &auth.UnsavedError{Record: w.Unsaved.Record, Dir: w.Unsaved.Dir, Err: textErr(w.Unsaved.Err), RescueErr: textErr(w.Unsaved.RescueErr)}
	case w.Mismatch != nil:
		typed = w.Mismatch
	case w.LoginRequired != nil:
		typed = &auth.LoginRequiredError{Profile: w.LoginRequired.Profile, Reason: w.LoginRequired.Reason, Err: textErr(w.LoginRequired.Err)}
	}
	var err error
	switch re := (remoteError{msg: w.Message, typed: typed, timeout: w.Timeout}); {
	case typed != nil && typed.Error() == w.Message && !w.Timeout && !w.Network:
		err = typed
	case w.Network:
		err = remoteNetError{re}
	default:
		err = re
	}
	if w.Code != 0 && exitCode(err) != w.Code { // a kind of error not rebuilt here
		return &ExitError{Code: w.Code, Err: err}
	}
	return err
}

// remoteError is an error the refresher met, as it said it.
type remoteError struct {
	msg     string
	typed   error
	timeout bool
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.typed }
func (e remoteError) Is(target error) bool {
	return e.timeout && target == context.DeadlineExceeded
}

// remoteNetError is a network failure the refresher met: a [net.Error].
type remoteNetError struct{ remoteError }

func (e remoteNetError) Timeout() bool   { return e.timeout }
func (e remoteNetError) Temporary() bool { return false }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func textErr(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}
