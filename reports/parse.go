package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"reflect"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/store"
)

// The media types of report bodies.
const (
	// ContentTypeCSP is CSP's report-uri body: {"csp-report": {...}}
	// (CSP3 section 5.3, the deprecated serialization).
	ContentTypeCSP = "application/csp-report"
	// ContentTypeReports is the Reporting API's body: an array of
	// {type, age, url, user_agent, body}.
	ContentTypeReports = "application/reports+json"
)

// MaxReports is the most reports one Reporting API body may hold.
// Browsers batch a few; more is junk.
const MaxReports = 100

// ErrMalformed is wrapped by every parse error: the body is not JSON, not
// of the expected shape, has a field of the wrong type, or lacks what a
// report must have.
var ErrMalformed = errors.New("malformed report")

// ErrMediaType is returned by Parse for a media type that is not a report.
var ErrMediaType = errors.New("not a report media type")

func malformed(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, a...))
}

// Parse parses a report body by its Content-Type: ContentTypeCSP,
// ContentTypeReports, or application/json (which some browsers used for
// report-uri) by its shape. Reports come back with no Site or Time.
func Parse(contentType string, body []byte) ([]store.Report, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrMediaType, store.Clip(contentType, 100))
	}
	switch mt {
	case ContentTypeCSP:
	case ContentTypeReports:
		return ParseReports(body)
	case "application/json":
		if b := bytes.TrimLeft(body, " \t\r\n"); len(b) > 0 && b[0] == '[' {
			return ParseReports(body)
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrMediaType, store.Clip(mt, 100))
	}
	r, err := ParseCSPReport(body)
	if err != nil {
		return nil, err
	}
	return []store.Report{r}, nil
}

// cspReport is the deprecated serialization of a violation, the object
// under "csp-report". Line and column are numbers.
type cspReport struct {
	DocumentURI        string  `json:"document-uri"`
	Referrer           string  `json:"referrer"`
	BlockedURI         string  `json:"blocked-uri"`
	EffectiveDirective string  `json:"effective-directive"`
	ViolatedDirective  string  `json:"violated-directive"`
	OriginalPolicy     string  `json:"original-policy"`
	Disposition        string  `json:"disposition"`
	StatusCode         float64 `json:"status-code"`
	ScriptSample       string  `json:"script-sample"`
	SourceFile         string  `json:"source-file"`
	LineNumber         float64 `json:"line-number"`
	ColumnNumber       float64 `json:"column-number"`
}

// ParseCSPReport parses a report-uri body, {"csp-report": {...}}, into a
// "csp-violation" Report. The object must be the only key; fields of the
// wrong type, a missing document-uri or directive are malformed; unknown
// fields inside are ignored (browsers add some).
func ParseCSPReport(body []byte) (store.Report, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return store.Report{}, malformed("%s", jsonError(err))
	}
	raw, ok := top["csp-report"]
	if !ok || len(top) != 1 {
		return store.Report{}, malformed(`want an object with the one key "csp-report"`)
	}
	if !isObject(raw) {
		return store.Report{}, malformed(`"csp-report" is not an object`)
	}
	var c cspReport
	if err := json.Unmarshal(raw, &c); err != nil {
		return store.Report{}, malformed("%s", jsonError(err))
	}
	directive := c.EffectiveDirective
	if directive == "" {
		// CSP2 browsers sent the directive with its value.
		directive, _, _ = strings.Cut(strings.TrimSpace(c.ViolatedDirective), " ")
	}
	return cspViolation(c.DocumentURI, directive, c.BlockedURI, c.Disposition, c.ScriptSample, c.SourceFile, c.LineNumber, c.ColumnNumber)
}

// cspViolation builds a csp-violation Report from either serialization.
func cspViolation(document, directive, blocked, disposition, sample, source string, line, col float64) (store.Report, error) {
	r := store.Report{Type: "csp-violation", Blocked: blockedOf(blocked), Sample: store.Clip(sample, store.MaxSample),
		Source: sourceOf(source, line, col), Disposition: dispositionOf(disposition)}
	var ok bool
	if r.Document, ok = documentOf(document); !ok {
		return store.Report{}, malformed("document URL %q is not an absolute URL", store.Clip(document, 100))
	}
	directive = strings.ToLower(directive)
	if !isToken(directive, store.MaxDirective, false) {
		return store.Report{}, malformed("directive %q is not a directive name", store.Clip(directive, 100))
	}
	r.Directive = directive
	return r, nil
}

