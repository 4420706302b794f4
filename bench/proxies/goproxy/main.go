// Command goproxy is the baseline of the proxy benchmark (bench/proxies):
// the plainest TLS reverse proxy the Go standard library makes.
// crypto/tls (TLS 1.2 and 1.3, ECDHE with AEAD suites), HTTP/2 through
// ALPN, and an httputil.ReverseProxy whose transport keeps up to 256 idle
// upstream connections. Every response gets a fixed list of headers (the
// file given by -headers, one "Name: value" a line, as in
// bench/proxies/headers.txt); cookies are passed through untouched.
//
//	goproxy -listen 127.0.0.1:8443 -to http://127.0.0.1:9000 \
//	        -cert cert.pem -key key.pem -headers headers.txt
package main

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// header is one response header the proxy sets.
type header struct {
	name, value string
}

// parseHeaders reads "Name: value" lines. Blank lines and lines starting
// with # are skipped. Names are canonicalised; a name that is not a valid
// header field name, a missing colon, an empty value or a repeated name is
// an error naming the line.
func parseHeaders(r io.Reader) ([]header, error) {
	var hs []header
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: %q has no colon (want \"Name: value\")", n, line)
		}
		if !validName(name) {
			return nil, fmt.Errorf("line %d: %q is not a valid header name", n, name)
		}
		value = strings.TrimSpace(value)
		if value == "" {
			return nil, fmt.Errorf("line %d: header %s has an empty value", n, name)
		}
		if strings.ContainsAny(value, "\x00\r\n") {
			return nil, fmt.Errorf("line %d: header %s has a control character in its value", n, name)
		}
		name = textproto.CanonicalMIMEHeaderKey(name)
		if first, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: header %s repeats line %d", n, name, first)
		}
		seen[name] = n
		hs = append(hs, header{name, value})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, errors.New("no headers: the file has no \"Name: value\" line")
	}
	return hs, nil
}

// validName reports whether s is an RFC 9110 token (a field name).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// newProxy returns the reverse proxy to upstream that sets hs on every
// response. The upstream sees the client's Host and X-Forwarded-*.
func newProxy(upstream *url.URL, hs []header) *httputil.ReverseProxy {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	// Built once and shared by every response: a one-element slice with
	// no spare capacity, so an append anywhere copies instead of writing
	// into the shared array.
	vals := make([][]string, len(hs))
	for i, h := range hs {
		vals[i] = []string{h.value}[:1:1]
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: tr,
		ModifyResponse: func(resp *http.Response) error {
			for i, h := range hs {
				resp.Header[h.name] = vals[i]
			}
			return nil
		},
	}
}

// tlsConfig is TLS 1.2 and 1.3 with forward-secret AEAD suites only, the
// same profile as portcullis's "intermediate".
func tlsConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8443", "HTTPS listen address (loopback only)")
	to := flag.String("to", "http://127.0.0.1:9000", "upstream URL")
	certFile := flag.String("cert", "", "certificate file (PEM)")
	keyFile := flag.String("key", "", "private key file (PEM)")
	headersFile := flag.String("headers", "", "file of response headers, one \"Name: value\" a line")
	flag.Parse()
	if err := run(*listen, *to, *certFile, *keyFile, *headersFile); err != nil {
		fmt.Fprintln(os.Stderr, "goproxy:", err)
		os.Exit(1)
	}
}

func run(listen, to, certFile, keyFile, headersFile string) error {
	upstream, err := url.Parse(to)
	if err != nil || (upstream.Scheme != "http" && upstream.Scheme != "https") || upstream.Host == "" {
		return fmt.Errorf("-to %q: want an absolute http:// or https:// URL", to)
	}
	if certFile == "" || keyFile == "" || headersFile == "" {
		return errors.New("-cert, -key and -headers are required")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("certificate %s / key %s: %w", certFile, keyFile, err)
	}
	f, err := os.Open(headersFile)
	if err != nil {
		return err
	}
	hs, err := parseHeaders(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", headersFile, err)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: the host must be a loopback IP such as 127.0.0.1", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           newProxy(upstream, hs),
		TLSConfig:         tlsConfig(cert),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(os.Stderr, "goproxy: ", 0),
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		srv.Close()
	}()
	fmt.Printf("goproxy listening on https://%s -> %s (%d headers)\n", ln.Addr(), upstream, len(hs))
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
