// Package reports is the collector browsers send violation reports to:
// CSP's report-uri (application/csp-report) and the Reporting API's
// report-to and Reporting-Endpoints (application/reports+json: CSP,
// Permissions-Policy, COEP, deprecations, interventions…). Its Handler
// treats every body as hostile: POST only, bounded size, a rate per
// client, strict JSON; a refused body is a 4xx and a report.refused
// event, never stored. An accepted report is reduced (URLs to an origin
// or a path, samples clipped) to a store.Report, counted into its
// aggregate in the store, and emitted as a report.received event.
package reports

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/events"
	"github.com/portcullis/portcullis/shield"
	"github.com/portcullis/portcullis/store"
)

// DefaultPath is where portcullis mounts the Handler on each site.
const DefaultPath = "/_portcullis/reports"

// Defaults of Options.
const (
	DefaultMaxBody = 64 << 10
	DefaultRate    = 60
)

// Options configure a Handler. The zero Options are the defaults, with
// nowhere to store reports and no events.
type Options struct {
	// Site names the site in reports and events.
	Site string
	// Store receives the accepted reports: a store.Queue, so that the
	// request never waits for the disk. Nil: reports are only events.
	Store store.Writer
	// Events receives report.received and report.refused events; nil:
	// none.
	Events events.Sink
	// MaxBody bounds a report body (413 beyond, and the rest is not
	// read). Default DefaultMaxBody (64 KiB).
	MaxBody int64
	// Rate is how many report requests a client may send a minute, in a
	// burst or spread (429 beyond). An IPv6 client is its /64. Default
	// DefaultRate; negative: no limit.
	Rate int
	// ClientIP returns the client's address; default
	// shield.RequestInfo(r).ClientIP, which believes forwarding headers
	// only from shield's trusted proxies.
	ClientIP func(*http.Request) netip.Addr
	// Now is the clock reports are timed and rates measured with; default
	// time.Now.
	Now func() time.Time
}

// Handler collects reports. It is safe for concurrent use.
type Handler struct {
	o       Options
	limiter *limiter // nil: no limit
}

// New returns a Handler.
func New(o Options) *Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.ClientIP == nil {
		o.ClientIP = func(r *http.Request) netip.Addr { return shield.RequestInfo(r).ClientIP }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Handler{o: o}
	if o.Rate > 0 {
		h.limiter = newLimiter(o.Rate)
	}
	return h
}

// Why a request was refused: the Reason of its report.refused event.
const (
	RefusedMethod      = "method"       // not POST (405)
	RefusedRate        = "rate-limited" // over Options.Rate (429)
	RefusedContentType = "content-type" // not a report media type (415)
	RefusedOversize    = "oversize"     // over Options.MaxBody (413)
	RefusedMalformed   = "malformed"    // not a report (400)
)

// ServeHTTP answers a report: 204 when it is accepted. An OPTIONS request
// is a CORS preflight, which Chromium's reporting service sends before
// POSTing reports to an endpoint of another origin; the answer allows any
// origin, since reports carry no credentials and the answer no data.
// report-uri requests are no-cors and need none.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", "*")
		hd.Set("Access-Control-Allow-Methods", "POST")
		hd.Set("Access-Control-Allow-Headers", "Content-Type")
		hd.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ip, now := h.o.ClientIP(r), h.o.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		h.refuse(w, r, ip, http.StatusMethodNotAllowed, RefusedMethod, "method "+r.Method)
		return
	}
	if h.limiter != nil {
		if ok, first, retry := h.limiter.allow(ip, now); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
			if first {
				h.refuse(w, r, ip, http.StatusTooManyRequests, RefusedRate, fmt.Sprintf("more than %d a minute", h.o.Rate))
			} else {
				http.Error(w, http.StatusText(http.StatusTooManyRequests), http.StatusTooManyRequests)
			}
			return
		}
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != ContentTypeCSP && mt != ContentTypeReports && mt != "application/json") {
		h.refuse(w, r, ip, http.StatusUnsupportedMediaType, RefusedContentType, fmt.Sprintf("Content-Type %q", store.Clip(ct, 100)))
		return
	}
	if r.ContentLength > h.o.MaxBody {
		h.refuse(w, r, ip, http.StatusRequestEntityTooLarge, RefusedOversize, fmt.Sprintf("%d bytes, more than %d", r.ContentLength, h.o.MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.refuse(w, r, ip, http.StatusRequestEntityTooLarge, RefusedOversize, fmt.Sprintf("more than %d bytes", h.o.MaxBody))
			return
		}
		http.Error(w, "cannot read the body", http.StatusBadRequest) // the client went away
		return
	}
	reps, err := Parse(ct, body)
	if err != nil {
		h.refuse(w, r, ip, http.StatusBadRequest, RefusedMalformed, err.Error())
		return
	}
	for i := range reps {
		reps[i].Site, reps[i].Time = h.o.Site, now
	}
	if h.o.Store != nil {
		if err := h.o.Store.AddReports(reps...); err != nil {
			// The queue is full (a flood) or the store failed: the
			// Queue counts it; say so without an event per request.
			w.Header().Set("Retry-After", "60")
			http.Error(w, "reports cannot be stored now", http.StatusServiceUnavailable)
			return
		}
	}
	if h.o.Events != nil {
		for _, rep := range reps {
			h.o.Events(received(rep, ip))
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// received is the event of an accepted report. An enforced CSP violation
// is Low (something was blocked, perhaps an attack); the rest is Info.
func received(rep store.Report, ip netip.Addr) events.Event {
	e := events.Event{Type: events.ReportReceived, Severity: events.Info, Time: rep.Time, Site: rep.Site,
		Rule: rep.Directive, Reason: rep.Type, Path: store.Clip(rep.Document, 200), Client: clientString(ip)}
	if rep.Type == "csp-violation" && rep.Disposition == "enforce" {
		e.Severity = events.Low
	}
	msg := rep.Type
	if rep.Directive != "" {
		msg += ": " + rep.Directive
	}
	if rep.Blocked != "" {
		msg += " blocked " + rep.Blocked
	}
	e.Message = msg + " on " + rep.Document
	return e
}

// refuse answers status and emits the report.refused event.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, ip netip.Addr, status int, reason, detail string) {
	http.Error(w, http.StatusText(status), status)
	if h.o.Events == nil {
		return
	}
	h.o.Events(events.Event{Type: events.ReportRefused, Severity: events.Low, Time: h.o.Now(), Site: h.o.Site, Reason: reason,
		Method: store.Clip(r.Method, 200), Host: store.Clip(r.Host, 200), Path: store.Clip(r.URL.Path, 200), Client: clientString(ip),
		Message: "report refused: " + reason, Error: store.Clip(detail, 200)})
}

func clientString(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	return ip.Unmap().String()
}
