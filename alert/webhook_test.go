package alert_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// hit is one request a receiver got.
type hit struct {
	method, path, query string
	header              http.Header
	body                []byte
	at                  time.Time
}

// receiver is a webhook endpoint on 127.0.0.1 recording every request.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
}

// newReceiver starts a receiver that records each request (body read in
// full), then lets respond answer it (nil: 200). n counts from 1.
func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.hits = append(rc.hits, hit{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body, time.Now()})
		n := len(rc.hits)
		rc.mu.Unlock()
		if respond != nil {
			respond(n, w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

// statuses answers the n-th request with codes[n-1] (the last code
// repeats).
func statuses(codes ...int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(codes[min(n, len(codes))-1])
	}
}

// hang blocks a request until the client gives up or the test ends.
func hang(t *testing.T) func(int, http.ResponseWriter, *http.Request) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
}

// newWebhook makes a webhook with test-sized delays (unless o sets them)
// and a captured log, closed at the end of the test.
func newWebhook(t *testing.T, o alert.WebhookOptions) (*alert.Webhook, *testutil.Buffer) {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 5 * time.Millisecond
	}
	logs := &testutil.Buffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w, err := alert.NewWebhook(o)
	if err != nil {
		t.Fatalf("NewWebhook: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		w.Close(ctx)
		if t.Failed() {
			t.Logf("log:\n%s", logs)
		}
	})
	return w, logs
}

// closeAll closes w, which must deliver everything queued.
func closeAll(t *testing.T, w *alert.Webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// expiring is a cert.expiring event for site.
func expiring(site string, threshold time.Duration) events.Event {
	notAfter := t0.Add(threshold)
	return events.Event{
		Type:      events.CertExpiring,
		Severity:  events.Medium,
		Time:      t0,
		Site:      site,
		Names:     []string{site, "www." + site},
		Source:    "acme",
		Issuer:    "Pebble Intermediate CA",
		NotAfter:  notAfter,
		Threshold: threshold,
		Message:   fmt.Sprintf("certificate expires in %dd (%s)", threshold/(24*time.Hour), notAfter.Format(time.RFC3339)),
	}
}

func TestDeliveryAndPayload(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL + "/hooks/portcullis?channel=ops"})
	e := expiring("example.com", 14*24*time.Hour)
	w.Send(e)
	closeAll(t, w)

	hits := rc.got()
	if len(hits) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(hits))
	}
	h := hits[0]
	if h.method != http.MethodPost || h.path != "/hooks/portcullis" || h.query != "channel=ops" {
		t.Errorf("request %s %s?%s, want POST /hooks/portcullis?channel=ops", h.method, h.path, h.query)
	}
	for name, want := range map[string]string{
		"Content-Type":           "application/json",
		"User-Agent":             "portcullis-alert/1",
		"X-Portcullis-Signature": "",
		"X-Portcullis-Timestamp": "",
	} {
		if got := h.header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if h.header.Get("X-Portcullis-Delivery") == "" {
		t.Error("no X-Portcullis-Delivery id")
	}

	var got struct {
		events.Event
		Text string `json:"text"`
	}
	if err := json.Unmarshal(h.body, &got); err != nil {
		t.Fatalf("body %s: %v", h.body, err)
	}
	if !reflect.DeepEqual(got.Event, e) {
		t.Errorf("event in the body:\n%+v\nwant\n%+v", got.Event, e)
	}
	const wantText = "[medium] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)"
	if got.Text != wantText {
		t.Errorf("text %q, want %q", got.Text, wantText)
	}
	var fields map[string]any
	json.Unmarshal(h.body, &fields)
	for _, k := range []string{"type", "severity", "time", "site", "names", "source", "issuer", "not_after", "threshold", "message", "text"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("body has no %q field: %s", k, h.body)
		}
	}
	if _, ok := fields["error"]; ok {
		t.Errorf("body has an empty error field: %s", h.body)
	}
	if s := w.Stats(); s != (alert.Stats{Delivered: 1}) {
		t.Errorf("Stats %+v, want 1 delivered", s)
	}
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL, UserAgent: "acme-ops/2"})
	w.Send(expiring("example.com", time.Hour))
	closeAll(t, w)
	if hits := rc.got(); len(hits) != 1 || hits[0].header.Get("User-Agent") != "acme-ops/2" {
		t.Fatalf("hits %+v, want one with User-Agent acme-ops/2", hits)
	}
}

