package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
)

func ExampleNewWebhook() {
	// A receiver standing in for an incident tool.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		json.NewDecoder(r.Body).Decode(&p)
		fmt.Println(r.Header.Get("Content-Type"), p.Type)
		fmt.Println(p.Text)
	}))
	defer srv.Close()

	w, err := alert.NewWebhook(alert.WebhookOptions{URL: srv.URL + "/hooks/portcullis", Secret: "s3cret"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The webhook sends all it is given: decorators choose what.
	var sev, dup events.Counter
	var bus events.Bus
	bus.Subscribe(events.MinSeverity(events.Medium, &sev, events.Dedup(24*time.Hour, nil, nil, &dup, w.Send)))

	notAfter := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	expiring := events.Event{
		Type:      events.CertExpiring,
		Severity:  events.Medium,
		Site:      "example.com",
		Names:     []string{"example.com", "www.example.com"},
		NotAfter:  notAfter,
		Threshold: 14 * 24 * time.Hour,
		Message:   "certificate expires in 14d (" + notAfter.Format(time.RFC3339) + ")",
	}
	bus.Emit(events.Event{Type: events.CertRenewed, Severity: events.Info, Site: "example.com"}) // info: not an alert
	bus.Emit(expiring)
	bus.Emit(expiring) // the same condition again: de-duplicated

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%+v %+v %+v\n", sev.Stats(), dup.Stats(), w.Stats())
	// Output:
	// application/json cert.expiring
	// [medium] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)
	// {Passed:2 Dropped:1 Overflow:0} {Passed:1 Dropped:1 Overflow:0} {Delivered:1 Failed:0 Dropped:0 Retries:0 Claimed:0 ClaimErrors:0}
}

func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct{ Text string }
		json.NewDecoder(r.Body).Decode(&p)
		fmt.Println(p.Text)
	}))
	defer srv.Close()

	cfg, err := config.Parse("portcullis.toml", []byte(`
[alerts]
webhook = "`+srv.URL+`"
format = "slack"

[[alerts.rule]]
name = "scanner"
events = ["host.rejected", "request.malformed"]
threshold = 3
window = "1m"
per = "client"

[[site]]
hosts = ["shop.example"]
upstream = "http://127.0.0.1:8000"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	chain, err := alert.New(cfg.Alerts, alert.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	var bus events.Bus
	bus.Subscribe(chain.Send)
	for _, host := range []string{"admin.internal", "db.internal", "git.internal", "jenkins.internal"} {
		bus.Emit(events.Event{Type: events.HostRejected, Severity: events.Low, Host: host, Client: "203.0.113.7"})
		now = now.Add(10 * time.Second)
	}
	chain.Close(context.Background())
	fmt.Printf("%+v\n", chain.Stats().Rules)
	// Output:
	// [medium] alert.fired rule=scanner client=203.0.113.7: 3 events (host.rejected, request.malformed) from client 203.0.113.7 within 1m
	// {Counted:4 Fired:1 Forwarded:0 Quiet:1 Overflow:0}
}
