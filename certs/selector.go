package certs

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strings"
)

// Entry pairs certificate names with the Source that serves them.
type Entry struct {
	// Names are host names ("example.com"), one-label wildcards
	// ("*.example.com") and IP addresses ("127.0.0.1", "::1").
	Names []string
	// Source serves the handshakes for these names.
	Source Source
}

// Selector chooses a Source by the server name a client asks for (SNI).
// It is itself a Source, and is immutable: build a new one to change it.
//
// Matching, in order: the exact name; then a wildcard for its parent
// domain ("*.example.com" matches "a.example.com", not "example.com" nor
// "a.b.example.com"). Names are compared case-insensitively and without a
// trailing dot. A client that sends no server name (it connected to an IP
// address) is matched by the connection's local IP address against the IP
// names. With no match the default Source answers, or, without one, the
// handshake fails.
type Selector struct {
	exact    map[string]Source     // DNS names
	wildcard map[string]Source     // "*.example.com" stored as "example.com"
	ips      map[netip.Addr]Source // unmapped addresses
	def      Source
	sources  []Source // distinct sources, for Certificates
}

// NewSelector builds a Selector from entries and an optional default
// (nil for none). A name that is invalid or listed twice, an entry with no
// names and a nil Source are errors.
func NewSelector(entries []Entry, def Source) (*Selector, error) {
	s := &Selector{
		exact:    map[string]Source{},
		wildcard: map[string]Source{},
		ips:      map[netip.Addr]Source{},
		def:      def,
	}
	owner := map[name]int{}
	for i, e := range entries {
		if e.Source == nil {
			return nil, fmt.Errorf("certs: entry %d: no certificate source", i+1)
		}
		if len(e.Names) == 0 {
			return nil, fmt.Errorf("certs: entry %d: no names", i+1)
		}
		for _, raw := range e.Names {
			n, err := parseName(raw)
			if err != nil {
				return nil, fmt.Errorf("certs: entry %d: %w", i+1, err)
			}
			if j, dup := owner[n]; dup {
				if j == i {
					continue
				}
				return nil, fmt.Errorf("certs: entry %d: name %q is already served by entry %d", i+1, raw, j+1)
			}
			owner[n] = i
			switch {
			case n.dns == "":
				s.ips[n.ip] = e.Source
			case strings.HasPrefix(n.dns, "*."):
				s.wildcard[n.dns[2:]] = e.Source
			default:
				s.exact[n.dns] = e.Source
			}
		}
		s.addSource(e.Source)
	}
	if def != nil {
		s.addSource(def)
	}
	return s, nil
}

// addSource records src for Certificates, once per pointer.
func (s *Selector) addSource(src Source) {
	if v := reflect.ValueOf(src); v.Kind() == reflect.Pointer {
		for _, o := range s.sources {
			if w := reflect.ValueOf(o); w.Kind() == reflect.Pointer && w.Pointer() == v.Pointer() && w.Type() == v.Type() {
				return
			}
		}
	}
	s.sources = append(s.sources, src)
}

var errNilHello = errors.New("certs: no ClientHelloInfo")

// GetCertificate chooses the Source for a handshake and returns its
// certificate. It is suitable for tls.Config.GetCertificate.
func (s *Selector) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello == nil {
		return nil, errNilHello
	}
	if src := s.lookup(hello); src != nil {
		return src.GetCertificate(hello)
	}
	if hello.ServerName == "" {
		return nil, fmt.Errorf("certs: no certificate for a connection without server name to %s", localAddr(hello))
	}
	return nil, fmt.Errorf("certs: no certificate for server name %q", hello.ServerName)
}

// lookup finds the Source for a handshake, or nil.
func (s *Selector) lookup(hello *tls.ClientHelloInfo) Source {
	sni := hello.ServerName
	if sni == "" {
		if ip, ok := localIP(hello); ok {
			if src := s.ips[ip]; src != nil {
				return src
			}
		}
		return s.def
	}
	sni = normalize(sni)
	if src := s.exact[sni]; src != nil {
		return src
	}
	if i := strings.IndexByte(sni, '.'); i > 0 {
		if src := s.wildcard[sni[i+1:]]; src != nil {
			return src
		}
	}
	// Clients must not send an IP address as SNI, but some do.
	if ip, err := netip.ParseAddr(sni); err == nil {
		if src := s.ips[ip.Unmap()]; src != nil {
			return src
		}
	}
	return s.def
}

// normalize lower-cases an ASCII server name and drops a trailing dot,
// without allocating when there is nothing to change.
func normalize(sni string) string {
	sni = strings.TrimSuffix(sni, ".")
	for i := 0; i < len(sni); i++ {
		if c := sni[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(sni)
		}
	}
	return sni
}

// localIP returns the local address of the handshake's connection.
func localIP(hello *tls.ClientHelloInfo) (netip.Addr, bool) {
	if hello.Conn == nil {
		return netip.Addr{}, false
	}
	switch a := hello.Conn.LocalAddr().(type) {
	case *net.TCPAddr:
		if a == nil {
			return netip.Addr{}, false
		}
		ip, ok := netip.AddrFromSlice(a.IP)
		return ip.Unmap().WithZone(""), ok
	case nil:
		return netip.Addr{}, false
	default:
		ap, err := netip.ParseAddrPort(a.String())
		return ap.Addr().Unmap().WithZone(""), err == nil
	}
}

func localAddr(hello *tls.ClientHelloInfo) string {
	if ip, ok := localIP(hello); ok {
		return ip.String()
	}
	return "an unknown address"
}

// Certificates describes the certificates of every Source, the default
// included, each Source once.
func (s *Selector) Certificates() []Info {
	var out []Info
	for _, src := range s.sources {
		out = append(out, src.Certificates()...)
	}
	return out
}
