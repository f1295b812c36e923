package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/timefmt"
)

func newTokenCmd(g *globals) *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:         "token",
		GroupID:     groupLogin,
		Annotations: annotations("profile refresh-margin", annEnvToken, annSandbox),
		Short:       "Print a valid access token (refreshing it first if needed)",
		Long: `Print only a valid access token and a newline, for scripts and plugins:

  curl -H "Authorization: Bearer $(cozeauth token)" https://api.coze.com/v1/users/me

The token is refreshed first when it expires within the refresh margin (a JWT
app's is minted anew); otherwise no network call is made. With $COZE_API_TOKEN
set (a personal or service access token), that token is printed as it is.

--json prints what an SDK's token callback caches: access_token, token_type,
expires_at (RFC 3339), expires_in (seconds), api_base, profile and app_type
(expiry fields are null for $COZE_API_TOKEN, whose app_type is "static").
--header prints the line "Authorization: Bearer <token>".

A jwt profile's --device-id and --custom-consumer (session_context.device_info)
are saved in the profile; when they change, a token is minted for them.`,
		Example: `  TOKEN=$(cozeauth token) || exit $?     # exit 4: run cozeauth login
  curl -H "$(cozeauth token --header)" https://api.coze.com/v1/users/me
  cozeauth token --json | jq -r .expires_at
  cozeauth token --profile work
  cozeauth token --device-id sensor-42   # a jwt app: a token counted for this device`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runToken(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the token with its expiry, API base, profile and app type as JSON")
	cmd.Flags().BoolVar(&o.asHeader, "header", false, "print \"Authorization: Bearer <token>\", for curl -H")
	g.app.registerSession(cmd.Flags()) // a jwt profile's --device-id, --custom-consumer
	return cmd
}

// tokenOutput is what `token` prints of a token.
type tokenOutput struct {
	access, apiBase, profile, appType string
	expiry                            time.Time // zero: unknown ($COZE_API_TOKEN)
}

func recordOutput(m *auth.Manager, rec *auth.Record) *tokenOutput {
	return &tokenOutput{access: rec.AccessToken, apiBase: m.Config.API(), profile: m.Config.Profile, appType: string(m.Config.AppType()), expiry: rec.Expiry}
}

// tokenJSON is `token --json`: the fields SDK token callbacks cache.
type tokenJSON struct {
	AccessToken string     `json:"access_token"`
	TokenType   string     `json:"token_type"`
	ExpiresAt   *time.Time `json:"expires_at"`
	ExpiresIn   *int64     `json:"expires_in"`
	APIBase     string     `json:"api_base"`
	Profile     string     `json:"profile"`
	AppType     string     `json:"app_type"`
}

func (t *tokenOutput) json(now time.Time) tokenJSON {
	j := tokenJSON{AccessToken: t.access, TokenType: "Bearer", APIBase: t.apiBase, Profile: t.profile, AppType: t.appType}
	if !t.expiry.IsZero() {
		at, in := t.expiry, int64(t.expiry.Sub(now)/time.Second)
		j.ExpiresAt, j.ExpiresIn = &at, &in
	}
	return j
}

func newRefreshCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:         "refresh",
		GroupID:     groupLogin,
		Annotations: annotations("profile"),
		Short:       "Refresh the access token now, whatever its remaining life",
		Example:     `  cozeauth refresh --json | jq -r .access_token_expires_at`,
		Args:        noArgs,
		RunE:        func(cmd *cobra.Command, _ []string) error { return runRefresh(cmd.Context(), g, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the new status as JSON")
	return cmd
}

// runRefresh is `cozeauth refresh`: a refresh now, and what it gave.
func runRefresh(ctx context.Context, g *globals, asJSON bool) error {
	m, err := g.manager()
	if err != nil {
		return err
	}
	done := g.waitingLine("Refreshing the token with Coze…") // waiting.go
	_, err = m.Refresh(ctx)
	done()
	if err != nil {
		return g.notSetUpError(m, err)
	}
	st, err := m.Status()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(g.env.Stdout, st)
	}
	fmt.Fprintf(g.env.Stdout, "Refreshed. Access token %s expires %s (%s).\n", st.AccessToken, st.AccessExpiresAt.Local().Format(time.RFC3339), timefmt.Relative(*st.AccessExpiresAt, g.now()))
	return nil
}

