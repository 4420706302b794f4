package alert_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// claims is an in-memory Claimer shared by several chains, as Redis is
// by the instances of a cluster; while err is set, every call fails.
type claims struct {
	mu       sync.Mutex
	held     map[string]claim
	n        int             // tokens given
	ttls     []time.Duration // of the claims
	kept     []time.Duration // of the claims kept
	released int
	now      func() time.Time
	err      error
}

// claim is a key's holder and until when.
type claim struct {
	token string
	until time.Time
}

func (c *claims) ClaimAlert(_ context.Context, key string, ttl time.Duration) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ttls = append(c.ttls, ttl)
	if c.err != nil {
		return "", c.err
	}
	if c.now().Before(c.held[key].until) {
		return "", nil
	}
	c.n++
	token := fmt.Sprint(c.n)
	c.held[key] = claim{token, c.now().Add(ttl)}
	return token, nil
}

func (c *claims) KeepAlert(_ context.Context, key, token string, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kept = append(c.kept, ttl)
	if c.err != nil {
		return c.err
	}
	if h := c.held[key]; h.token != token && c.now().Before(h.until) {
		return errors.New("claim lost")
	}
	c.held[key] = claim{token, c.now().Add(ttl)}
	return nil
}

func (c *claims) ReleaseAlert(_ context.Context, key, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.held[key].token == token {
		delete(c.held, key)
		c.released++
	}
	return nil
}

// TestChainClaim: three chains — three instances — share a claimer; each
// sees the same certificate event (at slightly different times) and a
// burst of refused hosts: the receiver gets each alert once, the
// claim holding for [alerts] dedup. With the claimer failing, every
// instance delivers (fail open) and counts the errors.
func TestChainClaim(t *testing.T) {
	t.Parallel()
	clock := testutil.NewClock(t0)
	rc := newReceiver(t, nil)
	cl := &claims{held: map[string]claim{}, now: clock.Now}
	cfg, err := config.Parse("portcullis.toml", []byte("[alerts]\nwebhook = \""+rc.URL+"/hook\"\ndedup = \"1h\"\n"+
		"[[site]]\nhosts = [\"shop.example\"]\nupstream = \"http://127.0.0.1:8000\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var chains []*alert.Chain
	for range 3 {
		c, err := alert.New(cfg.Alerts, alert.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Claim: cl})
		if err != nil {
			t.Fatal(err)
		}
		chains = append(chains, c)
	}
	expiring := events.Event{Type: events.CertExpiring, Severity: events.Medium, Site: "shop", Names: []string{"shop.example"},
		Threshold: 14 * 24 * time.Hour, Message: "expires soon"}
	for _, c := range chains {
		e := expiring
		e.Time = clock.Now()
		c.Send(e)
		clock.Advance(time.Second)
		for range 20 {
			c.Send(events.Event{Type: events.HostRejected, Severity: events.Low, Client: "203.0.113.9", Host: "scan.example"})
		}
	}
	for _, c := range chains {
		c.Close(context.Background())
	}
	hits := rc.got()
	if len(hits) != 2 {
		t.Fatalf("receiver got %d alerts, want 2 (the certificate, the burst): %v", len(hits), hits)
	}
	var claimed uint64
	for _, c := range chains {
		claimed += c.Stats().Webhook.Claimed
	}
	if claimed != 4 {
		t.Errorf("%d alerts left to another instance, want 4", claimed)
	}
	// Claimed for the delivery's time (5 attempts of 10 s, 4 delays of
	// at most a minute, and a margin), kept for the dedup window.
	for _, ttl := range cl.ttls {
		if want := 5*alert.DefaultTimeout + 4*alert.DefaultMaxBackoff + 5*time.Second; ttl != want {
			t.Errorf("claimed for %v while delivered, want %v", ttl, want)
		}
	}
	if len(cl.kept) != 2 || cl.kept[0] != time.Hour || cl.kept[1] != time.Hour {
		t.Errorf("the delivered alerts' claims kept for %v, want the dedup window (1h), twice", cl.kept)
	}

	// The claimer down: each instance delivers, and counts the failure.
	cl.err = errors.New("redis down")
	rc2 := newReceiver(t, nil)
	cfg.Alerts.Webhook = rc2.URL
	for range 2 {
		c, err := alert.New(cfg.Alerts, alert.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Claim: cl})
		if err != nil {
			t.Fatal(err)
		}
		c.Send(expiring)
		c.Close(context.Background())
		if st := c.Stats().Webhook; st.ClaimErrors != 1 || st.Delivered != 1 {
			t.Errorf("with the claimer down: %+v, want delivered, one claim error", st)
		}
	}
	if n := len(rc2.got()); n != 2 {
		t.Errorf("with the claimer down the receiver got %d alerts, want 2 (one per instance)", n)
	}
}

// hungClaims is a Claimer whose store does not answer: each call waits
// for its context to end, and records how long it was given.
type hungClaims struct {
	mu     sync.Mutex
	bounds []time.Duration
}

func (h *hungClaims) wait(ctx context.Context) error {
	d, ok := ctx.Deadline()
	h.mu.Lock()
	if ok {
		h.bounds = append(h.bounds, time.Until(d))
	} else {
		h.bounds = append(h.bounds, -1)
	}
	h.mu.Unlock()
	<-ctx.Done()
	return ctx.Err()
}

func (h *hungClaims) ClaimAlert(ctx context.Context, _ string, _ time.Duration) (string, error) {
	return "", h.wait(ctx)
}

func (h *hungClaims) KeepAlert(ctx context.Context, _, _ string, _ time.Duration) error {
	return h.wait(ctx)
}

func (h *hungClaims) ReleaseAlert(ctx context.Context, _, _ string) error { return h.wait(ctx) }

// TestWebhookClaimHung: a claim the store does not answer is given up
// after a second at most, and the alert is delivered (fail open),
// counted as a claim error.
func TestWebhookClaimHung(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	h := &hungClaims{}
	w, err := alert.NewWebhook(alert.WebhookOptions{URL: rc.URL, Claim: h, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.Send(events.Event{Type: events.CertExpiring, Severity: events.Medium, Site: "shop"})
	w.Close(context.Background())
	if st := w.Stats(); st.Delivered != 1 || st.ClaimErrors != 1 {
		t.Errorf("with the store hung: %+v, want delivered, one claim error", st)
	}
	if len(h.bounds) != 1 || h.bounds[0] <= 0 || h.bounds[0] > time.Second {
		t.Errorf("the claim waited up to %v, want a second at most", h.bounds)
	}
}
