package shield

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/csp"
)

const learnURI = "/_portcullis/reports"

func htmlHandler(ct string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		io.WriteString(w, "<!doctype html><title>t</title><p>hello")
	})
}

// TestCSPLearn: with Learn, an HTML response carries the strict
// candidate report-only beside the enforced policy, reporting to the
// collector; other responses do not.
func TestCSPLearn(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		handler http.Handler
		want    string // the report-only header; "" for none
	}{
		{"html", Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, htmlHandler("text/html; charset=utf-8"),
			"default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; report-uri /_portcullis/reports; report-to csp-endpoint"},
		{"xhtml, upper case", Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, htmlHandler("Application/XHTML+XML"),
			"default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; report-uri /_portcullis/reports; report-to csp-endpoint"},
		{"sniffed html", Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, htmlHandler(""),
			"default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'; report-uri /_portcullis/reports; report-to csp-endpoint"},
		{"SAMEORIGIN frames", Options{Headers: Headers{FrameOptions: Header{Value: "sameorigin"}}, CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, htmlHandler("text/html"),
			"default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'; report-uri /_portcullis/reports; report-to csp-endpoint"},
		{"no X-Frame-Options", Options{Headers: Headers{FrameOptions: Header{Disable: true}}, CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, htmlHandler("text/html"),
			"default-src 'self'; script-src 'self' 'report-sample'; style-src 'self' 'report-sample'; object-src 'none'; base-uri 'self'; form-action 'self'; report-uri /_portcullis/reports; report-to csp-endpoint"},
		{"not html", Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}}, okHandler, ""},
		{"nothing written", Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}},
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ""},
		{"learning off", Options{CSP: CSP{ReportURI: learnURI}}, htmlHandler("text/html"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustNew(t, tt.o)
			rec := serve(s, tt.handler, req("GET", "/", "localhost", true))
			if got := strings.Join(rec.Header().Values("Content-Security-Policy-Report-Only"), " | "); got != tt.want {
				t.Errorf("report-only\n got %q\nwant %q", got, tt.want)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Error("no enforced policy beside it")
			}
			if tt.want != "" {
				if p := LearnPolicy(s.Options()); p == nil || p.String() != tt.want {
					t.Errorf("LearnPolicy = %v, want %q", p, tt.want)
				}
				// The candidate judged alone: nothing but report-only.
				p, _ := csp.Parse(tt.want)
				if ws := csp.Judge([]csp.Policy{p}, nil); len(ws) > 0 && tt.name != "no X-Frame-Options" {
					t.Errorf("the candidate has weaknesses: %v", ws)
				}
			}
		})
	}
}

// TestCSPLearnNonce: with nonces on, the learning policy carries the
// request's nonce, the one the enforced policy and the handler have.
func TestCSPLearnNonce(t *testing.T) {
	s, _ := mustNew(t, Options{CSP: CSP{Nonce: true, Learn: true, LearnSample: 1, ReportURI: learnURI}})
	var handed string
	rec := serve(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handed = Nonce(r)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<p>x")
	}), req("GET", "/", "localhost", true))
	ro := rec.Header().Get("Content-Security-Policy-Report-Only")
	want := "'nonce-" + handed + "'"
	if handed == "" || strings.Count(ro, want) != 2 || !strings.Contains(rec.Header().Get("Content-Security-Policy"), want) {
		t.Errorf("nonce %q; report-only %q; enforced %q", handed, ro, rec.Header().Get("Content-Security-Policy"))
	}
	if !strings.Contains(ro, "script-src 'self' 'report-sample' "+want) {
		t.Errorf("report-only %q", ro)
	}
}

// TestCSPLearnSample: a sample of 0.25 marks about a quarter of HTML
// responses; the default marks about a tenth.
func TestCSPLearnSample(t *testing.T) {
	for _, tt := range []struct {
		sample, want float64
	}{{0.25, 0.25}, {0, DefaultLearnSample}, {1, 1}} {
		s, _ := mustNew(t, Options{CSP: CSP{Learn: true, LearnSample: tt.sample, ReportURI: learnURI}})
		const n = 4000
		got := 0
		h := htmlHandler("text/html")
		for range n {
			if serve(s, h, req("GET", "/", "localhost", true)).Header().Get("Content-Security-Policy-Report-Only") != "" {
				got++
			}
		}
		// Four standard deviations of a binomial: fails once in ~16,000 runs.
		sd := math.Sqrt(n * tt.want * (1 - tt.want))
		if math.Abs(float64(got)-n*tt.want) > 4*sd+0.5 {
			t.Errorf("sample %v: %d of %d responses learned, want about %.0f", tt.sample, got, n, n*tt.want)
		}
	}
}

// TestCSPLearnAppKeepsItsReportOnly: the application's own report-only
// policy stands (KeepApp), as for every header shield manages.
func TestCSPLearnAppKeepsItsReportOnly(t *testing.T) {
	s, _ := mustNew(t, Options{CSP: CSP{Learn: true, LearnSample: 1, ReportURI: learnURI}})
	rec := serve(s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Security-Policy-Report-Only", "img-src 'none'")
		io.WriteString(w, "<p>x")
	}), req("GET", "/", "localhost", true))
	if got := rec.Header().Values("Content-Security-Policy-Report-Only"); len(got) != 1 || got[0] != "img-src 'none'" {
		t.Errorf("report-only %q", got)
	}
}

func TestCSPLearnInvalid(t *testing.T) {
	ro := csp.Strict()
	tests := []struct {
		name  string
		o     CSP
		field string
		msg   string
	}{
		{"no report URI", CSP{Learn: true}, "CSP.Learn", "no ReportURI"},
		{"beside report-only", CSP{Learn: true, ReportURI: learnURI, ReportOnly: &ro}, "CSP.Learn", "a ReportOnly policy is set"},
		{"CSP disabled", CSP{Learn: true, ReportURI: learnURI, Disable: true}, "CSP.Learn", "CSP is disabled"},
		{"sample over 1", CSP{Learn: true, ReportURI: learnURI, LearnSample: 1.5}, "CSP.LearnSample", "1.5 is not a fraction"},
		{"negative sample", CSP{Learn: true, ReportURI: learnURI, LearnSample: -0.1}, "CSP.LearnSample", "-0.1 is not a fraction"},
		{"NaN sample", CSP{Learn: true, ReportURI: learnURI, LearnSample: math.NaN()}, "CSP.LearnSample", "NaN is not a fraction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{CSP: tt.o})
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("New: %v; want %s: %s", err, tt.field, tt.msg)
			}
		})
	}
}

// BenchmarkShieldLearn is the cost of learning on an HTML response:
// the draw and, one time in ten, a header.
func BenchmarkShieldLearn(b *testing.B) {
	s, _ := mustNew(b, Options{CSP: CSP{Learn: true, ReportURI: learnURI}})
	h := s.Wrap(htmlHandler("text/html"))
	r := req("GET", "/", "localhost", true)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