// verify is what a receiver does: HMAC-SHA256 of timestamp "." body.
func verify(secret string, h hit) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(h.header.Get("X-Portcullis-Timestamp") + "." + string(h.body)))
	want := "sha256=" + hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(h.header.Get("X-Portcullis-Signature")))
}

func TestSignature(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, statuses(503, 200))
	clock := testutil.NewClock(t0)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL, Secret: "s3cret", Now: clock.Now})
	w.Send(expiring("example.com", time.Hour))
	closeAll(t, w)

	hits := rc.got()
	if len(hits) != 2 {
		t.Fatalf("receiver got %d requests, want 2 (one retry)", len(hits))
	}
	for i, h := range hits {
		if ts := h.header.Get("X-Portcullis-Timestamp"); ts != strconv.FormatInt(t0.Unix(), 10) {
			t.Errorf("attempt %d: timestamp %q, want %d", i+1, ts, t0.Unix())
		}
		if !verify("s3cret", h) {
			t.Errorf("attempt %d: signature %q does not verify", i+1, h.header.Get("X-Portcullis-Signature"))
		}
		if verify("wrong", h) {
			t.Errorf("attempt %d: signature verifies with the wrong secret", i+1)
		}
		if got, want := h.header.Get("X-Portcullis-Signature"), alert.Sign([]byte("s3cret"), h.header.Get("X-Portcullis-Timestamp"), h.body); got != want {
			t.Errorf("attempt %d: Sign gives %q, header %q", i+1, want, got)
		}
	}
	if hits[0].header.Get("X-Portcullis-Delivery") != hits[1].header.Get("X-Portcullis-Delivery") {
		t.Error("the retry has a different delivery id")
	}
	tampered := hits[0]
	tampered.body = append([]byte(nil), tampered.body...)
	tampered.body[len(tampered.body)-2] ^= 1
	if verify("s3cret", tampered) {
		t.Error("signature verifies a modified body")
	}
}

