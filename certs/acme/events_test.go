package acme

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
)

// TestOnEvent checks how certmagic's events become portcullis events:
// type, severity (the catalog's scale), site, message and error.
func TestOnEvent(t *testing.T) {
	t.Parallel()
	fail := errors.New("urn:ietf:params:acme:error:rateLimited")
	tests := []struct {
		name   string
		event  string
		data   map[string]any
		want   events.Event // Time and Source are checked apart
		absent bool
	}{
		{"obtained", "cert_obtained", map[string]any{"identifier": "shop.example"},
			events.Event{Type: events.CertObtained, Severity: events.Info, Site: "shop", Names: []string{"shop.example"},
				Message: "certificate for shop.example obtained"}, false},
		{"renewed", "cert_obtained", map[string]any{"identifier": "shop.example", "renewal": true},
			events.Event{Type: events.CertRenewed, Severity: events.Info, Site: "shop", Names: []string{"shop.example"},
				Message: "certificate for shop.example renewed"}, false},
		{"obtain failed", "cert_failed", map[string]any{"identifier": "new.example", "error": fail},
			events.Event{Type: events.CertObtainFailed, Severity: events.High, Names: []string{"new.example"},
				Message: "could not obtain a certificate for new.example; retrying", Error: fail.Error()}, false},
		{"renewal failed", "cert_failed", map[string]any{"identifier": "shop.example", "renewal": true, "remaining": 48 * time.Hour, "error": fail},
			events.Event{Type: events.CertRenewalFailed, Severity: events.High, Site: "shop", Names: []string{"shop.example"},
				Message: "could not renew the certificate for shop.example; the current one stays in service and renewal is retried (it expires in 48h0m0s)", Error: fail.Error()}, false},
		{"renewal failed, expired", "cert_failed", map[string]any{"identifier": "shop.example", "renewal": true, "remaining": -time.Minute},
			events.Event{Type: events.CertRenewalFailed, Severity: events.Critical, Site: "shop", Names: []string{"shop.example"},
				Message: "could not renew the certificate for shop.example, which has expired; retrying"}, false},
		{"other events are not emitted", "cached_managed_cert", map[string]any{"identifier": "shop.example"}, events.Event{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []events.Event
			m := &Manager{o: Options{Emit: func(e events.Event) { got = append(got, e) }}, owners: map[string]string{"shop.example": "shop"}}
			if err := m.onEvent(context.Background(), tt.event, tt.data); err != nil {
				t.Fatal(err)
			}
			if tt.absent {
				if len(got) != 0 {
					t.Errorf("emitted %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("emitted %d events, want 1", len(got))
			}
			e := got[0]
			if e.Time.IsZero() || e.Source != "acme" {
				t.Errorf("time %v, source %q", e.Time, e.Source)
			}
			e.Time, e.Source = time.Time{}, ""
			if e.Type != tt.want.Type || e.Severity != tt.want.Severity || e.Site != tt.want.Site || e.Message != tt.want.Message ||
				e.Error != tt.want.Error || len(e.Names) != 1 || e.Names[0] != tt.want.Names[0] {
				t.Errorf("event\n  %+v\nwant\n  %+v", e, tt.want)
			}
		})
	}
}
