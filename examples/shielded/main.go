// Command shielded is a small web app behind shield: HTTPS on
// https://localhost:8443 (a throwaway self-signed certificate made at start,
// kept in memory only) and a plain-HTTP listener on :8080 that redirects to
// it. Open http://localhost:8080 and look at the response headers and
// cookies in the browser's developer tools.
//
//	go run ./examples/shielded
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/csp"
	"github.com/portcullis/portcullis/securitytxt"
	"github.com/portcullis/portcullis/shield"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>shielded</title>
<style nonce="{{.Nonce}}">body{font:16px system-ui;margin:2em;max-width:48em} code{background:#eee;padding:0 .2em}</style></head>
<body><h1>This page is behind shield</h1>
<p>Scheme <code>{{.Info.Scheme}}</code>, host <code>{{.Info.Host}}</code>, client <code>{{.Info.ClientIP}}</code>.</p>
<p>The handler set the cookie <code>sessionid=…</code> with no flags; shield added
<code>Secure</code>, <code>HttpOnly</code> and <code>SameSite=Lax</code>. Its CSP allows only scripts that carry this
request's nonce:</p>
<p id="out">(the inline script did not run)</p>
<script nonce="{{.Nonce}}">document.getElementById("out").textContent = "the nonce'd inline script ran";</script>
<p>Also served: <a href="/.well-known/security.txt">/.well-known/security.txt</a>.</p>
</body></html>`))

func main() {
	httpsAddr := flag.String("https", "localhost:8443", "HTTPS listen address")
	httpAddr := flag.String("http", "localhost:8080", "plain-HTTP (redirect) listen address")
	flag.Parse()

	_, portStr, err := net.SplitHostPort(*httpsAddr)
	if err != nil {
		log.Fatalf("-https %q: %v", *httpsAddr, err)
	}
	port, _ := strconv.Atoi(portStr)

	policy := csp.Strict()
	s, err := shield.New(shield.Options{
		Hosts:    []string{"localhost", "127.0.0.1", "::1"},
		Redirect: shield.Redirect{Port: port},
		CSP:      shield.CSP{Policy: &policy, Nonce: true},
		SecurityTxt: &shield.SecurityTxt{
			File:      securitytxt.File{Contact: []string{"mailto:security@example.com"}, PreferredLanguages: []string{"en"}},
			ExpiresIn: 90 * 24 * time.Hour,
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sessionid", Value: rand.Text(), Path: "/"})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, struct {
			Nonce string
			Info  shield.Info
		}{shield.Nonce(r), shield.RequestInfo(r)})
	})
	h := s.Wrap(app)

	cert, err := selfSigned()
	if err != nil {
		log.Fatal(err)
	}
	tlsSrv := &http.Server{
		Addr:              *httpsAddr,
		Handler:           h,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	plain := &http.Server{Addr: *httpAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second}

	fmt.Printf("shielded: https://%s (self-signed certificate: your browser will warn)\n", *httpsAddr)
	fmt.Printf("shielded: http://%s redirects to it\n", *httpAddr)
	errc := make(chan error, 2)
	go func() { errc <- tlsSrv.ListenAndServeTLS("", "") }()
	go func() { errc <- plain.ListenAndServe() }()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// selfSigned makes a short-lived ECDSA P-256 certificate for the local
// names. It lives in memory only; `portcullis serve` replaces it with a
// local CA.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