// TestSendsEverything: a Webhook neither filters nor de-duplicates; that
// is the decorators' job (see Chain).
func TestSendsEverything(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	e := expiring("example.com", time.Hour)
	info := e
	info.Type, info.Severity = events.CertRenewed, events.Info
	for _, e := range []events.Event{e, e, info} {
		w.Send(e)
	}
	closeAll(t, w)
	if s := w.Stats(); s != (alert.Stats{Delivered: 3}) {
		t.Errorf("Stats %+v, want 3 delivered", s)
	}
	var got []string
	for _, h := range rc.got() {
		var e events.Event
		if err := json.Unmarshal(h.body, &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Type+" "+e.Severity.String())
	}
	if want := []string{"cert.expiring medium", "cert.expiring medium", "cert.renewed info"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

func TestSlackFormat(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	clock := testutil.NewClock(t0)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL, Secret: "s3cret", Format: alert.FormatSlack, Now: clock.Now})
	e := events.Event{Type: events.HostRejected, Severity: events.Low, Site: "shop", Client: "192.0.2.7",
		Message: "refused Host <!channel> & <https://evil.example|click>"}
	w.Send(e)
	closeAll(t, w)
	hits := rc.got()
	if len(hits) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(hits))
	}
	h := hits[0]
	var got struct{ Text string }
	if err := json.Unmarshal(h.body, &got); err != nil {
		t.Fatalf("body %s: %v", h.body, err)
	}
	if wantText := "[low] host.rejected site=shop client=192.0.2.7: refused Host &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"; got.Text != wantText {
		t.Errorf("text %q, want %q", got.Text, wantText)
	}
	var fields map[string]any
	json.Unmarshal(h.body, &fields)
	if len(fields) != 1 {
		t.Errorf("a Slack body has only \"text\": %s", h.body)
	}
	if ct := h.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !verify("s3cret", h) || h.header.Get("X-Portcullis-Timestamp") != strconv.FormatInt(t0.Unix(), 10) {
		t.Errorf("a Slack body is signed too: signature %q does not verify", h.header.Get("X-Portcullis-Signature"))
	}
	if body, err := alert.Body(alert.FormatSlack, e); err != nil || string(body) != string(h.body) {
		t.Errorf("Body = %s, %v; the request had %s", body, err, h.body)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	redirect := func(code int) func(int, http.ResponseWriter, *http.Request) {
		return func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", code)
		}
	}
	tests := []struct {
		name     string
		respond  func(int, http.ResponseWriter, *http.Request)
		client   *http.Client
		attempts int
		want     alert.Stats
		posts    int
		log      string // in the log when the delivery fails
	}{
		{"200", statuses(200), nil, 0, alert.Stats{Delivered: 1}, 1, ""},
		{"204", statuses(204), nil, 0, alert.Stats{Delivered: 1}, 1, ""},
		{"500 500 then 200", statuses(500, 500, 200), nil, 0, alert.Stats{Delivered: 1, Retries: 2}, 3, ""},
		{"502 503 504 408 429 then 202", statuses(502, 503, 504, 408, 429, 202), nil, 6, alert.Stats{Delivered: 1, Retries: 5}, 6, ""},
		{"always 500", statuses(500), nil, 3, alert.Stats{Failed: 1, Retries: 2}, 3, "receiver answered 500 Internal Server Error"},
		{"always 503, default attempts", statuses(503), nil, 0, alert.Stats{Failed: 1, Retries: 4}, 5, "attempts=5"},
		{"400 is final", statuses(400, 200), nil, 0, alert.Stats{Failed: 1}, 1, "receiver answered 400 Bad Request"},
		{"401 is final", statuses(401, 200), nil, 0, alert.Stats{Failed: 1}, 1, "401 Unauthorized"},
		{"404 is final", statuses(404, 200), nil, 0, alert.Stats{Failed: 1}, 1, "404 Not Found"},
		{"413 is final", statuses(413, 200), nil, 0, alert.Stats{Failed: 1}, 1, "413"},
		{"302 is a failure", redirect(http.StatusFound), nil, 0, alert.Stats{Failed: 1}, 1, "redirects are not followed"},
		{"308 is a failure", redirect(http.StatusPermanentRedirect), nil, 0, alert.Stats{Failed: 1}, 1, "redirects are not followed"},
		{"caller's client does not follow either", redirect(http.StatusTemporaryRedirect), &http.Client{}, 0, alert.Stats{Failed: 1}, 1, "307 Temporary Redirect"},
		{"unknown 299 is success", statuses(299), nil, 0, alert.Stats{Delivered: 1}, 1, ""},
		{"unknown 599 is retried", statuses(599, 200), nil, 0, alert.Stats{Delivered: 1, Retries: 1}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.respond)
			w, logs := newWebhook(t, alert.WebhookOptions{URL: rc.URL + "/hook", MaxAttempts: tt.attempts, Client: tt.client})
			w.Send(expiring("example.com", time.Hour))
			closeAll(t, w)
			if s := w.Stats(); s != tt.want {
				t.Errorf("Stats %+v, want %+v", s, tt.want)
			}
			hits := rc.got()
			if len(hits) != tt.posts {
				t.Errorf("receiver got %d requests, want %d", len(hits), tt.posts)
			}
			for _, h := range hits {
				if h.path != "/hook" {
					t.Errorf("request to %s: a redirect was followed", h.path)
				}
			}
			if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
				t.Errorf("log does not mention %q:\n%s", tt.log, logs)
			}
			if tt.want.Failed > 0 && !strings.Contains(logs.String(), "level=WARN msg=\"alert: webhook delivery failed\"") {
				t.Errorf("failure not logged at warn:\n%s", logs)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	const capped = 60 * time.Millisecond
	tests := []struct {
		name, value string
	}{
		{"seconds", "1"},
		{"HTTP-date", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", tt.value)
					w.WriteHeader(http.StatusTooManyRequests)
				}
			})
			w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL, Backoff: time.Millisecond, MaxBackoff: capped})
			w.Send(expiring("example.com", time.Hour))
			closeAll(t, w)
			hits := rc.got()
			if len(hits) != 2 {
				t.Fatalf("receiver got %d requests, want 2", len(hits))
			}
			// Backoff alone would wait at most 1ms; Retry-After, capped
			// at MaxBackoff, at least 60ms.
			if gap := hits[1].at.Sub(hits[0].at); gap < capped {
				t.Errorf("retried after %v, want at least %v (Retry-After capped at MaxBackoff)", gap, capped)
			}
			if s := w.Stats(); s != (alert.Stats{Delivered: 1, Retries: 1}) {
				t.Errorf("Stats %+v", s)
			}
		})
	}
}

