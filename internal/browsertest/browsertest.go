// Package browsertest drives a real browser, Debian's headless Chromium,
// over the Chrome DevTools protocol (chromedp), so that a test sees what a
// user's browser makes of a site: the certificate it trusts or refuses,
// the redirects it follows (its own HSTS upgrades included), the cookies it
// stores with their flags, and every error and warning the page or the
// browser reports (console errors, exceptions, CSP violations, mixed
// content).
//
// New starts one browser for a test, with a fresh profile, a hermetic
// resolver (the names of Options.Hosts go to loopback addresses, every
// other name fails to resolve) and the CAs of Options.Roots trusted the way
// a user trusts a private CA (an NSS database in a temporary HOME), so
// certificates are valid in Chromium's eyes and HSTS is recorded. The
// browser and its child processes are ended when the test ends.
//
// Every method runs under a deadline (Options.Timeout) and fails the test
// when the browser does not answer in time; nothing waits forever.
// Navigations record what happened; a page that fails to load is not a
// test failure but a result (Navigation.Err).
package browsertest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/portcullis/portcullis/internal/e2e"
)

// Chromium is the browser New runs.
const Chromium = "/usr/bin/chromium"

// chromiumHint tells how to install Chromium.
const chromiumHint = "scripts/setup.sh installs it (apt-get install chromium)"

// DefaultTimeout bounds each action when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// startTimeout bounds the start of the browser.
const startTimeout = 30 * time.Second

// Options configure New. The zero value is a browser that resolves no name
// but localhost and trusts only the public roots.
type Options struct {
	// Hosts maps site names to loopback addresses (127.0.0.0/8 or ::1):
	// Chromium connects to the address for the name, on the URL's port, so
	// URLs carry real names (https://app.test/) and HSTS can apply. A name
	// may start with "*." for all its subdomains. Every other name fails to
	// resolve. IP literals and localhost names are refused: Chromium never
	// records HSTS for them (IP literals by RFC 6797; localhost since
	// Chromium 132, as TestBrowser checks), and localhost resolves itself.
	Hosts map[string]netip.Addr
	// Roots are CA certificates Chromium trusts for TLS servers, as if a
	// user had added them (an NSS database; needs certutil from
	// libnss3-tools).
	Roots []*x509.Certificate
	// Home, when set, is the HOME Chromium runs with, used as it is: the
	// NSS database in Home/.pki/nssdb, if any, is the only source of
	// trust beside the public roots (Roots must be empty). The profile
	// and temporary files stay in a directory of the harness's.
	Home string
	// Timeout bounds each action: a navigation with everything it loads, a
	// click, a wait. Default: DefaultTimeout.
	Timeout time.Duration
	// Width and Height are the window's size in pixels. Default: 1280×900.
	Width, Height int
	// Flags are extra Chromium switches, without the leading "--"
	// ("name" or "name=value"). One the harness sets too replaces the
	// harness's value: a disable-features list should keep HttpsUpgrades.
	Flags []string
}

// Browser is a running Chromium with one tab. Its methods fail the test
// they were given (New's, or For's) on a harness failure: a deadline, a
// selector that matches nothing, a browser that died.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab; no deadline (each call adds one)
	timeout time.Duration
	rec     *recorder
	pid     int
	dir     string // the browser's profile, TMPDIR and, unless Options.Home, HOME
}

