package shield

import (
	"net/http"
	"testing"

	"github.com/portcullis/portcullis/internal/testutil"
)

// TestAllocs guards shield's allocations per request, which are exact
// (unlike time), so that a change adding one shows in review. The
// figures are docs/benchmarks.md's targets of issue 2.
func TestAllocs(t *testing.T) {
	if testutil.Race {
		t.Skip("the race detector's sync.Pool drops objects at random: allocations are not exact")
	}
	var cookie []string
	tests := []struct {
		name string
		o    Options
		app  http.HandlerFunc
		max  float64
	}{
		{"static HTTPS GET", djangoLike(), staticApp, 0},
		{"one Set-Cookie hardened", djangoLike(), func(w http.ResponseWriter, r *http.Request) {
			cookie = append(cookie[:0], "sessionid=7f3a9c2e41b8d605; Path=/; Max-Age=1209600")
			w.Header()["Set-Cookie"] = cookie
			staticApp(w, r)
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			h := s.Wrap(tt.app)
			w := &benchWriter{h: make(http.Header, 16)}
			r := browserRequest()
			n := testing.AllocsPerRun(200, func() {
				clear(w.h)
				h.ServeHTTP(w, r)
			})
			if n > tt.max {
				t.Errorf("%v allocations per request, want at most %v", n, tt.max)
			}
		})
	}
}
