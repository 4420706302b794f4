package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/redistest"
)

// TestKilledHolder: an instance SIGKILLed while it holds an issuance lock
// (a process of its own, the test binary re-executed) leaves the lock
// held while it lives, past the lease, since it refreshes it; once it is
// killed, an instance already waiting in Lock gets the lock within the
// lease (plus its polling interval).
func TestKilledHolder(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	const lease = 2 * time.Second
	const name = "issue_cert_site-a.test"
	kill := startHolder(t, holderSpec{URL: srv.URL(), Key: testKey, Lease: lease, Name: name})

	c := open(t, srv, Options{LockLease: lease})
	got := make(chan error, 1)
	var gotAt time.Time
	go func() {
		err := c.Storage().Lock(t.Context(), name)
		gotAt = time.Now()
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("Lock returned (%v) while the holder was alive", err)
	case <-time.After(lease + lease/2):
	}
	kill()
	killed := time.Now()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lease + 5*time.Second):
		t.Fatal("Lock still waiting 5 s after the lease of the killed holder")
	}
	took := gotAt.Sub(killed)
	t.Logf("lock taken %v after its holder was killed (lease %v)", took.Round(time.Millisecond), lease)
	if took > lease+time.Second {
		t.Errorf("lock taken %v after its holder was killed; want at most the lease %v + 1 s", took, lease)
	}
	// The killed holder's token is gone: the new holder releases cleanly.
	if err := c.Storage().Unlock(context.Background(), name); err != nil {
		t.Errorf("Unlock: %v", err)
	}
	if err := c.Storage().Unlock(context.Background(), name); !errors.Is(err, ErrNotLocked) {
		t.Errorf("second Unlock = %v; want ErrNotLocked", err)
	}
}
