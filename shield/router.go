package shield

import "strings"

// Router finds, for a request's Host, the first of several Shields (in the
// order given) whose hosts allow it — what calling [Shield.AllowsHost] on
// each in turn would find — with a few map lookups, however many Shields
// there are: one for the exact name, one per parent domain for ".domain"
// patterns, and the "*" catch-all. A server with a thousand sites routes
// as fast as one with three.
type Router struct {
	exact    map[string]int // host name or normalized IP → first Shield naming it
	suffixes map[string]int // ".example.com" → first Shield with that pattern
	any      int            // first Shield allowing "*", or -1
}

// NewRouter indexes the hosts of shields. The Shields must not be
// changed afterwards (a Shield is immutable once built).
func NewRouter(shields []*Shield) *Router {
	r := &Router{exact: map[string]int{}, suffixes: map[string]int{}, any: -1}
	first := func(m map[string]int, k string, i int) {
		if _, ok := m[k]; !ok {
			m[k] = i
		}
	}
	for i, s := range shields {
		for name := range s.hosts.exact {
			first(r.exact, name, i)
		}
		for _, suf := range s.hosts.suffixes {
			first(r.suffixes, suf, i)
		}
		if s.hosts.any && r.any < 0 {
			r.any = i
		}
	}
	return r
}

// Route returns the index of the first Shield allowing host (a Host
// header value, port allowed), or -1 when none does or host is malformed.
func (r *Router) Route(host string) int {
	name, err := splitHost(host)
	if err != nil {
		return -1
	}
	if hasUpper(name) {
		name = strings.ToLower(name)
	}
	best := -1
	better := func(i int, ok bool) {
		if ok && (best < 0 || i < best) {
			best = i
		}
	}
	i, ok := r.exact[name]
	better(i, ok)
	if norm, isIP := normalizeIPHost(name); isIP && norm != name {
		i, ok = r.exact[norm]
		better(i, ok)
	}
	if len(r.suffixes) > 0 {
		// Every parent domain, as ".example.com", strictly shorter than
		// the name: ".example.com" allows a.example.com, not example.com
		// itself (the pattern's exact name is indexed above).
		for j := strings.IndexByte(name, '.'); j >= 0; {
			i, ok = r.suffixes[name[j:]]
			better(i, ok)
			k := strings.IndexByte(name[j+1:], '.')
			if k < 0 {
				break
			}
			j += 1 + k
		}
	}
	if r.any >= 0 {
		better(r.any, true)
	}
	return best
}