// apiReport is one report of a Reporting API body.
type apiReport struct {
	Type      string          `json:"type"`
	Age       float64         `json:"age"`
	URL       string          `json:"url"`
	UserAgent string          `json:"user_agent"`
	Body      json.RawMessage `json:"body"`
}

// body holds the fields of the report bodies portcullis knows: CSP
// violations, Permissions- and Document-Policy violations, deprecations,
// interventions, COEP and COOP. Each type sets some of them; a field of
// the wrong type is malformed.
type body struct {
	// csp-violation
	DocumentURL        string  `json:"documentURL"`
	Referrer           string  `json:"referrer"`
	BlockedURL         string  `json:"blockedURL"`
	EffectiveDirective string  `json:"effectiveDirective"`
	OriginalPolicy     string  `json:"originalPolicy"`
	Sample             string  `json:"sample"`
	StatusCode         float64 `json:"statusCode"`
	// the violations and deprecations
	Disposition  string  `json:"disposition"`
	SourceFile   string  `json:"sourceFile"`
	LineNumber   float64 `json:"lineNumber"`
	ColumnNumber float64 `json:"columnNumber"`
	Message      string  `json:"message"`
	// permissions-policy-violation, document-policy-violation
	FeatureID string `json:"featureId"`
	// deprecation, intervention
	ID string `json:"id"`
	// coep, coop
	Kind string `json:"type"`
}

// known are the report types whose body decodes into body.
var known = map[string]bool{
	"csp-violation": true, "permissions-policy-violation": true, "potential-permissions-policy-violation": true,
	"document-policy-violation": true, "deprecation": true, "intervention": true, "coep": true, "coop": true,
}

