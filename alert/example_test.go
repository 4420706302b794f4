package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/portcullis/portcullis/alert"
	"github.com/portcullis/portcullis/events"
)

func ExampleNewWebhook() {
	// A receiver standing in for Slack, Mattermost or an incident tool.
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
	var bus events.Bus
	bus.Subscribe(w.Send)

	notAfter := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	expiring := events.Event{
		Type:      events.CertExpiring,
		Severity:  events.SeverityWarning,
		Site:      "example.com",
		Names:     []string{"example.com", "www.example.com"},
		NotAfter:  notAfter,
		Threshold: 14 * 24 * time.Hour,
		Message:   "certificate expires in 14d (" + notAfter.Format(time.RFC3339) + ")",
	}
	bus.Emit(events.Event{Type: events.CertRenewed, Severity: events.SeverityInfo, Site: "example.com"}) // info: not an alert
	bus.Emit(expiring)
	bus.Emit(expiring) // the same condition again: de-duplicated

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%+v\n", w.Stats())
	// Output:
	// application/json cert.expiring
	// [warning] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)
	// {Delivered:1 Failed:0 Dropped:0 Deduplicated:1 Filtered:1 Retries:0}
}
