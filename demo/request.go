package demo

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
)

// clientIP is the client's address as the proxy in front reported it: the
// rightmost X-Forwarded-For element (the one the nearest proxy appended).
// The app trusts it only because it listens on loopback behind portcullis.
// Without a usable header it is the peer address.
func clientIP(r *http.Request) string {
	if ip, ok := lastForwardedFor(r.Header.Values("X-Forwarded-For")); ok {
		return ip
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if ip, ok := parseIP(host); ok {
			return ip
		}
	}
	return "unknown"
}

// lastForwardedFor parses the rightmost element of X-Forwarded-For header
// lines into a canonical IP address.
func lastForwardedFor(lines []string) (string, bool) {
	if len(lines) == 0 {
		return "", false
	}
	v := lines[len(lines)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return parseIP(strings.TrimSpace(v))
}

// parseIP accepts an IP address, optionally bracketed or with a port
// ("192.0.2.1", "2001:db8::1", "[2001:db8::1]", "192.0.2.1:4711",
// "[2001:db8::1]:4711"), and returns it canonical: IPv4-mapped IPv6 as
// IPv4, no zone.
func parseIP(s string) (string, bool) {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		a = ap.Addr()
	} else {
		if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			s = s[1 : len(s)-1]
			if !strings.Contains(s, ":") {
				return "", false // brackets are for IPv6 only
			}
		}
		var err error
		if a, err = netip.ParseAddr(s); err != nil {
			return "", false
		}
	}
	return a.Unmap().WithZone("").String(), true
}

// scheme is the scheme the browser used, as X-Forwarded-Proto claims it
// (its first element), else that of the connection to the app.
func scheme(r *http.Request) string {
	p, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	switch p = strings.ToLower(strings.TrimSpace(p)); p {
	case "http", "https":
		return p
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// cookieNames lists the names of the cookies r carries, sorted, without
// their values.
func cookieNames(r *http.Request) []string {
	names := []string{}
	for _, c := range r.Cookies() {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

// requestView is the request as the app received it, for the account page.
type requestView struct {
	Scheme, Client                      string
	Host, ForwardedHost, ForwardedProto string
	ForwardedFor, Forwarded             string
	EffectiveHost                       string
	TLSToProxy, TLSToApp                string
	Cookies                             []string
	HasSession, HasCSRF                 bool
}

func viewRequest(r *http.Request) requestView {
	h := r.Header
	v := requestView{
		Scheme:         scheme(r),
		Client:         clientIP(r),
		Host:           r.Host,
		ForwardedHost:  strings.Join(h.Values("X-Forwarded-Host"), ", "),
		ForwardedProto: strings.Join(h.Values("X-Forwarded-Proto"), ", "),
		ForwardedFor:   strings.Join(h.Values("X-Forwarded-For"), ", "),
		Forwarded:      strings.Join(h.Values("Forwarded"), ", "),
		TLSToProxy:     "no",
		TLSToApp:       "no: plain HTTP",
		Cookies:        cookieNames(r),
	}
	v.EffectiveHost = v.ForwardedHost
	if v.EffectiveHost == "" {
		v.EffectiveHost = v.Host
	}
	if v.Scheme == "https" {
		v.TLSToProxy = "yes (as the proxy claims)"
	}
	if r.TLS != nil {
		v.TLSToApp = "yes"
	}
	for _, n := range v.Cookies {
		v.HasSession = v.HasSession || n == SessionCookie
		v.HasCSRF = v.HasCSRF || n == CSRFCookie
	}
	return v
}

// echoView is the JSON of GET /__demo/echo.
type echoView struct {
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	Proto    string              `json:"proto"`
	Host     string              `json:"host"`
	Scheme   string              `json:"scheme"`
	Client   string              `json:"client"`
	TLSToApp bool                `json:"tls_to_app"`
	Headers  map[string][]string `json:"headers"`
	Cookies  []string            `json:"cookies"`
}

// hidden replaces the values of headers that carry credentials.
const hidden = "(hidden)"

// echo answers with the request as received. Cookie headers list cookie
// names only; Authorization values are hidden.
func (a *app) echo(w http.ResponseWriter, r *http.Request) {
	e := echoView{
		Method:   r.Method,
		Path:     r.URL.Path,
		Proto:    r.Proto,
		Host:     r.Host,
		Scheme:   scheme(r),
		Client:   clientIP(r),
		TLSToApp: r.TLS != nil,
		Headers:  make(map[string][]string, len(r.Header)),
		Cookies:  cookieNames(r),
	}
	for k, vs := range r.Header {
		switch {
		case strings.EqualFold(k, "Cookie"):
			vs = e.Cookies
		case strings.EqualFold(k, "Authorization"), strings.EqualFold(k, "Proxy-Authorization"):
			vs = []string{hidden}
		}
		e.Headers[k] = vs
	}
	body, err := json.MarshalIndent(e, "", "  ")
	if err != nil { // cannot happen for these types; answer plainly anyway
		http.Error(w, "demo: encoding the echo failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(body, '\n'))
}
