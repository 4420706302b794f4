package django

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
)

// siteName is the name the stack's site answers to.
const siteName = "app.test"

// stack is the example Django project under gunicorn on 127.0.0.1, behind
// `portcullis serve` on a loopback address's ports 80 and 443, with a
// migrated SQLite database and one user. Everything lives in the test's
// temporary directories and stops when the test ends.
type stack struct {
	// IP is the loopback address portcullis listens on (ports 80, 443).
	IP netip.Addr
	// Name is the site's name, "app.test".
	Name string
	// Site is the throwaway CA and the certificate portcullis serves.
	Site *e2e.Site
	// Serve is the running `portcullis serve`.
	Serve *e2e.Serve
	// Gunicorn is the running gunicorn; its Log holds its access log and
	// Django's warnings (CSRF failures with their reason).
	Gunicorn *e2e.Proc
	// Upstream is gunicorn's address, "127.0.0.1:PORT".
	Upstream string
	// FrontProxy is an address in the site's trusted_proxies, as a CDN
	// in front of portcullis would be; connections from it may forward
	// the client's address.
	FrontProxy netip.Addr
	// User and Password log in to the site.
	User, Password string
	// Django is the Django the site runs on.
	Django runtime
	// Dir is the Django project (this directory); Env the environment
	// manage.py and gunicorn run with.
	Dir string
	Env []string
}

// runtime is one Django the example is tested on, run by Debian's
// /usr/bin/python3 and gunicorn.
type runtime struct {
	// Version is the version found, "3.2.25"; Major its first number.
	Version string
	Major   int
	// PythonPath is the directory this Django is imported from, put first
	// on PYTHONPATH; empty for Debian's python3-django, which Python finds
	// by itself.
	PythonPath string
}

// backportDir is where scripts/setup.sh unpacks Django 4.2 from
// bookworm-backports, relative to this package's directory.
const backportDir = ".deps/django-4.2/usr/lib/python3/dist-packages"

// runtimes are the Djangos the example must work on: Debian 12's
// python3-django (3.2 LTS) and 4.2 LTS, whose CSRF protection differs (it
// checks Origin, and wants scheme-qualified trusted origins).
var runtimes = []struct{ series, pythonPath, install string }{
	{"3.2", "", "apt-get install python3-django (or run scripts/setup.sh)"},
	{"4.2", backportDir, "run scripts/setup.sh, which unpacks it from bookworm-backports"},
}

// eachDjango runs test as a subtest per Django of runtimes, named after its
// series ("django-4.2"), the subtests in parallel if parallel is set. A
// Django that is not there skips its subtest (fails it with CI=true).
func eachDjango(t *testing.T, parallel bool, test func(*testing.T, runtime)) {
	for _, r := range runtimes {
		t.Run("django-"+r.series, func(t *testing.T) {
			if parallel {
				t.Parallel()
			}
			test(t, needDjango(t, r.series, r.pythonPath, r.install))
		})
	}
}

// needDjango skips the test (fails it with CI=true) unless gunicorn is
// installed and /usr/bin/python3 imports Django of the given series, from
// pythonPath first if it is set; it returns that Django.
func needDjango(t testing.TB, series, pythonPath, install string) runtime {
	t.Helper()
	e2e.Need(t, "/usr/bin/gunicorn", "install it with: apt-get install gunicorn (or run scripts/setup.sh)")
	e2e.Need(t, "/usr/bin/python3", "install it with: apt-get install python3")
	var r runtime
	if pythonPath != "" {
		r.PythonPath = filepath.Join(projectDir(t), pythonPath)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", "import django; print(django.get_version())")
	cmd.Env = r.env(t.TempDir())
	out, err := cmd.CombinedOutput()
	r.Version = strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(r.Version, series+".") {
		e2e.Missing(t, fmt.Sprintf("Django %s: /usr/bin/python3 (PYTHONPATH %q) imports %q (%v); %s", series, r.PythonPath, r.Version, err, install))
		return r
	}
	major, _, _ := strings.Cut(r.Version, ".")
	if r.Major, err = strconv.Atoi(major); err != nil {
		t.Fatalf("Django's version %q: %v", r.Version, err)
	}
	return r
}

// env is the environment of manage.py and gunicorn on r: nothing is
// inherited (no pyenv or PYTHONPATH of the developer's shell), no
// bytecode is written into the source tree, and the settings come from
// the DJANGO_* variables in vars.
func (r runtime) env(dir string, vars ...string) []string {
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + dir,
		"LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
	}
	if r.PythonPath != "" {
		env = append(env, "PYTHONPATH="+r.PythonPath)
	}
	return append(env, vars...)
}

// randomString returns n random bytes in base64url (4n/3 characters).
func randomString(t testing.TB, n int) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString(randomBytes(t, n))
}