// New starts Chromium for the test t and closes it (its process and its
// children ended) when t ends. Without Chromium the test is skipped (failed
// with CI=true), with the command that installs it; the same holds for
// certutil when Roots is not empty.
//
// Chromium runs with --headless --no-sandbox --disable-gpu --disable-quic
// --no-first-run --no-default-browser-check --disable-background-networking
// --disable-component-update --disable-sync --disable-dev-shm-usage
// --no-proxy-server --hide-scrollbars --window-size, --host-resolver-rules
// for Hosts, --disable-features=HttpsUpgrades (so that an http:// URL
// reaches the server, whose own redirect a test wants to see, rather than
// being upgraded by Chromium on a guess), a new empty --user-data-dir, and
// only HOME, TMPDIR, XDG_CONFIG_HOME and XDG_CACHE_HOME (all under
// t.TempDir(), but HOME when Options.Home is set) and PATH in its
// environment; then Options.Flags.
func New(t testing.TB, o Options) *Browser {
	t.Helper()
	exe := e2e.Need(t, Chromium, chromiumHint)
	args, err := o.flags()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	home := dir
	switch {
	case o.Home != "":
		home = o.Home
	case len(o.Roots) > 0:
		certutil := e2e.Need(t, "certutil", nssHint)
		if err := writeNSSDB(certutil, home, o.Roots); err != nil {
			t.Fatal(err)
		}
	}
	profile := filepath.Join(dir, "profile")
	args = append(args, "user-data-dir="+profile)
	args = append(args, o.Flags...)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.NoInheritEnv,
		chromedp.Env("HOME="+home, "PATH=/usr/bin:/bin", "TMPDIR="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "XDG_CACHE_HOME="+filepath.Join(dir, ".cache")),
	}
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &Browser{t: t, timeout: o.Timeout, rec: newRecorder(), dir: dir}
	if b.timeout <= 0 {
		b.timeout = DefaultTimeout
	}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.rec.handle))
	b.ctx = ctx
	t.Cleanup(func() {
		// A graceful close first, so Chromium ends its children itself;
		// then the allocator kills what is left of the main process and
		// waits for it; then whatever it started and left is killed.
		procs := b.processes()
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		chromedp.Cancel(cctx)
		ccancel()
		cancel()
		acancel()
		if err := endAll(procs); err != nil {
			t.Errorf("browsertest: ending Chromium's processes: %v", err)
		}
	})

	// The first call starts the browser; its context must not carry a
	// deadline (that would end the browser with it), so a timer bounds it.
	timer := time.AfterFunc(startTimeout, cancel)
	err = chromedp.Do(ctx)
	if !timer.Stop() {
		t.Fatalf("browsertest: Chromium did not start within %v", startTimeout)
	}
	if err != nil {
		t.Fatalf("browsertest: starting Chromium (%s %s): %v", exe, strings.Join(args, " "), err)
	}
	if p := chromedp.FromContext(ctx).Browser.Process(); p != nil {
		b.pid = p.Pid
	}
	return b
}

// flags returns the switches New passes (without the profile), after
// checking the options.
func (o Options) flags() ([]string, error) {
	if o.Home != "" && len(o.Roots) > 0 {
		return nil, errors.New("browsertest: Options.Home and Options.Roots: set one (Roots makes an NSS database in a HOME of the harness's)")
	}
	rules, err := hostRules(o.Hosts)
	if err != nil {
		return nil, err
	}
	w, h := o.Width, o.Height
	if w == 0 && h == 0 {
		w, h = 1280, 900
	}
	if w <= 0 || h <= 0 || w > 10000 || h > 10000 {
		return nil, fmt.Errorf("browsertest: window size %d×%d: both must be between 1 and 10000", o.Width, o.Height)
	}
	for i, f := range o.Flags {
		name, _, _ := strings.Cut(f, "=")
		if name == "" || strings.HasPrefix(name, "-") || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("browsertest: Flags[%d] %q: write a switch as name or name=value, without the leading --", i, f)
		}
		switch name {
		case "user-data-dir", "remote-debugging-pipe", "remote-debugging-port":
			return nil, fmt.Errorf("browsertest: Flags[%d] %q: the harness sets --%s itself", i, f, name)
		}
	}
	return []string{
		"headless",
		"no-sandbox",
		"disable-gpu",
		"disable-quic",
		"no-first-run",
		"no-default-browser-check",
		"disable-background-networking",
		"disable-component-update",
		"disable-sync",
		"disable-dev-shm-usage",
		"hide-scrollbars",
		"no-proxy-server",
		"disable-features=HttpsUpgrades",
		"host-resolver-rules=" + rules,
		fmt.Sprintf("window-size=%d,%d", w, h),
	}, nil
}

// For returns the browser bound to the test t, so that a subtest can use a
// browser its parent started: failures are reported to t, on t's
// goroutine. Both share the tab and what it recorded.
func (b *Browser) For(t testing.TB) *Browser {
	c := *b
	c.t = t
	return &c
}

// call runs f under the action deadline and fails the test with what
// (e.g. `click "#go"`) when it errs.
func (b *Browser) call(what string, f func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	if err := f(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			b.t.Fatalf("browsertest: %s: no result within %v: %v", what, b.timeout, err)
		}
		b.t.Fatalf("browsertest: %s: %v", what, err)
	}
}

// Navigation is what loading a page did.
type Navigation struct {
	// URL is where the navigation started.
	URL string
	// Chain is the top-level document's exchanges in order: each redirect
	// (Chromium's own HSTS upgrades included), then the final response or
	// the error.
	Chain []Exchange
	// Requests is every exchange that finished from the start of the
	// navigation until the page's load event: the chain, and the page's
	// scripts, styles, images and fetches.
	Requests []Exchange
	// Err is the load error ("net::ERR_CERT_AUTHORITY_INVALID",
	// "net::ERR_NAME_NOT_RESOLVED"…), "" when the page loaded.
	Err string
}

// Final returns the last exchange of the chain: the response that was
// rendered, or the one that failed. It is the zero Exchange when there was
// none.
func (n *Navigation) Final() Exchange {
	if len(n.Chain) == 0 {
		return Exchange{}
	}
	return n.Chain[len(n.Chain)-1]
}

// String renders the chain, one exchange a line, and the error if any.
func (n *Navigation) String() string {
	var lines []string
	for _, e := range n.Chain {
		lines = append(lines, e.String())
	}
	if n.Err != "" {
		lines = append(lines, "load error: "+n.Err)
	}
	if len(lines) == 0 {
		return "navigation to " + n.URL + ": no request"
	}
	return strings.Join(lines, "\n")
}

// Navigate loads url in the tab and waits for its load event (redirects
// followed). A page that does not load is recorded in Navigation.Err, not
// a test failure.
func (b *Browser) Navigate(url string) *Navigation {
	b.t.Helper()
	return b.navigation("navigate to "+url, url, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		res, err := cdp.Call(ctx, t, page.Navigate, page.NavigateParams{URL: url})
		if err == nil && res.ErrorText != "" {
			err = &chromedp.LoadError{ErrorText: res.ErrorText}
		}
		return err
	}))
}

// ClickAndWait clicks the first visible element matching the CSS selector
// sel (a link, a submit button) and waits for the navigation it causes to
// load.
func (b *Browser) ClickAndWait(sel string) *Navigation {
	b.t.Helper()
	return b.navigation(fmt.Sprintf("click %q", sel), "", chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// navigation runs trigger, waits for the page to load and returns what
// the navigation did.
func (b *Browser) navigation(what, url string, trigger chromedp.Action[chromedp.Void]) *Navigation {
	b.t.Helper()
	n := &Navigation{URL: url}
	var frame cdp.FrameID
	var start int
	b.call(what, func(ctx context.Context) error {
		tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return err
		}
		if tree.FrameTree == nil || tree.FrameTree.Frame == nil {
			return errors.New("the tab has no main frame")
		}
		frame = tree.FrameTree.Frame.ID
		b.rec.mu.Lock()
		start = len(b.rec.exchanges)
		b.rec.mu.Unlock()
		_, err = chromedp.RunResponse(ctx, trigger)
		var le *chromedp.LoadError
		if errors.As(err, &le) {
			n.Err = le.ErrorText
			return nil
		}
		return err
	})
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	n.Requests = slices.Clone(b.rec.exchanges[start:])
	for _, e := range n.Requests {
		if e.Type == string(network.ResourceTypeDocument) && e.frame == frame {
			n.Chain = append(n.Chain, e)
		}
	}
	if n.URL == "" && len(n.Chain) > 0 {
		n.URL = n.Chain[0].URL
	}
	return n
}

// Click clicks the first visible element matching the CSS selector sel,
// without waiting for anything it causes.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	b.call(fmt.Sprintf("click %q", sel), func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	})
}

// clearJS empties the input or textarea matching a selector, with the
// input event a user's deletion fires, and returns its tag name (null when
// nothing matches).
const clearJS = `((sel) => {
	const e = document.querySelector(sel);
	if (e === null) return null;
	if (e.tagName === "INPUT" || e.tagName === "TEXTAREA") {
		e.value = "";
		e.dispatchEvent(new Event("input", {bubbles: true}));
	}
	return e.tagName;
})(%s)`

// Fill types value into the first visible input or textarea matching the
// CSS selector sel, after emptying it, with real key events.
func (b *Browser) Fill(sel, value string) {
	b.t.Helper()
	b.call(fmt.Sprintf("fill %q", sel), func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			return err
		}
		tag, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(clearJS, jsString(sel))))
		if err != nil {
			return err
		}
		if tag != "INPUT" && tag != "TEXTAREA" {
			return fmt.Errorf("the element is a %s, not an input or a textarea", strings.ToLower(tag))
		}
		return chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
	})
}

// Eval evaluates the JavaScript expression expr in the page (awaiting it
// when it is a promise) and decodes its JSON value into out (nil: ignore
// it).
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	b.call("evaluate "+expr, func(ctx context.Context) error {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
		if err != nil || out == nil {
			return err
		}
		if len(raw) == 0 {
			return errors.New("the value is undefined or not JSON")
		}
		return json.Unmarshal(raw, out)
	})
}

