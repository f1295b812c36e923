package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/auth"
)

func newLoginCmd(g *globals) *cobra.Command {
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to a Coze OAuth app in the browser (PKCE or web app)",
		Long: `Log in to a Coze OAuth app. cozeauth listens on the redirect URI (loopback only),
opens the authorize page in your browser, and stores the tokens it gets back.

A client secret (--client-secret or $COZE_CLIENT_SECRET) means a web app;
without one, the app is a PKCE app. The redirect URI must be registered on the app.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := g.manager()
			if err != nil {
				return err
			}
			if m.Config.ClientID == "" {
				return usageError("no client id: pass --client-id (or set $COZE_CLIENT_ID) with your OAuth app's id from the Coze console")
			}
			if warn, _ := auth.ValidateClientID(m.Config.ClientID); warn != "" {
				fmt.Fprintln(g.env.Stderr, "note: "+warn)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			flow, err := m.BeginLogin(true)
			if err != nil {
				return err
			}
			defer flow.Close()
			fmt.Fprintf(g.env.Stderr, "Open this address to authorize cozeauth (waiting up to %s):\n\n  %s\n\n", timeout, flow.URL())
			if !noBrowser {
				if err := (auth.SystemBrowser{Env: g.getenv("BROWSER")}).Open(flow.URL()); err != nil {
					fmt.Fprintf(g.env.Stderr, "note: %v; open the address above yourself\n", err)
				}
			}
			code, err := flow.Wait(ctx)
			if err != nil {
				return err
			}
			res, err := flow.Finish(ctx, code)
			if err != nil {
				return err
			}
			reportLogin(g.env.Stderr, m, res, g.now())
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the address but do not open a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the browser to come back")
	return cmd
}

func reportLogin(w io.Writer, m *auth.Manager, res *auth.LoginResult, now time.Time) {
	if res.MovedAside != "" {
		fmt.Fprintf(w, "note: the unreadable token store was moved to %s\n", res.MovedAside)
	}
	who := "logged in"
	if res.Record.User != nil {
		who += " as " + res.Record.User.Display()
	} else if res.UserErr != nil {
		fmt.Fprintf(w, "note: could not look up the user: %v\n", res.UserErr)
	}
	fmt.Fprintf(w, "%s %s (profile %q, %s app %s).\n", capitalize(who), "to "+m.Config.API(), m.Config.Profile, m.Config.AppType(), m.Config.ClientID)
	fmt.Fprintf(w, "Access token expires %s (%s); it is refreshed automatically until %s.\n",
		res.Record.Expiry.Local().Format(time.RFC3339), relative(res.Record.Expiry, now), res.Record.RefreshExpiry.Local().Format("2006-01-02"))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// relative says "in 14m59s" or "3m ago", to the second.
func relative(t, now time.Time) string {
	d := t.Sub(now).Round(time.Second)
	switch {
	case d > 48*time.Hour:
		return fmt.Sprintf("in %d days", int(d.Hours()/24))
	case d >= 0:
		return "in " + d.String()
	case d < -48*time.Hour:
		return fmt.Sprintf("%d days ago", int(-d.Hours()/24))
	}
	return (-d).String() + " ago"
}