func newLogoutCmd(g *globals) *cobra.Command {
	var o logoutOptions
	cmd := &cobra.Command{
		Use:         "logout",
		GroupID:     groupLogin,
		Annotations: annotations("profile"),
		Short:       "Forget the profile's tokens on this machine",
		Long: `Remove the profile's tokens from the local store. Coze documents no revocation
endpoint, so the tokens stay valid at Coze until they expire (15 minutes for the
access token, 30 days for the refresh token).

A shared profile (--storage etcd://… or postgres://…) is removed from its
shared store: every machine using it is logged out.

--all removes every profile's tokens from this machine (their settings stay;
shared stores keep theirs); it asks first on a terminal, and needs --yes
elsewhere.`,
		Example: `  cozeauth logout --profile work
  cozeauth logout --all --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogout(cmd.Context(), g, o) },
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "forget the tokens of every profile")
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "with --all, do it without asking (needed off a terminal)")
	return cmd
}

// logoutOptions are `cozeauth logout`'s own flags.
type logoutOptions struct{ all, yes bool }

// runLogout is `cozeauth logout`: the profile's tokens (or, with --all,
// every profile's) forgotten here.
func runLogout(ctx context.Context, g *globals, o logoutOptions) error {
	if o.all {
		return runLogoutAll(ctx, g, o.yes) // profileedit.go
	}
	m, err := g.manager()
	if err != nil {
		return err
	}
	had, err := m.Logout(ctx)
	if err != nil {
		return err
	}
	if !had {
		fmt.Fprintf(g.env.Stderr, "Profile %q was not logged in.\n", m.Config.Profile)
		return nil
	}
	where := ""
	if m.Config.IsShared() {
		where = " from the shared store " + auth.RedactStorage(m.Config.Storage) + ", for every machine using it"
	}
	fmt.Fprintf(g.env.Stderr, "Removed the tokens of profile %q%s. Coze has no revocation endpoint: they stay valid at Coze until they expire.\n", m.Config.Profile, where)
	return nil
}

// tokenOptions are `cozeauth token`'s own flags.
type tokenOptions struct{ asJSON, asHeader bool }

// runToken is `cozeauth token`: a valid access token on standard output,
// alone, as JSON or as a header line.
func runToken(ctx context.Context, g *globals, o tokenOptions) error {
	if o.asJSON && o.asHeader {
		return usageError("--json and --header print different things: pick one")
	}
	out := func(tok *tokenOutput) error {
		switch {
		case o.asJSON:
			return writeJSON(g.env.Stdout, tok.json(g.now()))
		case o.asHeader:
			_, err := io.WriteString(g.env.Stdout, "Authorization: Bearer "+tok.access+"\n")
			return err
		}
		_, err := io.WriteString(g.env.Stdout, tok.access+"\n")
		return err
	}
	if tok := g.envToken(); tok != "" {
		_, cfg, err := g.resolved()
		if err != nil {
			return err
		}
		return out(&tokenOutput{access: tok, apiBase: cfg.API(), profile: cfg.Profile, appType: "static"})
	}
	m, err := g.manager()
	if err != nil {
		return err
	}
	rec, changed, err := jwtSessionToken(ctx, m) // session.go
	if !changed {
		rec, err = m.Token(ctx)
	}
	var unsaved *auth.UnsavedError
	if errors.As(err, &unsaved) {
		// The new pair is lost; its access token still works for its 15
		// minutes, so a script can go on meanwhile.
		_ = out(recordOutput(m, unsaved.Record))
		return err
	}
	if err != nil {
		return g.notSetUpError(m, err)
	}
	return out(recordOutput(m, rec))
}
