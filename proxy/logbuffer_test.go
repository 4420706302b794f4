package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/testutil"
)

// writes records each Write it receives.
type writes struct {
	mu  sync.Mutex
	got []string
	err error
}

func (w *writes) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, string(p))
	return len(p), w.err
}

func (w *writes) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

func TestLogBuffer(t *testing.T) {
	// Each step writes a line, or flushes ("flush") or closes ("close")
	// the buffer; want is every Write the underlying writer got by then.
	tests := []struct {
		name  string
		size  int
		steps []string
		want  []string
	}{
		{"nothing written before the buffer fills", 16, []string{"aaaa\n", "bbbb\n"}, nil},
		{"flush writes the lines at once", 16, []string{"aaaa\n", "bbbb\n", "flush"}, []string{"aaaa\nbbbb\n"}},
		{"a full buffer goes out before the line that does not fit", 10,
			[]string{"aaaa\n", "bbbb\n", "cccc\n"}, []string{"aaaa\nbbbb\n"}},
		{"exactly full stays", 10, []string{"aaaa\n", "bbbb\n"}, nil},
		{"a line larger than the buffer is written alone, after the others", 8,
			[]string{"aa\n", "0123456789\n", "bb\n", "flush"}, []string{"aa\n", "0123456789\n", "bb\n"}},
		{"flush of an empty buffer writes nothing", 16, []string{"flush", "flush"}, nil},
		{"close flushes, then writes go through", 16,
			[]string{"aa\n", "close", "bb\n", "cc\n"}, []string{"aa\n", "bb\n", "cc\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &writes{}
			b := NewLogBuffer(out, tt.size, time.Hour)
			defer b.Close()
			for _, s := range tt.steps {
				var err error
				switch s {
				case "flush":
					err = b.Flush()
				case "close":
					err = b.Close()
				default:
					var n int
					if n, err = b.Write([]byte(s)); n != len(s) {
						t.Errorf("Write(%q) = %d", s, n)
					}
				}
				if err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			if got := out.list(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("writes = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogBufferInterval(t *testing.T) {
	out := &writes{}
	b := NewLogBuffer(out, 1<<10, time.Millisecond)
	defer b.Close()
	b.Write([]byte("a\n"))
	testutil.Eventually(t, 5*time.Second, "the timer's flush", func() bool { return len(out.list()) == 1 })
	b.Write([]byte("b\n")) // the timer is armed again by the next line
	testutil.Eventually(t, 5*time.Second, "the second flush", func() bool { return len(out.list()) == 2 })
	if got := strings.Join(out.list(), ""); got != "a\nb\n" {
		t.Errorf("written %q", got)
	}
}

func TestLogBufferWriteError(t *testing.T) {
	boom := errors.New("disk full")
	out := &writes{err: boom}
	b := NewLogBuffer(out, 1<<10, time.Hour)
	if _, err := b.Write([]byte("a\n")); err != nil {
		t.Fatalf("Write: %v (errors are reported by Flush)", err)
	}
	if err := b.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush = %v, want %v", err, boom)
	}
	if err := b.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
}

// TestLogBufferConcurrent writes from many goroutines (run with -race):
// every line arrives whole, once.
func TestLogBufferConcurrent(t *testing.T) {
	out := &writes{}
	b := NewLogBuffer(out, 100, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(b, "g%d line %03d\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(strings.Join(out.list(), ""), "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] || len(l) != len("g0 line 000") {
			t.Fatalf("line %q torn or repeated", l)
		}
		seen[l] = true
	}
	if len(seen) != 8*200 {
		t.Errorf("%d lines, want %d", len(seen), 8*200)
	}
}

// TestAccessLogFlushesWhenIdle: with a LogBuffer as Out, a line waits in
// the buffer only while other requests are in flight; the last request
// to finish writes every waiting line.
func TestAccessLogFlushesWhenIdle(t *testing.T) {
	out := &writes{}
	buf := NewLogBuffer(out, 1<<20, time.Hour)
	defer buf.Close()
	release := make(chan struct{})
	entered := make(chan struct{})
	h := AccessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "ok")
	}), AccessLogOptions{Out: buf, Format: "common"})
	serve := func(path string) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "http://app.example"+path, nil))
	}

	serve("/alone")
	if got := out.list(); len(got) != 1 || !strings.Contains(got[0], "/alone") {
		t.Fatalf("a lone request's line was not written at once: %q", got)
	}

	done := make(chan struct{})
	go func() { serve("/slow"); close(done) }()
	<-entered
	serve("/fast") // finishes while /slow is in flight: buffered
	if got := out.list(); len(got) != 1 {
		t.Fatalf("written while a request was in flight: %q", got[1:])
	}
	close(release)
	<-done
	got := out.list()
	if len(got) != 2 || !strings.Contains(got[1], "/fast") || !strings.Contains(got[1], "/slow") {
		t.Errorf("after the last request: writes %q, want one with both lines", got)
	}
}

// TestAccessLogAllocs guards the access log's cost: no allocation per
// request, its line included, with the buffer portcullis serve uses.
func TestAccessLogAllocs(t *testing.T) {
	if testutil.Race {
		t.Skip("the race detector's sync.Pool drops objects at random: allocations are not exact")
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	for _, format := range []string{"json", "common"} {
		t.Run(format, func(t *testing.T) {
			buf := NewLogBuffer(io.Discard, 0, time.Hour)
			defer buf.Close()
			h := AccessLog(app, AccessLogOptions{Format: format, Out: buf})
			req := httptest.NewRequest("GET", "http://app.example/path", nil)
			w := &discardWriter{h: http.Header{}}
			if n := testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) }); n != 0 {
				t.Errorf("%v allocations per request, want 0", n)
			}
		})
	}
}
