package cspsuggest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// site is a small app: a home page linking to two pages, a file, a
// redirect off the host, another origin and itself; its inline script
// carries a value that changes per request.
func site(t *testing.T) *httptest.Server {
	var n atomic.Int64
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, s string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "frame-ancestors 'self'; object-src 'none'")
		io.WriteString(w, s)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		html(w, fmt.Sprintf(`<!doctype html><script>var token = %d</script><script>alert(1)</script>
<a href="/a">a</a> <a href="/b#part">b</a> <a href="/file.pdf">pdf</a> <a href="/away">away</a>
<a href="https://elsewhere.test/">elsewhere</a> <a href="/">home</a> <a href="/missing">404</a>`, n.Add(1)))
	})
	mux.HandleFunc("GET /a", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<script src="https://cdn.test/a.js"></script><a href="/c">c</a>`)
	})
	mux.HandleFunc("GET /b", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<img src="https://img.test/b.png">`)
	})
	mux.HandleFunc("GET /c", func(w http.ResponseWriter, r *http.Request) { html(w, `<p>c`) })
	mux.HandleFunc("GET /file.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		io.WriteString(w, "%PDF")
	})
	mux.HandleFunc("GET /away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.test/", http.StatusFound)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCSPCrawl(t *testing.T) {
	srv := site(t)
	pages, errs, err := Crawl(context.Background(), srv.URL+"/#top", CrawlOptions{Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pages {
		got = append(got, strings.TrimPrefix(p.URL, srv.URL))
	}
	// Breadth first, each page once, same origin only.
	if want := []string{"/", "/a", "/b", "/c"}; !slices.Equal(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	var failed []string
	for _, e := range errs {
		failed = append(failed, strings.TrimPrefix(e.URL, srv.URL)+": "+e.Err)
	}
	for _, want := range []string{"/file.pdf: not an HTML page", "/away: ", "redirected to another host", "/missing: 404"} {
		if !strings.Contains(strings.Join(failed, "\n"), want) {
			t.Errorf("errors %q lack %q", failed, want)
		}
	}
	// The token's script changed between two loads; alert(1) did not.
	if u := pages[0].Unstable; len(u) != 1 || !strings.HasPrefix(u[0].Sample, "var token") {
		t.Errorf("unstable %+v", u)
	}
	if len(pages[0].Policies) != 1 {
		t.Errorf("policies %v", pages[0].Policies)
	}

	s := Suggest(Input{Site: "app", Pages: pages})
	want := "default-src 'self'; script-src 'self' https://cdn.test " + hashAlert + "; img-src 'self' https://img.test; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
	if s.Policy != want {
		t.Errorf("policy\n got %s\nwant %s", s.Policy, want)
	}
	if len(s.Changes) != 1 || s.Changes[0].Kind != ChangeInlineScript || !strings.Contains(s.Changes[0].Fix, "changed between two loads") {
		t.Errorf("changes %+v", s.Changes)
	}
}

func TestCSPCrawlMaxPages(t *testing.T) {
	srv := site(t)
	pages, _, err := Crawl(context.Background(), srv.URL+"/", CrawlOptions{Client: srv.Client(), MaxPages: 2})
	if err != nil || len(pages) != 2 {
		t.Fatalf("%d pages, %v", len(pages), err)
	}
}

// TestCrawlResolve: the crawl dials through Resolve and trusts Roots, as
// audit does, so that a site is crawled under its own name.
func TestCSPCrawlResolve(t *testing.T) {
	srv := site(t)
	u, _ := url.Parse(srv.URL)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	// httptest's certificate is for example.com.
	pages, _, err := Crawl(context.Background(), "https://example.com:"+u.Port()+"/", CrawlOptions{
		Resolve: map[string]string{"example.com:" + u.Port(): "127.0.0.1"}, Roots: roots, MaxPages: 1, Timeout: 5 * time.Second})
	if err != nil || len(pages) != 1 || pages[0].URL != "https://example.com:"+u.Port()+"/" {
		t.Fatalf("pages %v, %v", pages, err)
	}
}

func TestCSPCrawlStartErrors(t *testing.T) {
	srv := site(t)
	for _, start := range []string{"ftp://x/", "/relative", srv.URL + "/file.pdf", srv.URL + "/missing"} {
		if _, _, err := Crawl(context.Background(), start, CrawlOptions{Client: srv.Client()}); err == nil {
			t.Errorf("Crawl(%s): no error", start)
		}
	}
}
