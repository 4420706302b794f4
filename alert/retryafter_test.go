package alert

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 7 ", 7 * time.Second, true},
		{"007", 7 * time.Second, true},
		{"86400", maxRetryAfter, true},
		{"86401", maxRetryAfter, true},
		{"99999999999999999999999999", maxRetryAfter, true},
		{"Mon, 23 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Monday, 23-Nov-26 12:01:00 GMT", time.Minute, true}, // RFC 850
		{"Mon Nov 23 12:00:05 2026", 5 * time.Second, true},   // asctime
		{"Sun, 22 Nov 2026 12:00:00 GMT", 0, true},            // in the past
		{"Fri, 01 Jan 2027 00:00:00 GMT", maxRetryAfter, true},
		{"", 0, false},
		{"   ", 0, false},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5s", 0, false},
		{"٣", 0, false}, // a non-ASCII digit
		{"tomorrow", 0, false},
		{"Mon, 23 Nov 2026 12:00:30", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzRetryAfter checks that any value parses to a delay in
// [0, maxRetryAfter] in whole seconds that renders back as delay-seconds
// to the same delay, that every all-digit value is accepted, and that
// any date rendered as an HTTP-date parses back to its distance from now.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{
		"0", "1", "120", "86400", "86401", "18446744073709551616", " 3\t",
		"Mon, 23 Nov 2026 12:00:30 GMT", "Monday, 23-Nov-26 12:01:00 GMT",
		"Mon Nov 23 12:00:05 2026", "Sun, 06 Nov 1994 08:49:37 GMT",
		"", "-1", "+1", "1e3", "0x10", "Mon, 32 Nov 2026 12:00:30 GMT", "\x00", "٣",
	} {
		f.Add(s, int64(1795435200))
	}
	f.Add("Fri, 31 Dec 9999 23:59:59 GMT", int64(-62135596800))
	f.Fuzz(func(t *testing.T, s string, unix int64) {
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		d, ok := retryAfter(s, now)
		if !ok {
			if d != 0 {
				t.Fatalf("retryAfter(%q) rejected with delay %v", s, d)
			}
			if isDigits(s) {
				t.Fatalf("retryAfter(%q) rejected delay-seconds", s)
			}
		} else {
			if d < 0 || d > maxRetryAfter || d%time.Second != 0 {
				t.Fatalf("retryAfter(%q) = %v: out of range or not whole seconds", s, d)
			}
			secs := strconv.FormatInt(int64(d/time.Second), 10)
			if again, ok := retryAfter(secs, now); !ok || again != d {
				t.Fatalf("retryAfter(%q) = %v, but its rendering %q gives %v, %v", s, d, secs, again, ok)
			}
		}

		// Any instant in years 1..9999, rendered as an HTTP-date.
		const lo, hi = -62135596800, 253402300799
		at := time.Unix(lo+int64(uint64(unix)%uint64(hi-lo+1)), 0).UTC()
		date := at.Format(http.TimeFormat)
		want := min(max(at.Sub(now), 0), maxRetryAfter)
		if got, ok := retryAfter(date, now); !ok || got != want {
			t.Fatalf("retryAfter(%q) = %v, %v; want %v", date, got, ok, want)
		}
	})
}
