package store_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/store"
)

// The store lives in the data directory; a Queue in front of it takes
// events from the bus without blocking, and reports from the reports
// handler.
func Example() {
	dir, _ := os.MkdirTemp("", "portcullis")
	defer os.RemoveAll(dir)

	st, err := store.Open(datadir.Dir(dir), store.Options{Retention: 30 * 24 * time.Hour, MaxBytes: 256 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	q := store.NewQueue(st, store.QueueOptions{})

	var bus events.Bus
	bus.Subscribe(q.Event)
	bus.Emit(events.Event{Type: events.HostRejected, Severity: events.Low, Site: "app", Host: "evil.example", Message: "host not served"})
	bus.Emit(events.Event{Type: events.CertExpiring, Severity: events.Medium, Site: "app", Message: "certificate expires in 14 days"})
	q.AddReports(store.Report{Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "inline", Document: "/login"})
	q.AddReports(store.Report{Site: "app", Type: "csp-violation", Directive: "script-src-elem", Blocked: "inline", Document: "/login"})
	q.Close() // writes what is queued

	evs, _ := st.Events(store.Query{Site: "app", MinSeverity: events.Low})
	for _, e := range evs {
		fmt.Println(e.Type, e.Severity, e.Message)
	}
	aggs, _ := st.Reports(store.ReportQuery{Site: "app"})
	for _, a := range aggs {
		fmt.Println(a.Type, a.Directive, a.Blocked, a.Document, a.Count)
	}
	// Output:
	// cert.expiring medium certificate expires in 14 days
	// host.rejected low host not served
	// csp-violation script-src-elem inline /login 2
}
