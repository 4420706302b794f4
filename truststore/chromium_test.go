package truststore

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/internal/browsertest"
	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	e2e.Cleanup()
	os.Exit(code)
}

// TestChromium: a real Chromium, whose HOME holds only the NSS database
// Install made (no root from the harness, no certificate errors ignored),
// loads a page whose certificate the root issued; after Uninstall a new
// browser refuses it.
func TestChromium(t *testing.T) {
	t.Parallel()
	e2e.Need(t, browsertest.Chromium, "scripts/setup.sh installs it (apt-get install chromium)")
	e2e.Need(t, "certutil", nssHint)
	ca := testutil.NewCA(t, "portcullis browser test root")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>trusted</title><h1>hello</h1>")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t, []string{"trust.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	url := "https://trust.test:" + port + "/"
	home := t.TempDir()
	o := Options{Home: home, SkipSystem: true}
	visit := func(t *testing.T) *browsertest.Navigation {
		b := browsertest.New(t, browsertest.Options{
			Hosts: map[string]netip.Addr{"trust.test": netip.MustParseAddr("127.0.0.1")},
			Home:  home,
		})
		return b.Navigate(url)
	}

	// The steps run in order, each with a new browser.
	t.Run("installed", func(t *testing.T) {
		if _, err := Install(ca.Cert, o); err != nil {
			t.Fatal(err)
		}
		nav := visit(t)
		if nav.Err != "" || nav.Final().Status != http.StatusOK {
			t.Fatalf("after Install:\n%s", nav)
		}
	})
	t.Run("uninstalled", func(t *testing.T) {
		stores, err := Uninstall(ca.Cert, o)
		if err != nil || actions(stores)["Chromium (NSS)"] != Removed {
			t.Fatalf("Uninstall: %v, %v", stores, err)
		}
		if nav := visit(t); nav.Err != "net::ERR_CERT_AUTHORITY_INVALID" {
			t.Fatalf("after Uninstall, want net::ERR_CERT_AUTHORITY_INVALID:\n%s", nav)
		}
	})
}

// TestChromiumLocalCA: the root portcullis makes (name-constrained to
// localhost and loopback addresses), once installed, is trusted by
// Chromium for a localhost leaf it issued.
func TestChromiumLocalCA(t *testing.T) {
	t.Parallel()
	e2e.Need(t, browsertest.Chromium, "scripts/setup.sh installs it (apt-get install chromium)")
	e2e.Need(t, "certutil", nssHint)
	ca, err := certs.OpenLocalCA(t.TempDir(), certs.LocalCAOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>local</title>")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{*leaf}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	home := t.TempDir()
	if _, err := Install(ca.Root(), Options{Home: home, SkipSystem: true}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, browsertest.Options{Home: home})
	if nav := b.Navigate("https://localhost:" + port + "/"); nav.Err != "" || nav.Final().Status != http.StatusOK {
		t.Fatalf("the local CA's leaf:\n%s", nav)
	}
}
