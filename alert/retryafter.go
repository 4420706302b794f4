package alert

import (
	"net/http"
	"strings"
	"time"
)

// maxRetryAfter bounds a parsed Retry-After so that no arithmetic on it
// overflows; the webhook caps it further at MaxBackoff.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses a Retry-After header value (RFC 9110, section 10.2.3):
// delay-seconds (1*DIGIT) or an HTTP-date, taken relative to now. The
// delay is never negative (a date in the past means now) and at most
// maxRetryAfter. It reports false when v is neither form.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		const maxSecs = int64(maxRetryAfter / time.Second)
		var secs int64
		for i := 0; i < len(v) && secs <= maxSecs; i++ {
			secs = secs*10 + int64(v[i]-'0')
		}
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// isDigits reports whether s is only ASCII digits (and not empty).
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
