package securitytxt

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a concurrency-safe settable clock.
type fakeClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}
func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

var handlerStart = time.Date(2029, 6, 1, 15, 30, 0, 0, time.UTC)

func minimal() File {
	return File{Contact: []string{"mailto:security@example.com"}}
}

func serve(t *testing.T, h http.Handler, method string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/.well-known/security.txt", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerRejectsInvalidFiles(t *testing.T) {
	clock := newClock(handlerStart)
	tests := []struct {
		name string
		f    File
		opts HandlerOptions
		want string
	}{
		{"no contact", File{Expires: handlerStart.AddDate(0, 1, 0)}, HandlerOptions{}, CodeContactMissing},
		{"no expires", minimal(), HandlerOptions{}, CodeExpiresMissing},
		{"expired", File{Contact: minimal().Contact, Expires: handlerStart.Add(-time.Second)}, HandlerOptions{}, CodeExpired},
		{"bad uri", File{Contact: []string{"security@example.com"}}, HandlerOptions{ExpiresIn: 24 * time.Hour}, CodeURIInvalid},
		{"http policy", File{Contact: minimal().Contact, Policy: []string{"http://example.com/p"}}, HandlerOptions{ExpiresIn: time.Hour}, CodeURINotHTTPS},
		{"negative roll", minimal(), HandlerOptions{ExpiresIn: -time.Hour}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = clock.now
			h, err := Handler(tt.f, tt.opts)
			if err == nil || h != nil {
				t.Fatalf("Handler() = %v, %v; want an error", h, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestHandlerAcceptsWarnings(t *testing.T) {
	f := minimal()
	f.Expires = handlerStart.AddDate(2, 0, 0) // expires-too-far is only a warning
	if _, err := Handler(f, HandlerOptions{Now: newClock(handlerStart).now}); err != nil {
		t.Fatalf("Handler() error = %v", err)
	}
}

func TestHandlerServes(t *testing.T) {
	f := minimal()
	f.Expires = handlerStart.AddDate(0, 6, 0)
	h, err := Handler(f, HandlerOptions{Now: newClock(handlerStart).now})
	if err != nil {
		t.Fatal(err)
	}
	want := string(f.Render())

	get := serve(t, h, http.MethodGet)
	if get.Code != http.StatusOK || get.Body.String() != want {
		t.Fatalf("GET = %d %q, want 200 %q", get.Code, get.Body.String(), want)
	}
	for k, v := range map[string]string{
		"Content-Type":   "text/plain; charset=utf-8",
		"Cache-Control":  "max-age=3600",
		"Content-Length": strconv.Itoa(len(want)),
	} {
		if got := get.Header().Get(k); got != v {
			t.Errorf("GET %s = %q, want %q", k, got, v)
		}
	}
	etag := get.Header().Get("ETag")
	if len(etag) < 3 || etag[0] != '"' {
		t.Errorf("ETag = %q, want a quoted strong tag", etag)
	}

	head := serve(t, h, http.MethodHead)
	if head.Code != http.StatusOK || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(len(want)) ||
		head.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("HEAD = %d, body %q, headers %v", head.Code, head.Body.String(), head.Header())
	}

	if nm := serve(t, h, http.MethodGet, "If-None-Match", etag); nm.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", nm.Code)
	}

	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodPatch} {
		rec := serve(t, h, m)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s = %d, Allow %q; want 405, \"GET, HEAD\"", m, rec.Code, rec.Header().Get("Allow"))
		}
		if strings.Contains(rec.Body.String(), "Contact") {
			t.Errorf("%s leaked the file: %q", m, rec.Body.String())
		}
	}

	// The handler owns a copy: later changes by the caller do not leak in.
	f.Contact[0] = "mailto:changed@example.com"
	if got := serve(t, h, http.MethodGet).Body.String(); got != want {
		t.Errorf("body changed after caller mutated its File: %q", got)
	}
}

func servedExpires(t *testing.T, h http.Handler) time.Time {
	t.Helper()
	rec := serve(t, h, http.MethodGet)
	f, ps := Parse(rec.Body.Bytes())
	if len(ps) != 0 || f.Expires.IsZero() {
		t.Fatalf("served file does not parse cleanly: %v\n%s", ps, rec.Body.String())
	}
	return f.Expires
}

func TestHandlerRollsExpires(t *testing.T) {
	clock := newClock(handlerStart)
	f := minimal()
	f.Expires = handlerStart.Add(-time.Hour) // ignored when rolling
	roll := 30 * 24 * time.Hour
	h, err := Handler(f, HandlerOptions{ExpiresIn: roll, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2029, 6, 2, 0, 0, 0, 0, time.UTC).Add(roll)
	if got := servedExpires(t, h); !got.Equal(day1) {
		t.Errorf("Expires = %v, want %v", got, day1)
	}
	etag := serve(t, h, http.MethodGet).Header().Get("ETag")

	clock.set(time.Date(2029, 6, 1, 23, 59, 59, 0, time.UTC)) // same day: same body
	if got := servedExpires(t, h); !got.Equal(day1) {
		t.Errorf("later the same day Expires = %v, want %v", got, day1)
	}
	if got := serve(t, h, http.MethodGet).Header().Get("ETag"); got != etag {
		t.Errorf("ETag changed within a day: %q -> %q", etag, got)
	}

	clock.add(time.Second) // midnight: rolls one day
	if got := servedExpires(t, h); !got.Equal(day1.Add(24 * time.Hour)) {
		t.Errorf("next day Expires = %v, want %v", got, day1.Add(24*time.Hour))
	}
	if got := serve(t, h, http.MethodGet).Header().Get("ETag"); got == etag {
		t.Error("ETag did not change with the body")
	}

	clock.add(400 * 24 * time.Hour) // long after: still fresh
	now := clock.now()
	got := servedExpires(t, h)
	if got.Before(now.Add(roll)) || got.After(now.Add(roll+24*time.Hour)) {
		t.Errorf("Expires %v not within [now+ExpiresIn, now+ExpiresIn+1d] for now %v", got, now)
	}
}

func TestHandlerFixedExpiresDoesNotRoll(t *testing.T) {
	clock := newClock(handlerStart)
	f := minimal()
	f.Expires = handlerStart.AddDate(0, 3, 0)
	h, err := Handler(f, HandlerOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	clock.add(10 * 24 * time.Hour)
	if got := servedExpires(t, h); !got.Equal(f.Expires) {
		t.Errorf("Expires = %v, want fixed %v", got, f.Expires)
	}
}

func TestHandlerConcurrent(t *testing.T) {
	clock := newClock(handlerStart)
	roll := 7 * 24 * time.Hour
	h, err := Handler(minimal(), HandlerOptions{ExpiresIn: roll, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	const workers, requests = 8, 50
	var wg sync.WaitGroup
	errs := make(chan string, workers*requests)
	stop := make(chan struct{})
	go func() { // advance the clock by hours while requests run
		for {
			select {
			case <-stop:
				return
			default:
				clock.add(3 * time.Hour)
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	for range workers {
		wg.Go(func() {
			for range requests {
				before := clock.now()
				resp, err := srv.Client().Get(srv.URL + "/.well-known/security.txt")
				if err != nil {
					errs <- err.Error()
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				f, ps := Parse(body)
				if resp.StatusCode != http.StatusOK || len(ps) != 0 {
					errs <- "bad response: " + resp.Status + " " + string(body)
					continue
				}
				if f.Expires.Before(before.Add(roll)) {
					errs <- "stale Expires " + f.Expires.String() + " for request at " + before.String()
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
