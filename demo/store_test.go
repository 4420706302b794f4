package demo

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestValidToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{newToken(), true},
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZ", true},
		{"234567ABCDEFGHIJKLMNOPQRST", true},
		{"", false},
		{"ABCDEFGHIJKLMNOPQRSTUVWXY", false},   // 25
		{"ABCDEFGHIJKLMNOPQRSTUVWXYZA", false}, // 27
		{"abcdefghijklmnopqrstuvwxyz", false},  // lower case
		{"ABCDEFGHIJKLMNOPQRSTUVWXY1", false},  // 1 is not base32
		{"ABCDEFGHIJKLMNOPQRSTUVWXY=", false},
		{"ABCDEFGHIJKLMNOPQRSTUVWXÉ", false},
	}
	for _, tt := range tests {
		if got := validToken(tt.in); got != tt.want {
			t.Errorf("validToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if a, b := newToken(), newToken(); a == b {
		t.Error("two tokens are equal")
	}
}

func TestParseIP(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1:4711", "192.0.2.1", true},
		{"2001:db8::1", "2001:db8::1", true},
		{"2001:DB8:0::1", "2001:db8::1", true},
		{"[2001:db8::1]", "2001:db8::1", true},
		{"[2001:db8::1]:443", "2001:db8::1", true},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"fe80::1%eth0", "fe80::1", true},
		{"", "", false},
		{"unknown", "", false},
		{"[192.0.2.1]", "", false},
		{"[]", "", false},
		{"192.0.2.256", "", false},
		{"192.0.2.1 ", "", false},
		{"<script>", "", false},
		{"_hidden", "", false},
	}
	for _, tt := range tests {
		got, ok := parseIP(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseIP(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name   string
		xff    []string
		remote string
		want   string
	}{
		{"no header", nil, "192.0.2.9:1234", "192.0.2.9"},
		{"one", []string{"203.0.113.7"}, "127.0.0.1:1", "203.0.113.7"},
		{"rightmost of a list", []string{"198.51.100.1, 203.0.113.7"}, "127.0.0.1:1", "203.0.113.7"},
		{"rightmost of lines", []string{"198.51.100.1", "203.0.113.8"}, "127.0.0.1:1", "203.0.113.8"},
		{"garbage falls back to the peer", []string{"203.0.113.7, nonsense"}, "127.0.0.1:1", "127.0.0.1"},
		{"empty element", []string{"203.0.113.7,"}, "[::1]:80", "::1"},
		{"no usable peer", nil, "@", "unknown"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientIP(r); got != tt.want {
			t.Errorf("%s: clientIP = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestScheme(t *testing.T) {
	tests := []struct{ xfp, want string }{
		{"", "http"},
		{"https", "https"},
		{"HTTPS", "https"},
		{" https , http", "https"},
		{"http", "http"},
		{"ftp", "http"},
		{"<b>", "http"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.xfp != "" {
			r.Header.Set("X-Forwarded-Proto", tt.xfp)
		}
		if got := scheme(r); got != tt.want {
			t.Errorf("scheme(X-Forwarded-Proto %q) = %q, want %q", tt.xfp, got, tt.want)
		}
	}
}

func TestSessionStoreBounded(t *testing.T) {
	s := newSessionStore(3, time.Hour)
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = s.create("u"+strconv.Itoa(i), t0.Add(time.Duration(i)*time.Minute))
	}
	if n := s.len(); n != 3 {
		t.Fatalf("%d sessions stored, cap 3", n)
	}
	if _, ok := s.get(ids[0], t0.Add(5*time.Minute)); ok {
		t.Error("the oldest session survived eviction")
	}
	for _, id := range ids[1:] {
		if _, ok := s.get(id, t0.Add(5*time.Minute)); !ok {
			t.Errorf("session %s evicted instead of the oldest", id)
		}
	}
	// Expired sessions are swept before anything live is evicted.
	later := t0.Add(time.Hour + 90*time.Second) // ids[1] (t0+1m) has expired
	id := s.create("new", later)
	if _, ok := s.get(id, later); !ok {
		t.Error("new session missing")
	}
	for _, old := range ids[2:] {
		if _, ok := s.get(old, later); !ok {
			t.Errorf("live session %s evicted while an expired one could be swept", old)
		}
	}
	// A periodic sweep removes expired sessions nobody asks for.
	s.create("late", t0.Add(3*time.Hour))
	if n := s.len(); n != 1 {
		t.Errorf("%d sessions after a sweep three hours on, want 1", n)
	}
	for _, bad := range []string{"", "x", ids[3] + "A"} {
		if _, ok := s.get(bad, t0); ok {
			t.Errorf("get(%q) found a session", bad)
		}
		s.delete(bad) // no effect, no panic
	}
}

func TestLimiterBounded(t *testing.T) {
	l := newLimiter(2, 3, time.Minute)
	for range 3 {
		l.fail("a", t0)
	}
	if _, blocked := l.blocked("a", t0); !blocked {
		t.Fatal("a not blocked after 3 failures")
	}
	l.fail("b", t0)
	// The table is full: c and d share the overflow bucket.
	l.fail("c", t0)
	l.fail("d", t0)
	if _, blocked := l.blocked("e", t0); blocked {
		t.Error("overflow bucket blocked after 2 failures")
	}
	l.fail("e", t0)
	if wait, blocked := l.blocked("f", t0.Add(10*time.Second)); !blocked || wait != 50*time.Second {
		t.Errorf("overflow bucket: blocked %v, wait %v; want true, 50s", blocked, wait)
	}
	if _, blocked := l.blocked("b", t0); blocked {
		t.Error("b (1 failure) blocked by the overflow bucket")
	}
	if _, blocked := l.blocked("a", t0); !blocked {
		t.Error("a's count was lost when the table filled")
	}
	if n := len(l.m); n != 3 {
		t.Errorf("table holds %d entries, want 2 clients + overflow", n)
	}
	// After the window everything is forgotten and swept.
	later := t0.Add(time.Minute)
	if _, blocked := l.blocked("a", later); blocked {
		t.Error("a still blocked after the window")
	}
	l.fail("g", later)
	if n := len(l.m); n != 1 {
		t.Errorf("table holds %d entries after the sweep, want 1", n)
	}
}
