package auth

import (
	"cmp"
	"slices"
)

// DefaultProfile is the profile commands use when neither --profile nor
// $COZE_PROFILE names one: the one [Locked.SetDefault] saved, else
// "default".
func (s *Store) DefaultProfile() (string, error) {
	doc, err := s.readSettings()
	if err != nil {
		return "", err
	}
	return doc.defaultProfile(), nil
}

// defaultProfile is the profile doc names as the default, else "default".
func (doc *settingsDoc) defaultProfile() string { return cmp.Or(doc.Default, "default") }

// SetDefault saves profile as the one commands use when none is named
// (`cozeauth use NAME`); "" or "default" goes back to "default".
func (l *Locked) SetDefault(profile string) error {
	return l.updateSettings(func(doc *settingsDoc) {
		doc.Default = profile
		if profile == "default" {
			doc.Default = ""
		}
	})
}

// Forget removes the profile: its tokens (and keyring entry) first, then its
// settings, and the saved default when it names it. Other profiles stay as
// they are.
func (l *Locked) Forget(profile string) error {
	if err := l.Delete(profile); err != nil {
		return err
	}
	return l.updateSettings(func(doc *settingsDoc) {
		delete(doc.Profiles, profile)
		if doc.Default == profile {
			doc.Default = ""
		}
	})
}

// LoggedInProfiles lists the profiles with tokens stored, sorted.
func (l *Locked) LoggedInProfiles() ([]string, error) {
	f, err := l.s.readTokens()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(f.Profiles))
	for p := range f.Profiles {
		names = append(names, p)
	}
	slices.Sort(names)
	return names, nil
}

// updateSettings changes the settings file under the lock, in one atomic
// write.
func (l *Locked) updateSettings(change func(*settingsDoc)) error {
	if err := l.s.ensureDir(); err != nil {
		return err
	}
	doc, err := l.s.readSettings()
	if err != nil {
		return err
	}
	change(doc)
	return writeJSON(l.s.SettingsPath(), doc)
}
