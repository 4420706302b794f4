package alert_test

import (
	"context"
	"errors"
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
// by the instances of a cluster; while err is set, every claim fails.
type claims struct {
	mu    sync.Mutex
	until map[string]time.Time
	ttls  []time.Duration
	now   func() time.Time
	err   error
}

func (c *claims) claim(_ context.Context, key string, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ttls = append(c.ttls, ttl)
	if c.err != nil {
		return false, c.err
	}
	if c.now().Before(c.until[key]) {
		return false, nil
	}
	c.until[key] = c.now().Add(ttl)
	return true, nil
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
	cl := &claims{until: map[string]time.Time{}, now: clock.Now}
	cfg, err := config.Parse("portcullis.toml", []byte("[alerts]\nwebhook = \""+rc.URL+"/hook\"\ndedup = \"1h\"\n"+
		"[[site]]\nhosts = [\"shop.example\"]\nupstream = \"http://127.0.0.1:8000\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var chains []*alert.Chain
	for range 3 {
		c, err := alert.New(cfg.Alerts, alert.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Claim: cl.claim})
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
	for _, ttl := range cl.ttls {
		if ttl != time.Hour {
			t.Errorf("claimed for %v, want the dedup window (1h)", ttl)
		}
	}

	// The claimer down: each instance delivers, and counts the failure.
	cl.err = errors.New("redis down")
	rc2 := newReceiver(t, nil)
	cfg.Alerts.Webhook = rc2.URL
	for range 2 {
		c, err := alert.New(cfg.Alerts, alert.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Claim: cl.claim})
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
