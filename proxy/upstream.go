package proxy

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/internal/grammar"
)

// upstream is a validated Options.Upstream.
type upstream struct {
	// target is what requests are routed to. For a Unix socket it is
	// "http://unix-socket": the host only names the connection pool, the
	// dialer ignores it.
	target *url.URL
	// socket is the Unix socket path, or "".
	socket string
	// name is the canonical spelling, for logs and errors; parsing it
	// again gives the same upstream.
	name string
}

const upstreamForms = `"http://host:port", "https://host:port" or "unix:/path/to.sock"`

// parseUpstream validates an upstream address: an http or https URL with
// a host, an optional port and an optional base path (no credentials,
// query or fragment), or "unix:" followed by an absolute socket path
// ("unix:///path" is accepted too).
func parseUpstream(s string) (upstream, error) {
	if s == "" {
		return upstream{}, fmt.Errorf("upstream is empty; want %s", upstreamForms)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return upstream{}, fmt.Errorf("upstream %q: %s at offset %d", s, grammar.DescribeByte(c), i)
		}
	}
	if len(s) >= 5 && strings.EqualFold(s[:5], "unix:") {
		return parseUnix(s)
	}
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return upstream{}, fmt.Errorf("upstream %q: no scheme; want %s", s, upstreamForms)
	}
	if sc := strings.ToLower(scheme); sc != "http" && sc != "https" {
		return upstream{}, fmt.Errorf("upstream %q: scheme %q is not supported; want %s", s, scheme, upstreamForms)
	}
	u, err := url.Parse(s)
	if err != nil {
		return upstream{}, fmt.Errorf("upstream %q: %v", s, unwrapURLError(err))
	}
	switch {
	case u.User != nil:
		return upstream{}, fmt.Errorf("upstream %q: credentials in the address are not supported", s)
	case u.RawQuery != "" || u.ForceQuery:
		return upstream{}, fmt.Errorf("upstream %q: a query is not allowed", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return upstream{}, fmt.Errorf("upstream %q: a fragment is not allowed", s)
	case u.Hostname() == "":
		return upstream{}, fmt.Errorf("upstream %q: no host", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return upstream{}, fmt.Errorf("upstream %q: port %q is not between 1 and 65535", s, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return upstream{}, fmt.Errorf("upstream %q: empty port", s)
	}
	if u.Path == "/" {
		u.Path, u.RawPath = "", ""
	}
	u.Host = strings.ToLower(u.Host)
	return upstream{target: u, name: u.String()}, nil
}

func parseUnix(s string) (upstream, error) {
	path := s[len("unix:"):]
	if rest, ok := strings.CutPrefix(path, "//"); ok {
		if !strings.HasPrefix(rest, "/") {
			return upstream{}, fmt.Errorf("upstream %q: a Unix socket address has no host; want unix:/path/to.sock or unix:///path/to.sock", s)
		}
		path = rest
	}
	if path == "" {
		return upstream{}, fmt.Errorf("upstream %q: no socket path; want unix:/path/to.sock", s)
	}
	if !strings.HasPrefix(path, "/") {
		return upstream{}, fmt.Errorf("upstream %q: socket path %q is not absolute", s, path)
	}
	path = filepath.Clean(path) // "//run//app.sock" is "/run/app.sock"
	return upstream{
		target: &url.URL{Scheme: "http", Host: "unix-socket"},
		socket: path,
		name:   "unix:" + path,
	}, nil
}

// unwrapURLError drops url.Error's repetition of the operation and URL,
// which the caller's message already carries.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
