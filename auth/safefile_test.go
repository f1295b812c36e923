package auth

import (
	"cmp"
	"context"
	"sync"
	"testing"
	"time"
)

// A reader of the token file while another process saves it (an atomic
// rename between the reader's Lstat and its open) reads the old file or the
// new one, never a refusal: refusing told users to delete a good store.
func TestReadsDuringSavesNeverRefuse(t *testing.T) {
	st := NewStore(t.TempDir())
	save := func(i int) {
		l, err := st.Lock(context.Background())
		if err != nil {
			t.Error(err)
			return
		}
		defer l.Unlock()
		if err := l.Save("default", &Record{Token: Token{AccessToken: "czu_a", RefreshToken: "r", Expiry: time.Now().Add(time.Duration(i) * time.Minute)}}); err != nil {
			t.Error(err)
		}
	}
	save(1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range 300 {
			save(i + 2)
		}
	}()
	reads, failed := 0, 0
	var first error
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if _, err := st.Meta("default"); err != nil {
			failed++
			first = cmp.Or(first, err)
		}
		reads++
	}
	wg.Wait()
	if failed > 0 {
		t.Errorf("%d of %d reads during the saves failed, the first with: %v", failed, reads, first)
	}
}
