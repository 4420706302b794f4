package audit

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestRunProgress: Progress hears of every start and end, one call at a
// time, with counts that only grow and end at the total.
func TestRunProgress(t *testing.T) {
	var targets []Target
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close() // refused at once: the quickest audit there is
		targets = append(targets, Target{Host: "127.0.0.1", HTTPSPort: port, HTTPPort: port})
	}
	var calls []Progress
	inCall := false
	reps := Run(context.Background(), targets, Options{Concurrency: 2, Timeout: 2 * time.Second, Progress: func(p Progress) {
		if inCall {
			t.Error("Progress called concurrently")
		}
		inCall = true
		calls = append(calls, p)
		time.Sleep(time.Millisecond) // widen the window a concurrent call would hit
		inCall = false
	}})
	if len(calls) != 2*len(targets) {
		t.Fatalf("%d calls, want %d", len(calls), 2*len(targets))
	}
	ends := 0
	for i, c := range calls {
		if c.Total != len(targets) || c.Started < c.Done || c.Started-c.Done > 2 {
			t.Errorf("call %d: %+v (concurrency 2)", i, c)
		}
		if i > 0 && (c.Done < calls[i-1].Done || c.Started < calls[i-1].Started) {
			t.Errorf("call %d: counts went back: %+v after %+v", i, c, calls[i-1])
		}
		if c.Report != nil {
			ends++
			if c.Done != ends || c.Report.Target != c.Target.String() {
				t.Errorf("end %d: %+v", ends, c)
			}
		}
	}
	if last := calls[len(calls)-1]; last.Done != len(targets) || last.Report == nil || len(reps) != len(targets) {
		t.Errorf("last call %+v", last)
	}
}