func TestUnencodableEvent(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, logs := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	bad := expiring("example.com", time.Hour)
	bad.NotAfter = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) // JSON cannot encode it
	w.Send(bad)
	w.Send(expiring("other.example", time.Hour))
	closeAll(t, w)
	if s := w.Stats(); s != (alert.Stats{Delivered: 1, Failed: 1}) {
		t.Errorf("Stats %+v, want 1 failed, 1 delivered", s)
	}
	if n := len(rc.got()); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
	if !strings.Contains(logs.String(), "cannot encode event") {
		t.Errorf("encoding failure not logged:\n%s", logs)
	}
}

func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	t.Run("connection dropped, then success", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
			}
		})
		w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
		w.Send(expiring("example.com", time.Hour))
		closeAll(t, w)
		if s := w.Stats(); s.Delivered != 1 || s.Failed != 0 || s.Retries < 1 {
			t.Errorf("Stats %+v, want delivered after a retry", s)
		}
	})
	t.Run("connection closed every time", func(t *testing.T) {
		t.Parallel()
		// A listener that hangs up on every connection: a network error
		// each attempt. (A closed port could be reused by another test's
		// server meanwhile.)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		addr := ln.Addr().String()
		w, logs := newWebhook(t, alert.WebhookOptions{URL: "http://" + addr + "/hook?token=T0KEN", MaxAttempts: 3})
		w.Send(expiring("example.com", time.Hour))
		closeAll(t, w)
		if s := w.Stats(); s != (alert.Stats{Failed: 1, Retries: 2}) {
			t.Errorf("Stats %+v, want failed after 3 attempts", s)
		}
		l := logs.String()
		if !strings.Contains(l, "attempts=3") || !strings.Contains(l, "url=http://"+addr+" ") {
			t.Errorf("log lacks the attempts or the URL:\n%s", l)
		}
		if strings.Contains(l, "T0KEN") || strings.Contains(l, "/hook") {
			t.Errorf("log shows the URL's path or query:\n%s", l)
		}
	})
}

func TestLogIsSanitized(t *testing.T) {
	t.Parallel()
	body := "bad\n\x1b[31mred " + strings.Repeat("x", 1000) + "TAIL"
	rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, body)
	})
	w, logs := newWebhook(t, alert.WebhookOptions{
		URL:         rc.URL + "/services/T000/SECRETPATH?token=SECRETQUERY",
		Secret:      "hunter2",
		MaxAttempts: 2,
	})
	w.Send(expiring("example.com", time.Hour))
	closeAll(t, w)
	l := logs.String()
	for _, secret := range []string{"SECRETPATH", "SECRETQUERY", "hunter2", "\x1b", "TAIL", strings.Repeat("x", 513)} {
		if strings.Contains(l, secret) {
			t.Errorf("log contains %q:\n%s", secret, l)
		}
	}
	for _, want := range []string{"url=" + rc.URL + " ", "receiver answered 500 Internal Server Error", `bad\\n\\x1b[31mred xxx`, "xxx...", "attempts=2"} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}

func TestQueueOverflow(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, _ http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			<-release
		}
	})
	w, logs := newWebhook(t, alert.WebhookOptions{URL: rc.URL, QueueSize: 1})
	w.Send(expiring("a.example", time.Hour))
	testutil.Eventually(t, 5*time.Second, "the first request", func() bool { return len(rc.got()) == 1 })
	w.Send(expiring("b.example", time.Hour)) // queued
	w.Send(expiring("c.example", time.Hour)) // no room
	if s := w.Stats(); s.Dropped != 1 {
		t.Errorf("Stats %+v, want 1 dropped", s)
	}
	if !strings.Contains(logs.String(), "queue full") {
		t.Errorf("drop not logged:\n%s", logs)
	}
	close(release)
	testutil.Eventually(t, 5*time.Second, "two deliveries", func() bool { return w.Stats().Delivered == 2 })
	w.Send(expiring("c.example", time.Hour)) // room again
	closeAll(t, w)
	if s := w.Stats(); s != (alert.Stats{Delivered: 3, Dropped: 1}) {
		t.Errorf("Stats %+v, want 3 delivered, 1 dropped", s)
	}
	w.Send(expiring("d.example", time.Hour)) // after Close
	if s := w.Stats(); s.Dropped != 2 {
		t.Errorf("Send after Close: Stats %+v, want 2 dropped", s)
	}
	if !strings.Contains(logs.String(), "webhook closed, event dropped") {
		t.Errorf("drop after Close not logged:\n%s", logs)
	}
}

