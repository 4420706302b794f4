package shield

import (
	"fmt"
	"strings"
	"testing"
)

// linearRoute is what Router replaces: AllowsHost on each Shield in turn.
func linearRoute(shields []*Shield, host string) int {
	for i, s := range shields {
		if s.AllowsHost(host) {
			return i
		}
	}
	return -1
}

func mustShields(t testing.TB, hosts ...[]string) []*Shield {
	t.Helper()
	var out []*Shield
	for _, h := range hosts {
		s, err := New(Options{Hosts: h})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestRouter(t *testing.T) {
	shields := mustShields(t,
		[]string{"shop.example.com", "www.shop.example.com"},
		[]string{".example.com"},    // example.com and every subdomain not claimed before
		[]string{"api.example.com"}, // shadowed by the pattern above: first wins
		[]string{"10.0.0.1", "[2001:db8::1]"},
		[]string{"Other.TEST", ".deep.other.test"},
		[]string{"*"},
	)
	r := NewRouter(shields)
	for _, tc := range []struct {
		host string
		want int
	}{
		{"shop.example.com", 0},
		{"SHOP.example.com:443", 0},
		{"www.shop.example.com", 0},
		{"x.shop.example.com", 1}, // not listed by site 0: the pattern of site 1
		{"example.com", 1},
		{"a.b.example.com:8443", 1},
		{"api.example.com", 1},
		{"10.0.0.1", 3},
		{"10.0.0.1:80", 3},
		{"[2001:db8::1]:443", 3},
		{"[2001:DB8:0::1]", 3},
		{"[::ffff:10.0.0.1]", 3},
		{"other.test", 4},
		{"x.deep.other.test", 4},
		{"deep.other.test", 4},
		{"unknown.test", 5},
		{"", -1},
		{"bad host", -1},
		{"[::1", -1},
		{"a.example.com:", -1},
	} {
		if got, lin := r.Route(tc.host), linearRoute(shields, tc.host); got != tc.want || lin != tc.want {
			t.Errorf("Route(%q) = %d, linear scan %d, want %d", tc.host, got, lin, tc.want)
		}
	}
	if got := NewRouter(shields[:5]).Route("unknown.test"); got != -1 {
		t.Errorf("without a catch-all: %d", got)
	}
}

// FuzzRouter: the index finds exactly what the linear scan finds, for
// any Host header over a fixed set of sites with overlapping patterns.
func FuzzRouter(f *testing.F) {
	shields := mustShields(f,
		[]string{"a.test", "B.a.test"},
		[]string{".a.test", "0.0.1"},
		[]string{".0.0.1", "127.0.0.1"},
		[]string{"::1", "x.y.z"},
		[]string{".y.z", ".z"},
	)
	r := NewRouter(shields)
	for _, s := range []string{"a.test", "b.a.test", "C.B.A.TEST:1", "10.0.0.1", "127.0.0.1:8080", "[::1]", "[::ffff:127.0.0.1]",
		"q.y.z", "z", "y.z", "..z", "a.test.", ".a.test", "x.y.z:99999", "[::1]:", "", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if got, want := r.Route(host), linearRoute(shields, host); got != want {
			t.Fatalf("Route(%q) = %d, linear scan %d", host, got, want)
		}
	})
}

// BenchmarkRoute compares the index with the linear scan it replaces,
// for a server of 1,000 sites and a Host served by the last one.
func BenchmarkRoute(b *testing.B) {
	var hosts [][]string
	for i := range 1000 {
		hosts = append(hosts, []string{fmt.Sprintf("site%d.example.com", i), fmt.Sprintf(".site%d.example.net", i)})
	}
	shields := mustShields(b, hosts...)
	host := "www.site999.example.net:443"
	if !strings.Contains(host, "999") || linearRoute(shields, host) != 999 {
		b.Fatal("the benchmark's host is not served by the last site")
	}
	b.Run("index", func(b *testing.B) {
		r := NewRouter(shields)
		b.ReportAllocs()
		for b.Loop() {
			if r.Route(host) != 999 {
				b.Fatal("wrong site")
			}
		}
	})
	b.Run("linear", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if linearRoute(shields, host) != 999 {
				b.Fatal("wrong site")
			}
		}
	})
}