// projectDir is the absolute path of the Django project (the package's
// directory, where `go test` runs).
func projectDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// manage runs `manage.py args...` in dir with the environment env and
// returns its combined output, failing the test if it fails.
func manage(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := manageOutput(dir, env, args...)
	if err != nil {
		t.Fatalf("manage.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// manageOutput runs `manage.py args...` in dir with the environment env
// and returns its combined output.
func manageOutput(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("/usr/bin/python3", append([]string{"manage.py"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// startStack migrates a fresh database, creates the user, starts
// `portcullis serve` (HSTS preload, strict CSP, security.txt) and gunicorn
// on Django r behind it, and returns once both accept connections.
func startStack(t testing.TB, r runtime) *stack {
	t.Helper()
	state := t.TempDir()
	s := &stack{
		Django:   r,
		IP:       e2e.LoopbackHost(t),
		Name:     siteName,
		Site:     e2e.NewSite(t, siteName),
		Upstream: e2e.FreeAddr(t, netip.MustParseAddr("127.0.0.1")),
		User:     "alice",
		Password: randomString(t, 18),
		Dir:      projectDir(t),
	}
	s.FrontProxy = e2e.RandomLoopback(s.IP)
	s.Env = r.env(state,
		"DJANGO_SECRET_KEY="+randomString(t, 48),
		"DJANGO_ALLOWED_HOSTS="+siteName,
		"DJANGO_DB_PATH="+filepath.Join(state, "db.sqlite3"),
		"DJANGO_TRUSTED_PROXIES=127.0.0.1",
		"DJANGO_USER="+s.User,
		"DJANGO_PASSWORD="+s.Password,
	)
	// The database is prepared while portcullis starts (and, for the
	// first stack of the test process, while its binary is built).
	var prepErr error
	var prep sync.WaitGroup
	prep.Go(func() {
		for _, args := range [][]string{{"migrate", "--no-input", "-v", "0"}, {"ensureuser"}} {
			if out, err := manageOutput(s.Dir, s.Env, args...); err != nil {
				prepErr = fmt.Errorf("manage.py %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	t.Cleanup(prep.Wait) // before the state directory is removed
	s.Serve = e2e.StartServe(t, serveConfig(s))
	if prep.Wait(); prepErr != nil {
		t.Fatal(prepErr)
	}

	// --preload loads Django before "Listening at", so a settings error
	// stops gunicorn before the test goes on; the access log goes to
	// stdout, Django's warnings to stderr, both into Gunicorn.Log.
	cmd := exec.Command("/usr/bin/gunicorn", "--bind", s.Upstream, "--chdir", s.Dir,
		"--preload", "--threads", "4", "--access-logfile", "-", "mysite.wsgi")
	cmd.Dir, cmd.Env = s.Dir, s.Env
	s.Gunicorn = e2e.Start(t, "gunicorn", cmd, "Listening at", 30*time.Second)

	return s
}

// serveConfig is the portcullis configuration of s: its site on ports
// 443 and 80 of s.IP, proxying to gunicorn, with the production policy
// (HSTS preload, strict CSP, security.txt) and s.FrontProxy trusted.
func serveConfig(s *stack) string {
	return fmt.Sprintf(`
[listen]
https = "%[1]s:443"
http = "%[1]s:80"
admin = "off"

[[site]]
hosts = [%[2]q]
upstream = "http://%[3]s"
trusted_proxies = [%[4]q]

[site.policy.hsts]
preload = true

[site.policy.csp]
policy = "strict"

[site.policy.security_txt]
contact = ["mailto:security@app.test"]

`+s.Site.CertTOML(), s.IP, siteName, s.Upstream, s.FrontProxy.String())
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// client returns an HTTP client for the site: it connects to the stack's
// loopback address for app.test (ports 80 and 443, nothing else), trusts
// the site's CA, keeps cookies and does not follow redirects.
func (s *stack) client(t testing.TB) *http.Client {
	return s.clientFrom(t, netip.Addr{})
}

// clientFrom is client with connections made from the source address src
// (any address of 127.0.0.0/8 works on Linux); the zero Addr lets the
// system choose.
func (s *stack) clientFrom(t testing.TB, src netip.Addr) *http.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != s.Name || (port != "80" && port != "443") {
				return nil, fmt.Errorf("test client: no route to %s: only %s:80 and :443 are reachable", addr, s.Name)
			}
			return d.DialContext(ctx, network, net.JoinHostPort(s.IP.String(), port))
		},
		TLSClientConfig:   &tls.Config{RootCAs: s.Site.CA.Pool()},
		ForceAttemptHTTP2: true,
	}
	t.Cleanup(tr.CloseIdleConnections)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Transport:     tr,
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// accessLogRE matches a request line in gunicorn's access log.
var accessLogRE = regexp.MustCompile(`"([A-Z]+ \S+) HTTP/1\.[01]" (\d{3}) `)

// requests returns the requests gunicorn has logged from byte offset
// from of its log on, as "METHOD TARGET STATUS".
func (s *stack) requests(from int) []string {
	var out []string
	for _, m := range accessLogRE.FindAllStringSubmatch(s.Gunicorn.Log.String()[from:], -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

// direct returns an HTTP client that reaches gunicorn itself, bypassing
// portcullis, from the source address src (zero: the system's choice);
// it does not follow redirects. It shows what anyone who could reach
// Django directly would get.
func (s *stack) direct(t testing.TB, src netip.Addr) *http.Client {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if src.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: src.AsSlice()}
	}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// djangoHTML is the Content-Type of Django's own HTML pages (its CSRF
// failure page): 4.0 added the charset.
func (s *stack) djangoHTML() string {
	if s.Django.Major >= 4 {
		return "text/html; charset=utf-8"
	}
	return "text/html"
}

// url returns https://app.test + path.
func (s *stack) url(path string) string { return "https://" + s.Name + path }
