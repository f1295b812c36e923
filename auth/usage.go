package auth

// UsageError is a failure only a change to the command line, the
// environment, the app's registration or the config directory can fix: a
// setting that cannot be used (a wrong region, a base that is not an
// http(s) URL, an unknown storage), a flow the app type does not allow, a
// redirect URI cozeauth cannot use, a config file missing a field, a config
// directory another user could have written. No retry helps; the CLI exits 2 on it.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }
