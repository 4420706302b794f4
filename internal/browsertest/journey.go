package browsertest

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
	"github.com/portcullis/portcullis/internal/testutil"
)

// CheckClean fails the test for every problem the browser reported since
// it started — console errors and warnings, CSP violations, mixed
// content — and every request that failed or got a 4xx or 5xx.
func (b *Browser) CheckClean() {
	b.t.Helper()
	for _, m := range b.Problems() {
		b.t.Errorf("the browser reported: %v", m)
	}
	for _, e := range b.Requests() {
		if e.Error != "" || e.Status >= 400 {
			b.t.Errorf("request failed: %v", e)
		}
	}
}

// ScreenshotArtifact saves a full-page PNG of the current page as name in
// the test's artifact directory (kept by `go test -artifacts`) and
// returns its path; the test fails unless the file is a non-empty PNG.
func (b *Browser) ScreenshotArtifact(name string) string {
	b.t.Helper()
	path := filepath.Join(b.t.ArtifactDir(), name)
	n := b.Screenshot(path)
	data, err := os.ReadFile(path)
	if err != nil || n == 0 || len(data) != n {
		b.t.Fatalf("screenshot %s: %d bytes written, %d read, %v", path, n, len(data), err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width == 0 || cfg.Height == 0 {
		b.t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// CheckHSTSUpgrade navigates to httpURL, a plain-HTTP URL of a site whose
// HSTS header the browser has seen, and checks that the browser upgraded
// it itself: the first hop is Chromium's internal 307 (no remote
// address) to the https:// URL, the page then loads with 200 from
// httpsRemote (host:port), and serve's plain-HTTP listener logged no new
// request meanwhile.
func (b *Browser) CheckHSTSUpgrade(serve *e2e.Serve, httpURL, httpsRemote string) {
	b.t.Helper()
	want := "https://" + strings.TrimPrefix(httpURL, "http://")
	line := "GET " + want + " 200"
	matching := func(es []e2e.AccessEntry) int {
		n := 0
		for _, e := range es {
			if e.String() == line {
				n++
			}
		}
		return n
	}
	plainBefore, tlsBefore := e2e.SplitTLS(serve.AccessLog())
	nav := b.Navigate(httpURL)
	if nav.Err != "" || len(nav.Chain) != 2 {
		b.t.Fatalf("%s after HSTS:\n%s", httpURL, nav)
	}
	if up := nav.Chain[0]; !up.HSTSUpgrade() || up.Location != want || up.Remote != "" {
		b.t.Errorf("first hop is not the browser's own HSTS upgrade: %v (from %q)", up, up.Remote)
	}
	if f := nav.Final(); f.String() != "GET "+want+" → 200" || f.Remote != httpsRemote {
		b.t.Errorf("after the upgrade: %v (from %q)", f, f.Remote)
	}
	// The HTTPS request's log line comes after any plain-HTTP one the
	// navigation might have caused, so once it is there the count is final.
	var plainAfter []e2e.AccessEntry
	testutil.Eventually(b.t, 5*time.Second, "a new access log line "+line, func() bool {
		var tls []e2e.AccessEntry
		plainAfter, tls = e2e.SplitTLS(serve.AccessLog())
		return matching(tls) > matching(tlsBefore)
	})
	if len(plainAfter) != len(plainBefore) {
		b.t.Errorf("the plain-HTTP listener saw the upgraded request: %v", plainAfter[len(plainBefore):])
	}
}
