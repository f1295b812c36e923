package ui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/cozeauth/cozeauth/auth"
	"github.com/cozeauth/cozeauth/internal/input"
	"github.com/cozeauth/cozeauth/internal/oauthconfig"
)

// A JWT (service) app needs no consent: its first token is minted from the
// form, and the wizard goes straight on to the probe and the dashboard.

// jwtLoginFailedMsg: the JWT app's first token could not be minted;
// keyFile says the private key file typed on the form could not be read.
type jwtLoginFailedMsg struct {
	gen     int
	err     error
	keyFile bool
}

// configImportedMsg: the console's config file was read; its fields fill
// the form. configImportFailedMsg: it could not be.
type configImportedMsg struct {
	path     string
	config   *oauthconfig.Config
	warnings []string
}

type configImportFailedMsg struct{ err error }

// startJWT mints the first token of a JWT app with cfg.
func (m Model) startJWT(cfg auth.Config) (Model, tea.Cmd) {
	m.cfg = cfg
	m.gen++
	m.form.minting = true
	m.form.notice = "Signing a JWT and asking Coze for a token…"
	return m, jwtLoginCmd(m.d, m.gen, cfg)
}

func jwtLoginCmd(d Deps, gen int, cfg auth.Config) tea.Cmd {
	return func() tea.Msg {
		if path := cfg.JWT.PrivateKeyFile; path != "" && cfg.PrivateKeyPEM == "" {
			// Said here in the form's terms: the manager's own error names
			// the command-line flags that would fix it.
			if _, err := input.ReadFile(path); err != nil {
				return jwtLoginFailedMsg{gen: gen, keyFile: true, err: fmt.Errorf(
					"the private key file cannot be read (%v): correct the Private key field (the path of private_key.pem; ~/ is your home directory) and press Enter", err)}
			}
		}
		mgr := d.Manager(cfg)
		ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
		defer cancel()
		res, err := mgr.LoginJWT(ctx)
		if err != nil {
			return jwtLoginFailedMsg{gen: gen, err: err}
		}
		return loginFinishedMsg{gen: gen, result: res, status: savedStatus(mgr, res.Record), now: d.Now()}
	}
}

// importConfigCmd reads and checks a coze_oauth_config.json.
func importConfigCmd(path string) tea.Cmd {
	return func() tea.Msg {
		data, err := input.ReadFile(path)
		if err != nil {
			return configImportFailedMsg{fmt.Errorf("could not read it: %w", err)}
		}
		c, warnings, err := oauthconfig.Parse(path, data)
		if err != nil {
			return configImportFailedMsg{err}
		}
		return configImportedMsg{path: path, config: c, warnings: warnings}
	}
}
