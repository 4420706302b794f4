package expiry_test

import (
	"fmt"
	"time"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/expiry"
)

func ExampleNew() {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	served := []expiry.Cert{{
		Site: "shop",
		Info: certs.Info{
			Names:    []string{"shop.example"},
			Source:   certs.SourceACME,
			Serial:   "3f1a",
			NotAfter: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
		},
	}}
	m, err := expiry.New(expiry.Options{
		Certificates: func() []expiry.Cert { return served },
		Now:          func() time.Time { return now },
		Emit: func(e events.Event) {
			fmt.Println(e.Type, e.Severity, e.Threshold, "-", e.Message)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Check() // 9.5 days left: the 14-day threshold (30 days is skipped)
	m.Check() // nothing new
	now = now.Add(3 * 24 * time.Hour)
	m.Check() // 6.5 days left: the 7-day threshold
	// Output:
	// cert.expiring medium 336h0m0s - certificate for shop.example expires in 9d 12h (2026-12-03T00:00:00Z)
	// cert.expiring medium 168h0m0s - certificate for shop.example expires in 6d 12h (2026-12-03T00:00:00Z)
}
