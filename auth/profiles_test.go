package auth

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The saved default survives other profiles' settings being saved, goes
// with the profile Forget removes, and Resolve uses it when no profile is
// named; Forget removes tokens and settings of one profile alone.
func TestDefaultProfileAndForget(t *testing.T) {
	s := NewStore(t.TempDir())
	ctx := context.Background()
	tok := Token{AccessToken: "czu_a", RefreshToken: "r_a", Expiry: time.Now().Add(time.Hour)}
	for _, p := range []string{"a", "b"} {
		if err := s.SaveSettings(p, Settings{ClientID: "1.app.coze"}); err != nil {
			t.Fatal(err)
		}
		l, err := s.Lock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = l.Save(p, &Record{Token: tok})
		l.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.DefaultProfile(); got != "default" {
		t.Errorf("no default saved: %q", got)
	}
	l, _ := s.Lock(ctx)
	err := l.SetDefault("b")
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSettings("c", Settings{ClientID: "2.app.coze"}); err != nil {
		t.Fatal(err)
	}
	if cfg, _, err := s.Resolve(Overrides{}); err != nil || cfg.Profile != "b" {
		t.Errorf("Resolve without a profile: %q, %v; want b", cfg.Profile, err)
	}
	if cfg, _, _ := s.Resolve(Overrides{Profile: "a"}); cfg.Profile != "a" {
		t.Errorf("a named profile lost to the default: %q", cfg.Profile)
	}
	l, _ = s.Lock(ctx)
	err = l.Forget("b")
	l.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if names, _ := s.Profiles(); !slices.Equal(names, []string{"a", "c"}) {
		t.Errorf("profiles after Forget(b): %v", names)
	}
	if got, _ := s.DefaultProfile(); got != "default" {
		t.Errorf("the default outlived its profile: %q", got)
	}
	if rec, _ := s.Load("a"); rec == nil || rec.AccessToken != "czu_a" {
		t.Errorf("another profile's tokens changed: %+v", rec)
	}
	l, _ = s.Lock(ctx)
	err = l.Delete("a", "missing")
	l.Unlock()
	if rec, _ := s.Load("a"); err != nil || rec != nil {
		t.Errorf("Delete(a, missing): %v, %+v", err, rec)
	}
}
