package securitytxt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// HandlerOptions configures Handler.
type HandlerOptions struct {
	// ExpiresIn, if positive, makes Expires roll forward: each UTC day the
	// file is served with Expires set to the end of that day plus ExpiresIn,
	// so it is always at least ExpiresIn ahead, never goes stale, and is
	// byte-identical all day. File.Expires is then ignored. Keep it at most
	// 364 days to stay within the RFC's "less than a year" advice. If zero,
	// File.Expires is served as is.
	ExpiresIn time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// handlerMaxAge is the Cache-Control max-age of served files, in seconds.
const handlerMaxAge = 3600

// Handler returns an http.Handler serving f as a security.txt file. Mount it
// at /.well-known/security.txt; it does not look at the request path.
//
// f is copied and validated as it would be served now (including the rolled
// Expires when opts.ExpiresIn > 0); any Error-severity problem, such as no
// Contact, no Expires (with ExpiresIn zero) or an Expires already past, makes
// Handler return an error listing them. With a fixed Expires the handler
// keeps serving the file after it expires; use ExpiresIn to avoid that.
//
// The handler answers GET and HEAD with the rendered file, "Content-Type:
// text/plain; charset=utf-8", an ETag (so conditional requests get 304) and
// "Cache-Control: max-age=3600"; other methods get 405 with "Allow: GET,
// HEAD". The body is rendered once, or once per UTC day when rolling, and
// shared through an atomic pointer, so serving is lock-free.
func Handler(f File, opts HandlerOptions) (http.Handler, error) {
	if opts.ExpiresIn < 0 {
		return nil, fmt.Errorf("securitytxt: HandlerOptions.ExpiresIn is negative (%v)", opts.ExpiresIn)
	}
	h := &handler{file: cloneFile(f), roll: opts.ExpiresIn, now: opts.Now}
	if h.now == nil {
		h.now = time.Now
	}
	now := h.now()
	served := h.file
	if h.roll > 0 {
		served.Expires = rolledExpires(now, h.roll)
	}
	var errs []string
	for _, p := range Validate(&served, ValidateOptions{Now: now}) {
		if p.Severity >= Error {
			errs = append(errs, p.String())
		}
	}
	if len(errs) > 0 {
		return nil, errors.New("securitytxt: file would be invalid when served: " + strings.Join(errs, "; "))
	}
	h.cur.Store(h.render(now))
	return h, nil
}

type handler struct {
	file File // private copy; Expires replaced per day when roll > 0
	roll time.Duration
	now  func() time.Time
	cur  atomic.Pointer[rendered]
}

// rendered is an immutable rendering of the file for one UTC day.
type rendered struct {
	day  time.Time // start of the UTC day it was rendered for
	body []byte
	etag string
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	cur := h.current()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", fmt.Sprintf("max-age=%d", handlerMaxAge))
	hdr.Set("ETag", cur.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(cur.body))
}

// current returns the rendering for today, re-rendering on a new day.
// Concurrent callers on a day change may each render; they produce equal
// bodies, so whichever is stored last is fine.
func (h *handler) current() *rendered {
	cur := h.cur.Load()
	if h.roll <= 0 {
		return cur
	}
	now := h.now()
	if startOfDay(now).Equal(cur.day) {
		return cur
	}
	next := h.render(now)
	h.cur.Store(next)
	return next
}

// render renders the file as served at now.
func (h *handler) render(now time.Time) *rendered {
	f := h.file
	if h.roll > 0 {
		f.Expires = rolledExpires(now, h.roll)
	}
	body := f.Render()
	sum := sha256.Sum256(body)
	return &rendered{day: startOfDay(now), body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// startOfDay returns midnight UTC of t's day. (Truncate counts from the zero
// time, which is a UTC midnight.)
func startOfDay(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

// rolledExpires returns the end of now's UTC day plus d.
func rolledExpires(now time.Time, d time.Duration) time.Time {
	return startOfDay(now).Add(24 * time.Hour).Add(d)
}

// cloneFile returns a copy of f sharing no exported slices with it.
func cloneFile(f File) File {
	f.Contact = slices.Clone(f.Contact)
	f.Encryption = slices.Clone(f.Encryption)
	f.Acknowledgments = slices.Clone(f.Acknowledgments)
	f.Policy = slices.Clone(f.Policy)
	f.Hiring = slices.Clone(f.Hiring)
	f.Canonical = slices.Clone(f.Canonical)
	f.PreferredLanguages = slices.Clone(f.PreferredLanguages)
	f.Extensions = slices.Clone(f.Extensions)
	f.Comments = slices.Clone(f.Comments)
	return f // lines is shared: it is never modified after Parse
}
