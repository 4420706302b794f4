package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/redistest"
	"github.com/portcullis/portcullis/internal/testutil"
)

// TestClusterAlertClaim: of three clients claiming one alert, one wins;
// the claim expires after its ttl; its key names no client; keeping and
// releasing act on the claim only with its token; Redis down is an
// *UnavailableError.
func TestClusterAlertClaim(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	ctx := t.Context()
	const key = "cert.expiring\x00app\x00\x00\x00203.0.113.5\x00336h0m0s\x00app.example"
	var won atomic.Int32
	done := make(chan struct{})
	for range 3 {
		c := open(t, srv, Options{})
		go func() {
			defer func() { done <- struct{}{} }()
			token, err := c.ClaimAlert(ctx, key, 300*time.Millisecond)
			if err != nil {
				t.Error(err)
			}
			if token != "" {
				won.Add(1)
			}
		}()
	}
	for range 3 {
		<-done
	}
	if won.Load() != 1 {
		t.Fatalf("%d claims won, want 1", won.Load())
	}
	rdb := srv.Client(t)
	dump, _ := redistest.Dump(ctx, rdb)
	for k := range dump {
		if strings.Contains(k, "203.0.113.5") || !strings.HasPrefix(k, "portcullis:alert:") {
			t.Errorf("Redis key %q", k)
		}
	}
	c := open(t, srv, Options{})
	var token string
	testutil.Eventually(t, 5*time.Second, "the claim to expire", func() bool {
		var err error
		token, err = c.ClaimAlert(ctx, key, time.Minute)
		return err == nil && token != ""
	})

	// Keep extends the claim; another token neither keeps nor releases it.
	if err := c.KeepAlert(ctx, key, token, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, c.alertKey(key)).Val(); ttl < 59*time.Minute {
		t.Errorf("kept for an hour, the claim's TTL is %v", ttl)
	}
	if err := c.KeepAlert(ctx, key, "another", time.Minute); !errors.Is(err, ErrClaimLost) {
		t.Errorf("KeepAlert of another instance's claim: %v, want ErrClaimLost", err)
	}
	if err := c.ReleaseAlert(ctx, key, "another"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.ClaimAlert(ctx, key, time.Minute); got != "" {
		t.Errorf("released with another token, the claim was lost")
	}
	// Released with its token, the alert can be claimed again.
	if err := c.ReleaseAlert(ctx, key, token); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.ClaimAlert(ctx, key, time.Minute); got == "" {
		t.Errorf("released, the alert cannot be claimed again")
	}
	// A claim that lapsed is taken again by its keeper.
	rdb.Del(ctx, c.alertKey(key))
	if err := c.KeepAlert(ctx, key, token, time.Minute); err != nil {
		t.Errorf("KeepAlert of a lapsed claim: %v", err)
	}
	if got := rdb.Get(ctx, c.alertKey(key)).Val(); got != token {
		t.Errorf("the lapsed claim kept holds %q, want its token", got)
	}

	srv.Stop()
	if _, err := c.ClaimAlert(ctx, key, time.Minute); !errors.Is(err, ErrUnavailable) {
		t.Errorf("ClaimAlert with Redis down: %v", err)
	}
	if err := c.ReleaseAlert(ctx, key, token); !errors.Is(err, ErrUnavailable) {
		t.Errorf("ReleaseAlert with Redis down: %v", err)
	}
}

// alertInstance is one instance's webhook, claiming through its own
// client of srv, posting to url with short backoffs.
func alertInstance(t *testing.T, srv *redistest.Server, url string) *alert.Webhook {
	t.Helper()
	w, err := alert.NewWebhook(alert.WebhookOptions{
		URL: url, MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
		Claim:  open(t, srv, Options{}), ClaimTTL: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// alertReceiver answers every request with code, and counts them.
func alertReceiver(t *testing.T, code int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc, &n
}

// expiring is the alert every instance raises for a shared certificate.
var expiring = events.Event{Type: events.CertExpiring, Severity: events.Medium, Site: "shop",
	Names: []string{"shop.example"}, Threshold: 14 * 24 * time.Hour, Message: "expires soon"}

// TestClusterAlertClaimSettled: on Redis, the claim of a delivered alert
// holds for the dedup window (ClaimTTL), so another instance's identical
// alert is dropped; the claim of an alert whose delivery failed — the
// receiver answering 500 until the attempts run out, or Close abandoning
// it — is released, so another instance's identical alert is delivered
// rather than dropped for the dedup window. While it is delivered, the
// claim holds for the delivery's time only.
func TestClusterAlertClaimSettled(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	c := open(t, srv, Options{})
	claimKey := c.key("alert", c.seal.name(expiring.Key()))

	t.Run("delivered", func(t *testing.T) {
		ok, okHits := alertReceiver(t, http.StatusOK)
		a := alertInstance(t, srv, ok.URL)
		a.Send(expiring)
		a.Close(context.Background())
		if st := a.Stats(); st.Delivered != 1 {
			t.Fatalf("A: %+v, want delivered", st)
		}
		if ttl := rdb.PTTL(t.Context(), claimKey).Val(); ttl < 59*time.Minute {
			t.Errorf("the claim of the delivered alert holds for %v, want the dedup window (1h)", ttl)
		}
		b := alertInstance(t, srv, ok.URL)
		b.Send(expiring)
		b.Close(context.Background())
		if st := b.Stats(); st.Claimed != 1 || st.Delivered != 0 {
			t.Errorf("B: %+v, want its alert left to A (claimed)", st)
		}
		if n := okHits.Load(); n != 1 {
			t.Errorf("the receiver got %d alerts, want 1", n)
		}
		rdb.Del(t.Context(), claimKey)
	})

	t.Run("failed", func(t *testing.T) {
		broken, brokenHits := alertReceiver(t, http.StatusInternalServerError)
		a := alertInstance(t, srv, broken.URL)
		a.Send(expiring)
		a.Close(context.Background())
		if st := a.Stats(); st.Failed != 1 || brokenHits.Load() != 3 {
			t.Fatalf("A: %+v after %d attempts, want failed after 3", st, brokenHits.Load())
		}
		if n := rdb.Exists(t.Context(), claimKey).Val(); n != 0 {
			t.Errorf("the claim of the failed alert is left, for %v", rdb.PTTL(t.Context(), claimKey).Val())
		}
		ok, okHits := alertReceiver(t, http.StatusOK)
		b := alertInstance(t, srv, ok.URL)
		b.Send(expiring)
		b.Close(context.Background())
		if st := b.Stats(); st.Delivered != 1 || st.Claimed != 0 {
			t.Errorf("B: %+v, want A's failed alert delivered", st)
		}
		if n := okHits.Load(); n != 1 {
			t.Errorf("the receiver got %d alerts from B, want 1", n)
		}
		rdb.Del(t.Context(), claimKey)
	})

	t.Run("abandoned", func(t *testing.T) {
		var asked atomic.Int32
		stop := make(chan struct{})
		hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			asked.Add(1)
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}))
		defer hung.Close()
		defer close(stop)
		a := alertInstance(t, srv, hung.URL)
		a.Send(expiring)
		testutil.Eventually(t, 5*time.Second, "A's request to the receiver", func() bool { return asked.Load() == 1 })
		// A webhook's client times out after alert.DefaultTimeout: the
		// delivery takes 3 attempts of it at most, 2 backoffs, and a margin.
		hold := 3*alert.DefaultTimeout + 2*5*time.Millisecond + 5*time.Second
		if ttl := rdb.PTTL(t.Context(), claimKey).Val(); ttl <= 0 || ttl > hold {
			t.Errorf("while delivered, the claim holds for %v, want at most the delivery's %v", ttl, hold)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := a.Close(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("A's Close: %v, want the alert abandoned", err)
		}
		if n := rdb.Exists(t.Context(), claimKey).Val(); n != 0 {
			t.Errorf("the claim of the abandoned alert is left, for %v", rdb.PTTL(t.Context(), claimKey).Val())
		}
		ok, okHits := alertReceiver(t, http.StatusOK)
		b := alertInstance(t, srv, ok.URL)
		b.Send(expiring)
		b.Close(context.Background())
		if st := b.Stats(); st.Delivered != 1 || okHits.Load() != 1 {
			t.Errorf("B: %+v, want A's abandoned alert delivered", st)
		}
	})
}
