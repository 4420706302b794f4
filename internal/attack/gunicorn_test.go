package attack

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/e2e"
)

// testGunicornUnderscore sends forwarding headers spelled with
// underscores to wsgi.test, Debian's gunicorn behind portcullis, whose
// WSGI app answers the HTTP_* keys of its environ. gunicorn maps '-' and
// '_' alike and joins the values of fields that meet, so
// "X_Forwarded_For: 6.6.6.6" would turn the client's address into
// "CLIENT,6.6.6.6" for the app.
func testGunicornUnderscore(t *testing.T, e *env, addr string) {
	gunicorn := e2e.Need(t, "/usr/bin/gunicorn", "install it with: apt-get install gunicorn (or run scripts/setup.sh)")
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gunicorn, "--bind", addr, "--chdir", dir, "--workers", "1", "environ_app:app")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "LANG=C.UTF-8",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1"}
	e2e.Start(t, "gunicorn", cmd, "Listening at", 30*time.Second)

	c := e.dial(t, e.HTTPS, []string{"http/1.1"})
	o := e.exchange(t, c, req(append([]string{"GET /env HTTP/1.1", "Host: wsgi.test"}, underscoreHeaders...)...), 1, false)
	if len(o.Responses) != 1 || o.Responses[0].StatusCode != 200 {
		t.Fatalf("GET https://wsgi.test/env: %v", o)
	}
	var environ map[string]string
	if err := json.Unmarshal([]byte(o.Responses[0].Body), &environ); err != nil {
		t.Fatalf("the app's answer %q: %v", o.Responses[0].Body, err)
	}
	for k, want := range map[string]string{
		"HTTP_X_FORWARDED_FOR":   e.Client.String(),
		"HTTP_X_REAL_IP":         e.Client.String(),
		"HTTP_X_FORWARDED_PROTO": "https",
		"HTTP_X_FORWARDED_HOST":  "wsgi.test",
	} {
		if got := environ[k]; got != want {
			t.Errorf("the app read %s = %q, want %q", k, got, want)
		}
	}
}
