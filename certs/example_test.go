package certs_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/portcullis/portcullis/certs"
)

// Open (on first run: create) a local CA, serve localhost with it, and
// check a leaf the way a client that trusts root.pem would.
func ExampleOpenLocalCA() {
	dir, err := os.MkdirTemp("", "portcullis-ca")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ca, err := certs.OpenLocalCA(filepath.Join(dir, "ca"), certs.LocalCAOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	src, err := ca.Source([]string{"localhost", "127.0.0.1", "::1"})
	if err != nil {
		log.Fatal(err)
	}
	// A server would use: &tls.Config{GetCertificate: src.GetCertificate}.
	cert, err := src.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{Roots: ca.RootPool(), DNSName: "localhost"})
	fmt.Println("verifies for localhost:", err == nil)
	fmt.Println("root file:", filepath.Base(ca.RootPath()))
	info := src.Certificates()[0]
	fmt.Println(info.Names, info.Source, info.KeyType)

	// The CA is name-constrained: real sites need another source.
	_, err = ca.Issue([]string{"example.com"})
	fmt.Println("example.com refused:", err != nil)
	// Output:
	// verifies for localhost: true
	// root file: root.pem
	// [localhost 127.0.0.1 ::1] local ECDSA P-256
	// example.com refused: true
}

// Choose certificates by server name: a local CA leaf for localhost and
// the loopback address (clients connecting to 127.0.0.1 send no name), a
// hot-reloaded file pair for the public site.
func ExampleNewSelector() {
	dir, err := os.MkdirTemp("", "portcullis-ca")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca, err := certs.OpenLocalCA(dir, certs.LocalCAOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	local, err := ca.Source([]string{"localhost", "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	entries := []certs.Entry{{Names: []string{"localhost", "127.0.0.1"}, Source: local}}
	// With files, for example:
	//   fs, err := certs.NewFileSource("site.pem", "site-key.pem", certs.FileSourceOptions{})
	//   go fs.Start(ctx)
	//   entries = append(entries, certs.Entry{Names: []string{"example.com", "*.example.com"}, Source: fs})
	sel, err := certs.NewSelector(entries, nil)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{GetCertificate: sel.GetCertificate, MinVersion: tls.VersionTLS12}

	c, err := cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: "LOCALHOST."})
	fmt.Println(c.Leaf.DNSNames, err)
	_, err = cfg.GetCertificate(&tls.ClientHelloInfo{ServerName: "example.org"})
	fmt.Println(err)
	// Output:
	// [localhost] <nil>
	// certs: no certificate for server name "example.org"
}
