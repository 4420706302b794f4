package reports

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/events/eventstest"
	"github.com/portcullis/portcullis/internal/testutil"
	"github.com/portcullis/portcullis/store"
)

// writer records the reports it is given, or fails.
type writer struct {
	mu   sync.Mutex
	reps []store.Report
	fail error
}

func (w *writer) AddEvents(...events.Event) error { return nil }

func (w *writer) AddReports(rs ...store.Report) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return w.fail
	}
	w.reps = append(w.reps, rs...)
	return nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newHandler(o Options) (*Handler, *writer, *eventstest.Recorder, *testutil.Clock) {
	w, s, c := &writer{}, &eventstest.Recorder{}, testutil.NewClock(t0)
	if o.Store == nil {
		o.Store = w
	}
	o.Events, o.Now = s.Sink, c.Now
	if o.Site == "" {
		o.Site = "app"
	}
	return New(o), w, s, c
}

func post(h http.Handler, ct, body string, from string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "https://example.com"+DefaultPath, strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	if from != "" {
		r.RemoteAddr = from
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// TestAccepted: a report is answered 204, stored with the site and the
// time, and emitted as report.received with its directive as Rule.
func TestAccepted(t *testing.T) {
	h, w, s, _ := newHandler(Options{})
	rec := post(h, ContentTypeCSP, cspReports[0].body, "198.51.100.7:5555")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := cspReports[0].want
	want.Site, want.Time = "app", t0
	if len(w.reps) != 1 || w.reps[0] != want {
		t.Errorf("stored %+v, want %+v", w.reps, want)
	}
	evs := s.Take()
	wantEv := events.Event{Type: events.ReportReceived, Severity: events.Low, Time: t0, Site: "app", Rule: "script-src-elem",
		Reason: "csp-violation", Path: "/login", Client: "198.51.100.7",
		Message: "csp-violation: script-src-elem blocked https://evil.example:8443 on /login"}
	if len(evs) != 1 || evs[0].Key() != wantEv.Key() || evs[0].Message != wantEv.Message || evs[0].Severity != wantEv.Severity || evs[0].Path != wantEv.Path {
		t.Errorf("events %+v\nwant %+v", evs, wantEv)
	}

	rec = post(h, ContentTypeReports+"; charset=utf-8", apiReports[2].body, "198.51.100.7:5555")
	if rec.Code != http.StatusNoContent {
		t.Fatalf("reports+json: status %d: %s", rec.Code, rec.Body)
	}
	if evs := s.Take(); len(evs) != 2 || evs[0].Severity != events.Info || evs[1].Rule != "HeavyAdIntervention" || evs[1].Reason != "intervention" {
		t.Errorf("events for a deprecation and an intervention: %+v", evs)
	}
}

// TestPreflight: OPTIONS is a CORS preflight, answered for any origin
// (Chromium sends one before reports+json to another origin).
func TestPreflight(t *testing.T) {
	h, w, s, _ := newHandler(Options{})
	r := httptest.NewRequest(http.MethodOptions, DefaultPath, nil)
	r.Header.Set("Origin", "https://other.example")
	r.Header.Set("Access-Control-Request-Method", "POST")
	r.Header.Set("Access-Control-Request-Headers", "content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	hd := rec.Header()
	if rec.Code != http.StatusNoContent || hd.Get("Access-Control-Allow-Origin") != "*" || hd.Get("Access-Control-Allow-Methods") != "POST" ||
		!strings.EqualFold(hd.Get("Access-Control-Allow-Headers"), "content-type") {
		t.Errorf("preflight: %d %v", rec.Code, hd)
	}
	if len(w.reps) != 0 || len(s.Take()) != 0 {
		t.Error("a preflight stored or emitted something")
	}
}

// countingReader counts what is read from a body.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestRefused: each kind of junk gets its 4xx and one report.refused
// event with its reason, and nothing is stored.
func TestRefused(t *testing.T) {
	h, w, s, _ := newHandler(Options{MaxBody: 1024})
	for _, tc := range []struct {
		name   string
		method string
		ct     string
		body   string
		length int64 // Content-Length; -1: unknown (chunked)
		status int
		reason string
	}{
		{"GET", http.MethodGet, "", "", 0, http.StatusMethodNotAllowed, RefusedMethod},
		{"PUT", http.MethodPut, ContentTypeCSP, cspReports[0].body, -1, http.StatusMethodNotAllowed, RefusedMethod},
		{"form", http.MethodPost, "application/x-www-form-urlencoded", "a=b", -1, http.StatusUnsupportedMediaType, RefusedContentType},
		{"no type", http.MethodPost, "", cspReports[0].body, -1, http.StatusUnsupportedMediaType, RefusedContentType},
		{"junk", http.MethodPost, ContentTypeCSP, "\x00\xff junk", -1, http.StatusBadRequest, RefusedMalformed},
		{"wrong shape", http.MethodPost, ContentTypeReports, cspReports[0].body, -1, http.StatusBadRequest, RefusedMalformed},
		{"declared oversize", http.MethodPost, ContentTypeCSP, strings.Repeat(" ", 4096), 4096, http.StatusRequestEntityTooLarge, RefusedOversize},
		{"chunked oversize", http.MethodPost, ContentTypeCSP, strings.Repeat(" ", 1<<20), -1, http.StatusRequestEntityTooLarge, RefusedOversize},
	} {
		body := &countingReader{r: strings.NewReader(tc.body)}
		r := httptest.NewRequest(tc.method, "https://example.com"+DefaultPath+"?x=1", body)
		r.ContentLength = tc.length
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
		if tc.status == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != "POST, OPTIONS" {
			t.Errorf("%s: Allow %q", tc.name, rec.Header().Get("Allow"))
		}
		if tc.reason == RefusedOversize && body.n > 1025 {
			t.Errorf("%s: %d bytes read of the body, want at most MaxBody+1", tc.name, body.n)
		}
		if tc.name == "declared oversize" && body.n != 0 {
			t.Errorf("%s: %d bytes read, want none", tc.name, body.n)
		}
		evs := s.Take()
		if len(evs) != 1 || evs[0].Type != events.ReportRefused || evs[0].Reason != tc.reason || evs[0].Site != "app" ||
			evs[0].Method != tc.method || evs[0].Path != DefaultPath || evs[0].Client != "192.0.2.1" || evs[0].Error == "" {
			t.Errorf("%s: events %+v, want one report.refused %q", tc.name, evs, tc.reason)
		}
	}
	if len(w.reps) != 0 {
		t.Errorf("stored %+v", w.reps)
	}
}

// TestRateLimit: Rate requests a minute per client, refused beyond with
// Retry-After and one event per flood; tokens come back with time; each
// client (an IPv6 /64) has its own.
func TestRateLimit(t *testing.T) {
	h, _, s, clock := newHandler(Options{Rate: 3})
	send := func(from string) int { return post(h, ContentTypeCSP, cspReports[2].body, from).Code }
	for i := range 3 {
		if c := send("203.0.113.5:1"); c != http.StatusNoContent {
			t.Fatalf("request %d: %d", i+1, c)
		}
	}
	s.Take()
	rec := post(h, ContentTypeCSP, cspReports[2].body, "203.0.113.5:2")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "20" {
		t.Errorf("4th request: %d, Retry-After %q; want 429 after 20s", rec.Code, rec.Header().Get("Retry-After"))
	}
	send("203.0.113.5:3") // still limited: no second event
	if evs := s.Take(); len(evs) != 1 || evs[0].Reason != RefusedRate || evs[0].Client != "203.0.113.5" {
		t.Errorf("events while limited: %+v, want one", evs)
	}
	if c := send("203.0.113.6:1"); c != http.StatusNoContent {
		t.Errorf("another client: %d", c)
	}
	for i := range 3 {
		if c := send("[2001:db8:1:2::" + string(rune('a'+i)) + "]:1"); c != http.StatusNoContent {
			t.Errorf("IPv6 request %d: %d", i+1, c)
		}
	}
	if c := send("[2001:db8:1:2:ffff::1]:1"); c != http.StatusTooManyRequests {
		t.Errorf("same /64: %d, want 429", c)
	}
	if c := send("[2001:db8:1:3::1]:1"); c != http.StatusNoContent {
		t.Errorf("another /64: %d", c)
	}
	clock.Advance(20 * time.Second)
	if c := send("203.0.113.5:4"); c != http.StatusNoContent {
		t.Errorf("after 20s: %d, want a token back", c)
	}
	if c := send("203.0.113.5:4"); c != http.StatusTooManyRequests {
		t.Errorf("then: %d, want 429", c)
	}

	unlimited, _, _, _ := newHandler(Options{Rate: -1})
	for range 100 {
		if c := post(unlimited, ContentTypeCSP, cspReports[2].body, "203.0.113.5:1").Code; c != http.StatusNoContent {
			t.Fatalf("Rate -1: %d", c)
		}
	}
}

// TestLimiterBounded: the limiter forgets clients whose bucket refilled,
// and refuses new clients rather than grow past maxClients.
func TestLimiterBounded(t *testing.T) {
	l := newLimiter(60)
	ip := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range maxClients {
		if ok, _, _ := l.allow(ip(i), t0); !ok {
			t.Fatalf("client %d refused", i)
		}
	}
	if ok, _, _ := l.allow(ip(maxClients), t0); ok {
		t.Error("a new client was let in past maxClients while all are limited")
	}
	if ok, _, _ := l.allow(ip(maxClients), t0.Add(2*time.Second)); !ok {
		t.Error("a new client refused after the others refilled")
	}
	if len(l.clients) != 1 {
		t.Errorf("%d clients remembered, want the refilled forgotten", len(l.clients))
	}
}

// TestStoreFull: when the store cannot take reports, the answer is 503
// and no event is emitted (a flood would multiply them).
func TestStoreFull(t *testing.T) {
	w := &writer{fail: store.ErrQueueFull}
	h, _, s, _ := newHandler(Options{Store: w})
	rec := post(h, ContentTypeCSP, cspReports[0].body, "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
	if evs := s.Take(); len(evs) != 0 {
		t.Errorf("events %+v", evs)
	}
}

// TestWithStore: reports through a Queue into a real store, aggregated.
func TestWithStore(t *testing.T) {
	st, err := store.OpenFile(filepath.Join(t.TempDir(), "store.db"), store.Options{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q := store.NewQueue(st, store.QueueOptions{})
	h := New(Options{Site: "app", Store: q, Rate: -1})
	for range 3 {
		if c := post(h, ContentTypeCSP, cspReports[1].body, "").Code; c != http.StatusNoContent {
			t.Fatal(c)
		}
	}
	if c := post(h, ContentTypeReports, apiReports[0].body, "").Code; c != http.StatusNoContent {
		t.Fatal(c)
	}
	q.Close()
	aggs, err := st.Reports(store.ReportQuery{Site: "app"})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, a := range aggs {
		counts[a.Directive+" "+a.Blocked+" "+a.Document] = a.Count
	}
	want := map[string]uint64{"script-src-elem inline /search": 3, "script-src-elem https://evil.example /login": 1, "style-src-attr inline /": 1}
	if len(counts) != len(want) {
		t.Errorf("aggregates %v, want %v", counts, want)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("aggregate %q: %d, want %d", k, counts[k], n)
		}
	}
}

func TestDefaults(t *testing.T) {
	h := New(Options{})
	if h.o.MaxBody != DefaultMaxBody || h.o.Rate != DefaultRate || h.limiter == nil {
		t.Errorf("defaults: %+v", h.o)
	}
	// No store, no sink: still answers.
	if c := post(h, ContentTypeCSP, cspReports[0].body, "").Code; c != http.StatusNoContent {
		t.Errorf("status %d", c)
	}
	if c := post(h, "text/plain", "x", "").Code; c != http.StatusUnsupportedMediaType {
		t.Errorf("status %d", c)
	}
}
