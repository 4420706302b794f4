package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// TestExpiryAlerts serves a certificate that expires in 40 days, moves
// an injected clock forward a few hours at a time, and checks that a real
// webhook receiver on loopback gets cert.expiring at 30, 14, 7 and 1 days
// and cert.expired, each exactly once and in that order.
func TestExpiryAlerts(t *testing.T) {
	t.Parallel()
	start := time.Now()
	clock := testutil.NewClock(start)
	notAfter := start.Add(40 * 24 * time.Hour).Truncate(time.Second)

	var mu sync.Mutex
	var got []events.Event
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e events.Event
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			t.Errorf("webhook payload: %v", err)
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer receiver.Close()

	dir := t.TempDir()
	pki := newTestPKI(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// A 90-day certificate: the monitor announces only thresholds under
	// half a certificate's lifetime.
	pki.writeLeafFor(t, certFile, keyFile, notAfter.Add(-90*24*time.Hour), notAfter, "app.example.com")
	up := newUpstream(t)
	cfg, err := config.Parse(filepath.Join(dir, "portcullis.toml"), fmt.Appendf(nil, `
[listen]
https = "127.0.0.1:0"
http = "127.0.0.1:0"
admin = "off"

[monitor]
interval = "24h" # the test drives the checks

[alerts]
webhook = %q

[[site]]
name = "app"
hosts = ["app.example.com"]
upstream = %q
[site.cert]
source = "files"
cert = "cert.pem"
key = "key.pem"
`, receiver.URL+"/hook", up.URL))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, Options{DataDir: filepath.Join(dir, "data"), Now: clock.Now, AccessLog: io.Discard,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	type want struct {
		typ       string
		threshold time.Duration
		dayLeft   int // whole days left when it fired, at most
	}
	for clock.Now().Before(notAfter.Add(12 * time.Hour)) {
		srv.CheckExpiry()
		srv.CheckExpiry() // a second check in the same state sends nothing
		clock.Advance(6 * time.Hour)
	}
	testutil.Eventually(t, 10*time.Second, "5 alerts delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 5
	})
	time.Sleep(200 * time.Millisecond) // nothing more may arrive
	mu.Lock()
	defer mu.Unlock()
	day := 24 * time.Hour
	wants := []want{
		{events.CertExpiring, 30 * day, 30},
		{events.CertExpiring, 14 * day, 14},
		{events.CertExpiring, 7 * day, 7},
		{events.CertExpiring, day, 1},
		{events.CertExpired, 0, 0},
	}
	if len(got) != len(wants) {
		t.Fatalf("webhook got %d alerts, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		e := got[i]
		left := notAfter.Sub(e.Time)
		if e.Type != w.typ || e.Threshold != w.threshold || e.Site != "app" || e.Source != "files" ||
			left > time.Duration(w.dayLeft)*day || left <= time.Duration(w.dayLeft)*day-6*time.Hour {
			t.Errorf("alert %d: %s threshold %v site %q source %q, %v before expiry; want %s at %v (within the 6 h step)",
				i, e.Type, e.Threshold, e.Site, e.Source, left, w.typ, w.threshold)
		}
	}
}