func TestCloseDrains(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, _ http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			<-release
		}
	})
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	for i := range 5 {
		w.Send(expiring(fmt.Sprintf("s%d.example", i), time.Hour))
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		close(release)
	}()
	closeAll(t, w) // waits for the held first request, then the other four
	if s := w.Stats(); s != (alert.Stats{Delivered: 5}) {
		t.Errorf("Stats %+v, want 5 delivered", s)
	}
	var sites []string
	for _, h := range rc.got() {
		var e events.Event
		json.Unmarshal(h.body, &e)
		sites = append(sites, e.Site)
	}
	if want := []string{"s0.example", "s1.example", "s2.example", "s3.example", "s4.example"}; !reflect.DeepEqual(sites, want) {
		t.Errorf("delivered %v, want %v in order", sites, want)
	}
	w.Send(expiring("late.example", time.Hour))
	closeAll(t, w) // again: harmless
	if s := w.Stats(); s != (alert.Stats{Delivered: 5, Dropped: 1}) {
		t.Errorf("after a Send after Close: Stats %+v, want 1 dropped", s)
	}
	if n := len(rc.got()); n != 5 {
		t.Errorf("receiver got %d requests, want 5", n)
	}
}

func TestCloseGivesUpWhenContextEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		respond func(t *testing.T) func(int, http.ResponseWriter, *http.Request)
		backoff time.Duration
		want    alert.Stats
	}{
		{"receiver hangs", hang, 0, alert.Stats{Failed: 1, Dropped: 2}},
		{"waiting to retry", func(*testing.T) func(int, http.ResponseWriter, *http.Request) { return statuses(500) }, time.Minute, alert.Stats{Failed: 1, Dropped: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, tt.respond(t))
			w, logs := newWebhook(t, alert.WebhookOptions{URL: rc.URL, Backoff: tt.backoff, MaxBackoff: tt.backoff})
			for i := range 3 {
				w.Send(expiring(fmt.Sprintf("s%d.example", i), time.Hour))
			}
			testutil.Eventually(t, 5*time.Second, "the first request", func() bool { return len(rc.got()) == 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := w.Close(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Close: %v, want a deadline error", err)
			}
			// Not a speed claim: a Close that waited for the receiver or
			// the backoff would take 10s or a minute.
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Close took %v after its context ended", d)
			}
			if s := w.Stats(); s != tt.want {
				t.Errorf("Stats %+v, want %+v", s, tt.want)
			}
			if !strings.Contains(logs.String(), "abandoned by Close") {
				t.Errorf("log does not say the delivery was abandoned:\n%s", logs)
			}
			if n := len(rc.got()); n != 1 {
				t.Errorf("receiver got %d requests, want 1", n)
			}
			if err := w.Close(context.Background()); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

func TestCloseWithEndedContextLosesNothing(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	w.Send(expiring("example.com", time.Hour))
	testutil.Eventually(t, 5*time.Second, "the delivery", func() bool { return w.Stats().Delivered == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); err != nil {
		t.Errorf("Close with an ended context and nothing queued: %v", err)
	}
}

func TestConcurrentSend(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				w.Send(expiring(fmt.Sprintf("g%d-%d.example", g, i), time.Hour))
				w.Send(expiring(fmt.Sprintf("g%d-%d.example", g, i), time.Hour))
				w.Stats()
			}
		})
	}
	wg.Wait()
	closeAll(t, w)
	if s := w.Stats(); s != (alert.Stats{Delivered: 80}) {
		t.Errorf("Stats %+v, want 80 delivered", s)
	}
	if n := len(rc.got()); n != 80 {
		t.Errorf("receiver got %d requests, want 80", n)
	}
}

func TestAsSink(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	w, _ := newWebhook(t, alert.WebhookOptions{URL: rc.URL})
	var bus events.Bus
	bus.Subscribe(w.Send)
	e := expiring("example.com", time.Hour)
	e.Time = time.Time{}
	bus.Emit(e)
	closeAll(t, w)
	if s := w.Stats(); s != (alert.Stats{Delivered: 1}) {
		t.Errorf("Stats %+v, want 1 delivered", s)
	}
}

func TestNewWebhookErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    alert.WebhookOptions
		want string // in the error; "" for success
	}{
		{"http", alert.WebhookOptions{URL: "http://127.0.0.1:1/hook"}, ""},
		{"https with query", alert.WebhookOptions{URL: "https://hooks.example.com/x?token=T0KEN"}, ""},
		{"all options", alert.WebhookOptions{URL: "http://127.0.0.1:1/", Secret: "s", Format: alert.FormatSlack, MaxAttempts: 1, Backoff: 1, MaxBackoff: 1, QueueSize: 1}, ""},
		{"json", alert.WebhookOptions{URL: "http://127.0.0.1:1/", Format: alert.FormatJSON}, ""},
		{"empty URL", alert.WebhookOptions{}, "webhook URL is empty"},
		{"not a URL", alert.WebhookOptions{URL: "http://h/%zz?token=T0KEN"}, "does not parse"},
		{"bad port", alert.WebhookOptions{URL: "http://h:port/?token=T0KEN"}, "does not parse"},
		{"ftp", alert.WebhookOptions{URL: "ftp://h/?token=T0KEN"}, `scheme "ftp" is not http or https`},
		{"relative", alert.WebhookOptions{URL: "/hook?token=T0KEN"}, `scheme "" is not http or https`},
		{"opaque", alert.WebhookOptions{URL: "http:T0KEN"}, "no host"},
		{"no host", alert.WebhookOptions{URL: "http:///hook?token=T0KEN"}, "no host"},
		{"port only", alert.WebhookOptions{URL: "http://:80/hook?token=T0KEN"}, "no host"},
		{"user info", alert.WebhookOptions{URL: "https://bob:T0KEN@h/"}, "must not contain user info"},
		{"user only", alert.WebhookOptions{URL: "https://T0KEN@h/"}, "must not contain user info"},
		{"format", alert.WebhookOptions{URL: "http://h/", Format: "Slack"}, `Format "Slack" is not "json" or "slack"`},
		{"attempts", alert.WebhookOptions{URL: "http://h/", MaxAttempts: -1}, "MaxAttempts -1 is negative"},
		{"backoff", alert.WebhookOptions{URL: "http://h/", Backoff: -time.Second}, "Backoff -1s is negative"},
		{"max backoff", alert.WebhookOptions{URL: "http://h/", MaxBackoff: -time.Second}, "MaxBackoff -1s is negative"},
		{"queue", alert.WebhookOptions{URL: "http://h/", QueueSize: -1}, "QueueSize -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := alert.NewWebhook(tt.o)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("NewWebhook: %v", err)
				}
				if err := w.Close(context.Background()); err != nil {
					t.Errorf("Close: %v", err)
				}
				return
			}
			if err == nil {
				w.Close(context.Background())
				t.Fatalf("NewWebhook succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "T0KEN") {
				t.Errorf("error %q quotes the URL's secret part", err)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		e    events.Event
		want string
	}{
		{expiring("example.com", 14*24*time.Hour), "[medium] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)"},
		{events.Event{Type: events.CertRenewalFailed, Severity: events.High, Site: "a", Message: "renewal failed", Error: "acme: rate limited\nretry later"},
			"[high] cert.renewal_failed site=a: renewal failed: acme: rate limited retry later"},
		{events.Event{Type: events.CertExpired, Severity: events.Critical, Names: []string{"10.0.0.1"}, Message: "a\u2028b\x00c\td"},
			"[critical] cert.expired names=10.0.0.1: a b c d"},
		{events.Event{Type: events.CertObtained, Severity: events.Info}, "[info] cert.obtained"},
		{events.Event{Type: events.AlertFired, Severity: events.Medium, Rule: "refused-hosts", Client: "192.0.2.7\r\n", Message: "20 events"},
			"[medium] alert.fired rule=refused-hosts client=192.0.2.7  : 20 events"},
	}
	for _, tt := range tests {
		if got := alert.Summary(tt.e); got != tt.want {
			t.Errorf("Summary(%+v)\n= %q\nwant %q", tt.e, got, tt.want)
		}
	}
}
