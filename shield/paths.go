package shield

import (
	"net/http"
	"strings"
)

// plainPath reports whether a request's path means the same to every
// server that may resolve it: no dot segments ("." or "..", also when
// written %2e), none of the variants some servers treat as one ("..;" and
// ".;" of Tomcat's path parameters, a backslash of IIS), no encoded slash
// or backslash (%2f, %5c: one server splits there, another does not), and
// nothing left percent-encoded after decoding once (%252e, decoded again
// by some). A path that is not plain is never exempt from the redirect nor
// a cross-origin bypass: a pattern matching "/public/*" must not let
// "/public/../admin" out of a protection because the upstream resolves it
// to "/admin".
func plainPath(r *http.Request) bool {
	p := r.URL.Path
	if raw := r.URL.RawPath; raw != "" && (containsFold(raw, "%2f") || containsFold(raw, "%5c")) {
		return false
	}
	if strings.IndexByte(p, '\\') >= 0 {
		return false
	}
	if strings.IndexByte(p, '%') >= 0 && (containsFold(p, "%2e") || containsFold(p, "%2f") || containsFold(p, "%5c") || containsFold(p, "%25")) {
		return false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if dotSegment(seg) {
			return false
		}
	}
	return true
}

// dotSegment reports whether a path segment is "." or "..", alone or with
// a path parameter (".;x", "..;").
func dotSegment(seg string) bool {
	name, _, _ := strings.Cut(seg, ";")
	return name == "." || name == ".."
}

// containsFold reports whether s contains the ASCII lower-case substr in
// any case.
func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
}

// bypassHandler is the handler of every cross-origin bypass pattern, so
// that a match is told apart from the redirects ServeMux answers for paths
// it would clean or complete with a slash. It is never called.
type bypassHandler struct{ _ byte }

func (*bypassHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

var bypassMark = &bypassHandler{}

// bypasses reports whether r matches one of the cross-origin bypass
// patterns exactly, by a plain path.
func bypasses(mux *http.ServeMux, r *http.Request) bool {
	if mux == nil || !plainPath(r) {
		return false
	}
	h, _ := mux.Handler(r)
	return h == http.Handler(bypassMark)
}