// textJS returns the text of the element matching a selector, or null.
const textJS = `((sel) => { const e = document.querySelector(sel); return e === null ? null : e.innerText; })(%s)`

// Text returns the rendered text (innerText) of the first element matching
// the CSS selector sel; the test fails when none does.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	var s *string
	b.Eval(fmt.Sprintf(textJS, jsString(sel)), &s)
	if s == nil {
		b.t.Fatalf("browsertest: text of %q: no element matches", sel)
		return ""
	}
	return *s
}

// WaitText waits until the first element matching the CSS selector sel
// exists and its text contains want, and returns the text. The test fails
// when that does not happen within the action timeout.
func (b *Browser) WaitText(sel, want string) string {
	b.t.Helper()
	var got *string
	b.call(fmt.Sprintf("wait for %q in %q", want, sel), func(ctx context.Context) error {
		for {
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](fmt.Sprintf(textJS, jsString(sel))))
			if err != nil {
				return fmt.Errorf("%w (last text: %s)", err, show(got))
			}
			got = nil
			if err := json.Unmarshal(raw, &got); err != nil {
				return err
			}
			if got != nil && strings.Contains(*got, want) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last text: %s)", ctx.Err(), show(got))
			case <-time.After(25 * time.Millisecond):
			}
		}
	})
	return *got
}

func show(s *string) string {
	if s == nil {
		return "no element"
	}
	return strconv.Quote(*s)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}

// Location returns the URL of the page in the tab.
func (b *Browser) Location() string {
	b.t.Helper()
	var u string
	b.call("read the location", func(ctx context.Context) (err error) {
		u, err = chromedp.Run(ctx, chromedp.Location())
		return err
	})
	return u
}

// Cookie is a cookie as the browser stored it.
type Cookie struct {
	Name, Value  string
	Domain, Path string
	// Secure and HTTPOnly are the cookie's flags.
	Secure, HTTPOnly bool
	// SameSite is "Strict", "Lax" or "None", or "" when the cookie was set
	// without the attribute (Chromium then treats it as Lax).
	SameSite string
	// Expires is when it expires; zero for a session cookie.
	Expires time.Time
}

// Cookies returns every cookie the browser holds, sorted by domain, path
// and name.
func (b *Browser) Cookies() []Cookie {
	b.t.Helper()
	var out []Cookie
	b.call("read the cookies", func(ctx context.Context) error {
		res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
		if err != nil {
			return err
		}
		for _, c := range res.Cookies {
			k := Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Secure: c.Secure, HTTPOnly: c.HTTPOnly, SameSite: string(c.SameSite)}
			if !c.Session && c.Expires > 0 {
				sec, frac := math.Modf(c.Expires)
				k.Expires = time.Unix(int64(sec), int64(frac*1e9))
			}
			out = append(out, k)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Cookie) int {
		return strings.Compare(a.Domain+"\x00"+a.Path+"\x00"+a.Name, b.Domain+"\x00"+b.Path+"\x00"+b.Name)
	})
	return out
}

// Cookie returns the cookie named name, and whether there is one; with
// several of that name (other domains or paths), the first of Cookies.
func (b *Browser) Cookie(name string) (Cookie, bool) {
	b.t.Helper()
	for _, c := range b.Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return Cookie{}, false
}

// Screenshot writes a PNG of the whole page (beyond the window too) to
// path and returns its size in bytes.
func (b *Browser) Screenshot(path string) int {
	b.t.Helper()
	var png []byte
	b.call("screenshot", func(ctx context.Context) (err error) {
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		return err
	})
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("browsertest: writing the screenshot: %v", err)
	}
	return len(png)
}

// Requests returns every exchange that finished since the browser started,
// in the order they finished.
func (b *Browser) Requests() []Exchange {
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	return slices.Clone(b.rec.exchanges)
}

// Messages returns everything the page and the browser reported so far:
// console calls, uncaught exceptions and log entries, in order.
func (b *Browser) Messages() []Message {
	b.rec.mu.Lock()
	defer b.rec.mu.Unlock()
	return slices.Clone(b.rec.messages)
}

// Problems returns the errors and warnings among Messages: console.error
// and console.warn calls, uncaught exceptions, CSP violations, mixed
// content, failed loads, deprecations…
func (b *Browser) Problems() []Message {
	var out []Message
	for _, m := range b.Messages() {
		if m.Problem() {
			out = append(out, m)
		}
	}
	return out
}
