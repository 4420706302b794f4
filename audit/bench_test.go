package audit

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"
)

// BenchmarkAuditOne is a full audit of one loopback site behind shield,
// TLS enumeration included (target of issue 5: ≤ 2 s).
func BenchmarkAuditOne(b *testing.B) {
	ca := newTestCA(b)
	f := serve(b, "one.test", ca.issue(b, certOpts{names: []string{"one.test"}}), hardened(b, "one.test", nil))
	o := Options{Roots: ca.pool, Resolve: f.resolve, Timeout: 5 * time.Second}
	b.ResetTimer()
	for range b.N {
		rep := Run(context.Background(), []Target{f.target}, o)[0]
		if rep.Grade.Letter != "A+" || rep.TLS == nil {
			b.Fatalf("grade %s, errors %v", rep.Grade.Letter, rep.Errors)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/audit")
}

// BenchmarkAudit200 audits 200 loopback sites with 50 at a time (target
// of issue 5: ≤ 30 s).
func BenchmarkAudit200(b *testing.B) {
	ca := newTestCA(b)
	var targets []Target
	resolve := map[string]string{}
	for i := range 200 {
		host := fmt.Sprintf("s%03d.test", i)
		f := serve(b, host, ca.issue(b, certOpts{names: []string{host}}), hardened(b, host, nil))
		targets = append(targets, f.target)
		maps.Copy(resolve, f.resolve)
	}
	o := Options{Roots: ca.pool, Resolve: resolve, Timeout: 10 * time.Second, Concurrency: 50}
	b.ResetTimer()
	for range b.N {
		for _, rep := range Run(context.Background(), targets, o) {
			if rep.Grade.Letter != "A+" {
				b.Fatalf("%s: grade %s, errors %v", rep.Target, rep.Grade.Letter, rep.Errors)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/200-targets")
}
