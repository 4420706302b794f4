package reports

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portcullis/portcullis/store"
)

// checkReport states what any accepted report must be, whatever the body:
// names made of name characters, every field within its limit and valid
// UTF-8, nothing of a URL past its path (no query, fragment or
// credentials), a document that is a path or a scheme.
func checkReport(t *testing.T, r store.Report) {
	t.Helper()
	if !isToken(r.Type, store.MaxType, false) {
		t.Errorf("type %q", r.Type)
	}
	if r.Directive != "" && !isToken(r.Directive, store.MaxDirective, true) {
		t.Errorf("directive %q", r.Directive)
	}
	if r.Type == "csp-violation" && r.Directive == "" {
		t.Error("csp-violation without a directive")
	}
	for name, f := range map[string]struct {
		v   string
		max int
	}{
		"blocked": {r.Blocked, store.MaxBlocked}, "document": {r.Document, store.MaxDocument},
		"sample": {r.Sample, store.MaxSample}, "source": {r.Source, store.MaxSource},
	} {
		if len(f.v) > f.max || !utf8.ValidString(f.v) {
			t.Errorf("%s %q: over %d bytes or invalid UTF-8", name, f.v, f.max)
		}
	}
	for name, v := range map[string]string{"blocked": r.Blocked, "document": r.Document, "source": r.Source} {
		if strings.ContainsAny(v, "?#") {
			t.Errorf("%s %q keeps a query or fragment", name, v)
		}
	}
	if b := r.Blocked; b != "" {
		if scheme, host, ok := strings.Cut(b, "://"); ok {
			if !isScheme(scheme) || host == "" || strings.ContainsAny(host, "/@") {
				t.Errorf("blocked %q is not an origin", b)
			}
		} else if !isScheme(b) {
			t.Errorf("blocked %q is not a keyword", b)
		}
	}
	if !strings.HasPrefix(r.Document, "/") && !strings.HasSuffix(r.Document, ":") {
		t.Errorf("document %q is neither a path nor a scheme", r.Document)
	}
	switch r.Disposition {
	case "", "enforce", "report":
	default:
		t.Errorf("disposition %q", r.Disposition)
	}
}

func FuzzParseCSPReport(f *testing.F) {
	for _, tc := range cspReports {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`{"csp-report":{"document-uri":"https://u:p@a/%zz?q","effective-directive":"img-src","blocked-uri":"https://b@c/?d#e"}}`))
	f.Add([]byte(`{"csp-report":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseCSPReport(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		checkReport(t, r)
	})
}

func FuzzParseReports(f *testing.F) {
	for _, tc := range apiReports {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`[{"type":"x","url":"about:blank","body":{"id":"Ünicode","blockedURL":"data:,x"}}]`))
	f.Add([]byte(`[{"type":"csp-violation","url":"https://a/","body":{"effectiveDirective":"x","lineNumber":-1e308,"sourceFile":"blob:x"}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		rs, err := ParseReports(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if len(rs) == 0 || len(rs) > MaxReports {
			t.Fatalf("%d reports", len(rs))
		}
		for _, r := range rs {
			checkReport(t, r)
		}
	})
}