// ParseReports parses a Reporting API body: a JSON array of 1 to
// MaxReports reports, each {type, age, url, user_agent, body}. Known
// types (csp-violation, permissions-policy-violation, deprecation,
// intervention, coep, coop…) have their body's fields checked; others are
// kept by type, with what their body names (featureId, id, type, reason).
// Unknown fields are ignored; wrong types are malformed.
func ParseReports(data []byte) ([]store.Report, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, malformed("%s", jsonError(err))
	}
	switch {
	case list == nil:
		return nil, malformed("want an array of reports")
	case len(list) == 0:
		return nil, malformed("no report")
	case len(list) > MaxReports:
		return nil, malformed("%d reports, more than %d", len(list), MaxReports)
	}
	out := make([]store.Report, 0, len(list))
	for i, raw := range list {
		r, err := parseOne(raw)
		if err != nil {
			return nil, fmt.Errorf("report %d: %w", i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseOne(raw json.RawMessage) (store.Report, error) {
	if !isObject(raw) {
		return store.Report{}, malformed("not an object")
	}
	var a apiReport
	if err := json.Unmarshal(raw, &a); err != nil {
		return store.Report{}, malformed("%s", jsonError(err))
	}
	if !isToken(a.Type, store.MaxType, false) {
		return store.Report{}, malformed("type %q is not a report type", store.Clip(a.Type, 100))
	}
	if len(a.Body) > 0 && !isObject(a.Body) && string(a.Body) != "null" {
		return store.Report{}, malformed("body is not an object")
	}
	if !known[a.Type] {
		return generic(a)
	}
	var b body
	if len(a.Body) > 0 {
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return store.Report{}, malformed("%s body: %s", a.Type, jsonError(err))
		}
	}
	if a.Type == "csp-violation" {
		doc := b.DocumentURL
		if doc == "" {
			doc = a.URL
		}
		return cspViolation(doc, b.EffectiveDirective, b.BlockedURL, b.Disposition, b.Sample, b.SourceFile, b.LineNumber, b.ColumnNumber)
	}
	r := store.Report{Type: a.Type, Disposition: dispositionOf(b.Disposition), Sample: store.Clip(b.Message, store.MaxSample),
		Source: sourceOf(b.SourceFile, b.LineNumber, b.ColumnNumber), Blocked: blockedOf(b.BlockedURL)}
	var ok bool
	if r.Document, ok = documentOf(a.URL); !ok {
		return store.Report{}, malformed("url %q is not an absolute URL", store.Clip(a.URL, 100))
	}
	for _, d := range []string{b.FeatureID, b.ID, b.Kind} {
		if isToken(d, store.MaxDirective, true) {
			r.Directive = d
			break
		}
	}
	return r, nil
}

// generic keeps a report of a type portcullis does not know by its type,
// its url, and the first of featureId, id, type, reason that is a name.
func generic(a apiReport) (store.Report, error) {
	r := store.Report{Type: a.Type}
	var ok bool
	if r.Document, ok = documentOf(a.URL); !ok {
		return store.Report{}, malformed("url %q is not an absolute URL", store.Clip(a.URL, 100))
	}
	var fields map[string]json.RawMessage
	if len(a.Body) > 0 {
		if err := json.Unmarshal(a.Body, &fields); err != nil {
			return store.Report{}, malformed("%s body: %s", a.Type, jsonError(err))
		}
	}
	for _, k := range []string{"featureId", "id", "type", "reason"} {
		var s string
		if json.Unmarshal(fields[k], &s) == nil && isToken(s, store.MaxDirective, true) {
			r.Directive = s
			break
		}
	}
	var blocked string
	if json.Unmarshal(fields["blockedURL"], &blocked) == nil {
		r.Blocked = blockedOf(blocked)
	}
	return r, nil
}

// isObject reports whether raw JSON is an object.
func isObject(raw json.RawMessage) bool {
	b := bytes.TrimLeft(raw, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// jsonError says what is wrong without repeating the body.
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a string"
		switch te.Type.Kind() {
		case reflect.Float64:
			want = "a number"
		case reflect.Map, reflect.Struct:
			want = "an object"
		case reflect.Slice:
			want = "an array"
		}
		if te.Field != "" {
			return fmt.Sprintf("%s is %s, not %s", te.Field, te.Value, want)
		}
		return fmt.Sprintf("%s, not %s", te.Value, want)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return "invalid JSON"
}

// isToken reports whether s is a non-empty name of at most max bytes:
// lower-case letters, digits and '-' (CSP directives, report types), or
// with mixed, also letters of either case, '_' and '.' (deprecation ids,
// feature names, network error types).
func isToken(s string, max int, mixed bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		case mixed && (c >= 'A' && c <= 'Z' || c == '_' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// isScheme reports whether s is a URL scheme (RFC 3986: a letter, then
// letters, digits, '+', '-', '.'), already lower-case.
func isScheme(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// webURL parses an absolute http, https, ws or wss URL with a host.
func webURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch u.Scheme {
	case "http", "https", "ws", "wss":
		return u, true
	}
	return nil, false
}

// origin is scheme://host[:port] of a web URL, without a default port and
// without credentials.
func origin(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	switch {
	case port == "",
		port == "80" && (u.Scheme == "http" || u.Scheme == "ws"),
		port == "443" && (u.Scheme == "https" || u.Scheme == "wss"):
		return u.Scheme + "://" + host
	}
	return u.Scheme + "://" + host + ":" + port
}

// blockedOf reduces a blocked URL to what is aggregated: the origin of a
// web URL; the scheme of any other URL ("data", "blob",
// "chrome-extension"), which is also what CSP3 browsers send for them; a
// keyword as browsers send it ("inline", "eval", "wasm-eval",
// "trusted-types-sink"); "other" for anything else; "" for nothing.
func blockedOf(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if u, ok := webURL(s); ok {
		return origin(u)
	}
	if scheme, _, ok := strings.Cut(s, ":"); ok {
		if scheme = strings.ToLower(scheme); isScheme(scheme) {
			return scheme
		}
		return "other"
	}
	if k := strings.ToLower(s); isScheme(k) {
		return k
	}
	return "other"
}

// documentOf is the path of a document's URL, without query or fragment;
// for a document that has no web URL (about:srcdoc, a browser's
// "about" for it), its scheme with a colon. False when s is not an
// absolute URL or a scheme.
func documentOf(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if u, ok := webURL(s); ok {
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		return store.Clip(p, store.MaxDocument), true
	}
	scheme, _, _ := strings.Cut(s, ":")
	if scheme = strings.ToLower(scheme); isScheme(scheme) {
		return scheme + ":", true
	}
	return "", false
}

// sourceOf is a script's URL without query or fragment (origin and path),
// or its scheme, with ":line:column" when known.
func sourceOf(s string, line, col float64) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if u, ok := webURL(s); ok {
		s = origin(u) + u.EscapedPath()
	} else {
		s = blockedOf(s)
	}
	s = store.Clip(s, store.MaxSource-24)
	if line >= 1 && line < 1e9 {
		s += ":" + strconv.Itoa(int(line))
		if col >= 1 && col < 1e9 {
			s += ":" + strconv.Itoa(int(col))
		}
	}
	return s
}

// dispositionOf keeps the two dispositions CSP defines.
func dispositionOf(s string) string {
	switch s = strings.ToLower(s); s {
	case "enforce", "report":
		return s
	}
	return ""
}
