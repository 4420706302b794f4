package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/internal/testutil"
)

// chainFor parses a configuration whose [alerts] sends to rc, signed with
// "s3cret", with the extra [alerts] keys and [[alerts.rule]] tables given,
// and builds its chain on clock.
func chainFor(t *testing.T, rc *receiver, alerts string, clock *testutil.Clock) *alert.Chain {
	t.Helper()
	text := fmt.Sprintf("[alerts]\nwebhook = %q\nsecret = \"s3cret\"\n%s\n[[site]]\nhosts = [\"shop.example\"]\nupstream = \"http://127.0.0.1:8000\"\n",
		rc.URL+"/hook", alerts)
	cfg, err := config.Parse("portcullis.toml", []byte(text))
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	c, err := alert.New(cfg.Alerts, alert.Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// emitter sends events to a chain through a Bus, as the server does, and
// moves the clock.
type emitter struct {
	bus   events.Bus
	clock *testutil.Clock
}

func (em *emitter) emit(e events.Event) { em.bus.Emit(e) }

// burst emits n events made by mk, every gap.
func (em *emitter) burst(n int, gap time.Duration, mk func() events.Event) {
	for i := range n {
		if i > 0 {
			em.clock.Advance(gap)
		}
		em.emit(mk())
	}
}

func request(typ, client, site string) func() events.Event {
	return func() events.Event {
		return events.Event{Type: typ, Severity: events.Low, Client: client, Site: site, Method: "GET", Host: "scan.example", Path: "/"}
	}
}

// TestChain runs each built-in rule, and configured ones, end to end: the
// configuration parsed, the chain built, events emitted on a bus under a
// settable clock, and the alerts counted at a real webhook receiver on
// loopback once Close has delivered everything. Every request must carry
// a valid signature.
func TestChain(t *testing.T) {
	t.Parallel()
	const sec, min = time.Second, time.Minute
	day := 24 * time.Hour
	expiring := func(threshold time.Duration, sev events.Severity) func() events.Event {
		return func() events.Event {
			return events.Event{Type: events.CertExpiring, Severity: sev, Site: "shop", Names: []string{"shop.example"}, Threshold: threshold, Message: "expires soon"}
		}
	}
	fired := func(sev, rule, group, msg string) string {
		if group != "" {
			group = " " + group
		}
		return "alert.fired " + sev + " rule=" + rule + group + ": " + msg
	}
	tests := []struct {
		name   string
		alerts string // more [alerts] keys, then [[alerts.rule]] tables
		run    func(em *emitter)
		want   []string // brief() of each alert received; the "text" in the Slack format
	}{
		{"certificates: medium and up, each condition once", "", func(em *emitter) {
			em.emit(events.Event{Type: events.CertRenewed, Severity: events.Info, Site: "shop"})
			em.emit(expiring(14*day, events.Medium)())
			em.emit(expiring(14*day, events.Medium)())
			em.emit(expiring(day, events.High)())
			em.emit(events.Event{Type: events.CertExpired, Severity: events.Critical, Site: "shop"})
			em.emit(events.Event{Type: events.CertObtainFailed, Severity: events.High, Site: "blog", Error: "rate limited"})
		}, []string{"cert.expiring medium site=shop", "cert.expiring high site=shop", "cert.expired critical site=shop", "cert.obtain_failed high site=blog"}},

		{"operations: any failed reload or backup, at least high", "", func(em *emitter) {
			em.emit(events.Event{Type: events.ConfigReloaded, Severity: events.Info})
			em.emit(events.Event{Type: events.ConfigReloadFailed, Severity: events.Low, Error: "portcullis.toml:3: tls.profile: bad"})
			em.emit(events.Event{Type: events.BackupDone, Severity: events.Info})
			em.emit(events.Event{Type: events.BackupFailed, Severity: events.Critical, Error: "disk full"})
		}, []string{"config.reload_failed high", "backup.failed critical"}},

		{"refused-hosts: 20 from one client in a minute", "", func(em *emitter) {
			em.burst(19, sec, request(events.HostRejected, "203.0.113.8", "")) // another client: 19
			em.clock.Advance(sec)
			em.burst(19, 2*sec, request(events.HostRejected, "203.0.113.7", "")) // 19 within 36s
			em.clock.Advance(sec)
			em.burst(3, sec, request(events.HostRejected, "203.0.113.7", "")) // the 20th crosses; then quiet
			em.clock.Advance(2 * min)
			em.burst(100, 4*sec, request(events.HostRejected, "198.51.100.1", "")) // 15 a minute, for long
		}, []string{fired("medium", "refused-hosts", "client=203.0.113.7", "20 events (host.rejected) from client 203.0.113.7 within 1m")}},

		{"cross-origin: 20 from one client in a minute", "", func(em *emitter) {
			em.burst(19, sec, request(events.CrossOriginBlocked, "203.0.113.7", "shop"))
			em.burst(5, sec, request(events.HostRejected, "203.0.113.7", "shop")) // another rule's
			em.emit(request(events.CrossOriginBlocked, "203.0.113.7", "blog")())
		}, []string{fired("medium", "cross-origin", "client=203.0.113.7", "20 events (crossorigin.blocked) from client 203.0.113.7 within 1m")}},

		{"reports: 50 for one site in 5 minutes", "", func(em *emitter) {
			em.burst(49, sec, request(events.ReportReceived, "203.0.113.7", "blog"))
			em.burst(49, 6*sec, request(events.ReportReceived, "203.0.113.7", "shop")) // 4m48s
			em.emit(request(events.ReportReceived, "192.0.2.1", "shop")())
		}, []string{fired("medium", "reports", "site=shop", "50 events (report.received) at site shop within 5m")}},

		{"upstream: 5 failures or timeouts for one site in a minute", "", func(em *emitter) {
			em.burst(3, 10*sec, request(events.UpstreamFailed, "", "shop"))
			em.burst(4, sec, request(events.UpstreamTimeout, "", "blog"))
			em.burst(2, 10*sec, request(events.UpstreamTimeout, "", "shop"))
		}, []string{fired("high", "upstream", "site=shop", "5 events (upstream.failed, upstream.timeout) at site shop within 1m")}},

		{"min_severity high keeps only high alerts", `min_severity = "high"`, func(em *emitter) {
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", ""))
			em.emit(expiring(14*day, events.Medium)())
			em.burst(5, sec, request(events.UpstreamFailed, "", "shop"))
		}, []string{fired("high", "upstream", "site=shop", "5 events (upstream.failed, upstream.timeout) at site shop within 1m")}},

		{"dedup: a burst that goes on is sent once a day", "", func(em *emitter) {
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", ""))
			em.clock.Advance(min)
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", "")) // the rule fires; dedup holds it
			em.clock.Advance(day)
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", ""))
		}, []string{
			fired("medium", "refused-hosts", "client=203.0.113.7", "20 events (host.rejected) from client 203.0.113.7 within 1m"),
			fired("medium", "refused-hosts", "client=203.0.113.7", "20 events (host.rejected) from client 203.0.113.7 within 1m"),
		}},

		{"dedup 0: a burst that goes on is sent every window", `dedup = "0s"`, func(em *emitter) {
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", ""))
			em.burst(61, sec, request(events.HostRejected, "203.0.113.7", "")) // quiet until a minute after the first alert
			em.emit(expiring(14*day, events.Medium)())
			em.emit(expiring(14*day, events.Medium)())
		}, []string{
			fired("medium", "refused-hosts", "client=203.0.113.7", "20 events (host.rejected) from client 203.0.113.7 within 1m"),
			fired("medium", "refused-hosts", "client=203.0.113.7", "20 events (host.rejected) from client 203.0.113.7 within 1m"),
			"cert.expiring medium site=shop", "cert.expiring medium site=shop",
		}},

		{"configured rules replace the built-in ones", `
[[alerts.rule]]
name = "tls"
events = ["tls.refused"]
min_severity = "low"
threshold = 3
window = "10s"
severity = "critical"

[[alerts.rule]]
name = "cookies"
events = ["cookie.violation"]
per = "site"
window = "1h"
`, func(em *emitter) {
			em.emit(events.Event{Type: events.CertExpired, Severity: events.Critical, Site: "shop"}) // no rule for it now
			em.burst(20, sec, request(events.HostRejected, "203.0.113.7", ""))
			em.burst(3, 5*sec, request(events.TLSRefused, "203.0.113.7", "")) // 10s: not within 10s
			em.burst(2, sec, func() events.Event { e := request(events.TLSRefused, "", "")(); e.Severity = events.Info; return e })
			em.burst(3, sec, request(events.TLSRefused, "198.51.100.1", ""))
			em.burst(3, sec, request(events.CookieViolation, "", "shop"))
			em.burst(3, sec, request(events.CookieViolation, "", "blog"))
		}, []string{
			fired("critical", "tls", "", "3 events (tls.refused) within 10s"),
			"cookie.violation medium site=shop", "cookie.violation medium site=blog",
		}},

		{"slack", `format = "slack"`, func(em *emitter) {
			em.emit(expiring(14*day, events.Medium)())
			em.burst(20, sec, request(events.HostRejected, "<!channel>", ""))
		}, []string{
			"[medium] cert.expiring site=shop names=shop.example: expires soon",
			"[medium] alert.fired rule=refused-hosts client=&lt;!channel&gt;: 20 events (host.rejected) from client &lt;!channel&gt; within 1m",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rc := newReceiver(t, nil)
			clock := testutil.NewClock(t0)
			c := chainFor(t, rc, tt.alerts, clock)
			em := &emitter{clock: clock}
			em.bus.Subscribe(c.Send)
			tt.run(em)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}

			var got []string
			for i, h := range rc.got() {
				if h.path != "/hook" || !verify("s3cret", h) {
					t.Errorf("request %d to %s: signature %q does not verify", i+1, h.path, h.header.Get("X-Portcullis-Signature"))
				}
				if strings.Contains(tt.alerts, "slack") {
					var p map[string]string
					if err := json.Unmarshal(h.body, &p); err != nil || len(p) != 1 {
						t.Errorf("request %d: a Slack body holds only text: %s", i+1, h.body)
					}
					got = append(got, p["text"])
					continue
				}
				var p struct {
					events.Event
					Text string `json:"text"`
				}
				if err := json.Unmarshal(h.body, &p); err != nil {
					t.Fatalf("request %d: %s: %v", i+1, h.body, err)
				}
				if p.Text != alert.Summary(p.Event) {
					t.Errorf("request %d: text %q, want the Summary %q", i+1, p.Text, alert.Summary(p.Event))
				}
				got = append(got, brief(p.Event))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("alerts:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if s := c.Stats().Webhook; s.Delivered != uint64(len(tt.want)) || s.Failed+s.Dropped != 0 {
				t.Errorf("webhook Stats %+v, want %d delivered", s, len(tt.want))
			}
		})
	}
}

// TestChainPayload checks a forwarded event arrives whole, and what a
// burst alert carries, field by field.
func TestChainPayload(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	clock := testutil.NewClock(t0)
	c := chainFor(t, rc, "", clock)
	exp := events.Event{Type: events.CertExpiring, Severity: events.High, Time: t0, Site: "shop", Names: []string{"shop.example", "www.shop.example"},
		Source: "acme", Issuer: "R11", NotAfter: t0.Add(20 * time.Hour), Threshold: 24 * time.Hour, Message: "certificate for shop.example expires in 20h"}
	c.Send(exp)
	for range 20 {
		clock.Advance(time.Second)
		c.Send(events.Event{Type: events.HostRejected, Severity: events.Low, Time: clock.Now(), Client: "203.0.113.7", Host: "admin.internal", Method: "GET", Path: "/"})
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	hits := rc.got()
	if len(hits) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(hits))
	}
	var got [2]events.Event
	for i, h := range hits {
		if err := json.Unmarshal(h.body, &got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got[0], exp) {
		t.Errorf("forwarded event\n  %+v\nwant\n  %+v", got[0], exp)
	}
	want := events.Event{Type: events.AlertFired, Severity: events.Medium, Time: t0.Add(20 * time.Second), Rule: "refused-hosts", Client: "203.0.113.7",
		Message: "20 events (host.rejected) from client 203.0.113.7 within 1m"}
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("alert\n  %+v\nwant\n  %+v", got[1], want)
	}
	var fields map[string]any
	json.Unmarshal(hits[1].body, &fields)
	if fields["severity"] != "medium" || fields["type"] != "alert.fired" {
		t.Errorf("alert body %s", hits[1].body)
	}
	st := c.Stats()
	if st.Rules != (alert.RulesStats{Counted: 21, Fired: 1, Forwarded: 1}) || st.MinSeverity != (events.Stats{Passed: 2}) ||
		st.Dedup != (events.Stats{Passed: 2}) || st.Webhook != (alert.Stats{Delivered: 2}) {
		t.Errorf("Stats %+v", st)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	if _, err := alert.New(config.Alerts{}, alert.Options{}); err == nil || !strings.Contains(err.Error(), "no webhook") {
		t.Errorf("New without a webhook: %v", err)
	}
	a := config.Alerts{Webhook: "http://127.0.0.1:1/", Format: "json", Rules: []config.AlertRule{{Name: "x", Events: []string{"nope"}}}}
	if _, err := alert.New(a, alert.Options{}); err == nil || !strings.Contains(err.Error(), `"nope" is not an event type`) {
		t.Errorf("New with a bad rule: %v", err)
	}
	a = config.Alerts{Webhook: "http://127.0.0.1:1/", Format: "xml"}
	if _, err := alert.New(a, alert.Options{}); err == nil || !strings.Contains(err.Error(), `Format "xml"`) {
		t.Errorf("New with a bad format: %v", err)
	}
}
