package events_test

import (
	"fmt"
	"time"

	"github.com/portcullis/portcullis/events"
)

// A chain of decorators in front of a sink: only medium and above, each
// condition once an hour, at most two a minute per client. Each Counter
// says what its stage let through and dropped.
func Example_chain() {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	print := func(e events.Event) { fmt.Println("sent:", e.Type, e.Client, e.Path) }

	var sev, dup, rate events.Counter
	sink := events.MinSeverity(events.Medium, &sev,
		events.Dedup(time.Hour, func(e events.Event) string { return e.Type + " " + e.Client + " " + e.Path }, clock, &dup,
			events.RateLimit(2, time.Minute, func(e events.Event) string { return e.Client }, clock, &rate,
				print)))

	var bus events.Bus
	bus.Subscribe(sink)
	for _, path := range []string{"/a", "/b", "/a", "/c", "/d"} {
		bus.Emit(events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Client: "192.0.2.7", Path: path})
	}
	bus.Emit(events.Event{Type: events.MethodRefused, Severity: events.Low, Client: "192.0.2.7"})
	now = now.Add(time.Minute)
	bus.Emit(events.Event{Type: events.CrossOriginBlocked, Severity: events.Medium, Client: "192.0.2.7", Path: "/e"})

	fmt.Printf("min severity %+v\ndedup        %+v\nrate limit   %+v\n", sev.Stats(), dup.Stats(), rate.Stats())
	// Output:
	// sent: crossorigin.blocked 192.0.2.7 /a
	// sent: crossorigin.blocked 192.0.2.7 /b
	// sent: crossorigin.blocked 192.0.2.7 /e
	// min severity {Passed:6 Dropped:1 Overflow:0}
	// dedup        {Passed:5 Dropped:1 Overflow:0}
	// rate limit   {Passed:3 Dropped:2 Overflow:0}
}
