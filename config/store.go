package config

import (
	"strings"
	"time"
)

// This file decodes and validates [store] and [reports].

// Store configures the store of security events and browser reports, in
// the data directory (package store).
type Store struct {
	// Retention is how long events and report aggregates (since their
	// latest report) are kept. Default 30 days.
	Retention time.Duration
	// MaxBytes bounds the store's file: the oldest events and aggregates
	// are deleted first to stay within it. Default 256 MiB; at least
	// MinStoreBytes.
	MaxBytes int64
}

// Defaults of [store], as package store has them.
const (
	DefaultStoreRetention = 30 * 24 * time.Hour
	DefaultStoreMaxBytes  = 256 << 20
	// MinStoreBytes is the smallest store.max_bytes accepted.
	MinStoreBytes = 1 << 20
)

// Reports configures the collector of browser reports (package reports):
// CSP violations and other Reporting API reports, POSTed by browsers to
// Path on every site.
type Reports struct {
	// Enabled mounts the collector on every site. Default true.
	Enabled bool
	// Path is where the collector answers on every site's hosts; the
	// path to name in a CSP report-uri. Default DefaultReportsPath.
	Path string
	// MaxBody bounds a report body (413 beyond). Default 64 KiB; from
	// 1 KiB to 1 MiB.
	MaxBody int64
	// Rate is how many report requests one client (an IPv4 address, an
	// IPv6 /64) may send a minute (429 beyond). Default 60.
	Rate int
}

// Defaults of [reports], as package reports has them.
const (
	DefaultReportsPath    = "/_portcullis/reports"
	DefaultReportsMaxBody = 64 << 10
	DefaultReportsRate    = 60
)

func defaultStore() Store {
	return Store{Retention: DefaultStoreRetention, MaxBytes: DefaultStoreMaxBytes}
}

func defaultReports() Reports {
	return Reports{Enabled: true, Path: DefaultReportsPath, MaxBody: DefaultReportsMaxBody, Rate: DefaultReportsRate}
}

// store decodes [store].
func (d *decoder) store(s *Store, t *table) {
	set(&s.Retention, t.duration("retention"))
	set(&s.MaxBytes, t.size("max_bytes"))
	t.close()
}

// reports decodes [reports].
func (d *decoder) reports(r *Reports, t *table) {
	set(&r.Enabled, t.boolean("enabled"))
	set(&r.Path, t.str("path"))
	set(&r.MaxBody, t.size("max_body"))
	set(&r.Rate, t.integer("rate"))
	t.close()
}

func (v *validator) store() {
	s := v.c.Store
	if s.Retention <= 0 && !v.bad(dotted("store.retention")) {
		v.report("store.retention", "must be positive (how long events are kept, e.g. \"30d\")")
	}
	if s.MaxBytes < MinStoreBytes && !v.bad(dotted("store.max_bytes")) {
		v.report("store.max_bytes", "%d bytes is less than the minimum, 1MiB", s.MaxBytes)
	}
}

func (v *validator) reports() {
	r := v.c.Reports
	if !v.bad(dotted("reports.path")) {
		if msg := checkReportsPath(r.Path); msg != "" {
			v.report("reports.path", "%q %s", r.Path, msg)
		}
	}
	if (r.MaxBody < 1<<10 || r.MaxBody > 1<<20) && !v.bad(dotted("reports.max_body")) {
		v.report("reports.max_body", "%d bytes is not between 1KiB and 1MiB (browsers send a few KiB)", r.MaxBody)
	}
	if r.Rate < 1 && !v.bad(dotted("reports.rate")) {
		v.report("reports.rate", "must be at least 1 (report requests a client may send a minute)")
	}
}

// checkReportsPath returns what is wrong with the collector's path, or "":
// an absolute path of plain segments (letters, digits, "-._~"), which
// every router and upstream reads the same way.
func checkReportsPath(p string) string {
	if !strings.HasPrefix(p, "/") || p == "/" || len(p) > 200 {
		return "is not an absolute path below / (e.g. \"/_portcullis/reports\")"
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "has an empty, \".\" or \"..\" segment"
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
				return "has a character other than letters, digits and -._~ between its slashes"
			}
		}
	}
	return ""
}
