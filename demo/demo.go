// Package demo is the built-in demo application that `portcullis serve`
// proxies to when it has no configuration, so that a newcomer sees every
// protection at work.
//
// The app is deliberately naive: it sets its cookies with no Secure,
// HttpOnly or SameSite attribute and sends no security headers. Everything
// of that kind the browser receives was added by portcullis (shield and the
// reverse proxy) in front of it, and the account page shows the difference:
// the request as the app received it (X-Forwarded-*, Forwarded) and, from
// the browser's side, the headers and cookie flags that arrived.
//
// It is not naive where that would be a bug: pages are html/template
// rendered, sessions are server-side with ids from crypto/rand, forms carry
// a double-submit CSRF token compared in constant time, POST bodies are
// limited to 64 KiB, memory is bounded (session and rate-limit tables have
// a cap and expire), and failed logins are rate-limited per client.
//
// The app trusts X-Forwarded-For and X-Forwarded-Proto without checking who
// sent them. That is correct only because it listens on a loopback address
// behind portcullis, which deletes those headers from clients and sets them
// itself; never expose Handler directly to a network.
//
// There are no inline scripts or styles: JavaScript and CSS are served from
// /static/, so a strict Content-Security-Policy (default-src 'self') works
// without nonces.
package demo

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"
)

// Default credentials, shown on the login page. The app is meant for
// localhost, so friendly fixed values beat random ones.
const (
	DefaultUsername = "demo"       // the username when Options.Username is empty
	DefaultPassword = "portcullis" // the password when Options.Password is empty
)

// Cookie names the app sets. shield.DefaultSessionCookies lists
// SessionCookie, so portcullis marks it HttpOnly; CSRFCookie stays readable
// by scripts, as Django's csrftoken does.
const (
	SessionCookie = "portcullis_session" // the server-side session's id
	CSRFCookie    = "csrftoken"          // the double-submit CSRF token
)

// Limits of the app's state.
const (
	sessionTTL    = time.Hour        // absolute lifetime of a session
	maxSessions   = 10000            // beyond this the oldest sessions are evicted
	maxBody       = 64 << 10         // POST body limit
	loginFailures = 10               // failed logins allowed per client …
	loginWindow   = time.Minute      // … per window
	maxClients    = 10000            // rate-limit table cap; beyond it clients share one bucket
	sweepEvery    = 30 * time.Second // how often expired entries are swept (lazily, on writes)
)

// Options configure the demo app. The zero value is ready to use.
type Options struct {
	// Username and Password are the demo credentials, shown on the login
	// page. Defaults: DefaultUsername and DefaultPassword (each field
	// separately).
	Username, Password string
	// Now is the clock for session expiry and rate limiting.
	// Default: time.Now.
	Now func() time.Time
}

// app is one instance of the demo: its own sessions and rate limits.
type app struct {
	username, password string
	userSum, passSum   [32]byte // SHA-256 of the credentials, compared in constant time
	now                func() time.Time
	sessions           *sessionStore
	limiter            *limiter
}

// Handler returns the demo app. Each call returns an independent app with
// its own sessions. Routes:
//
//	GET  /              login form (redirects to /account when signed in)
//	POST /login         CSRF check, rate limit, credentials → session, 303 /account
//	GET  /account       the request as the app received it; what portcullis added
//	POST /logout        CSRF check, ends the session, 303 /
//	GET  /__demo/echo   JSON of the request as received (cookie names only)
//	GET  /static/…      app.js, app.css, favicon.svg
//
// Other paths answer 404, other methods 405 with Allow.
func Handler(o Options) http.Handler {
	if o.Username == "" {
		o.Username = DefaultUsername
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	a := &app{
		username: o.Username,
		password: o.Password,
		userSum:  sha256.Sum256([]byte(o.Username)),
		passSum:  sha256.Sum256([]byte(o.Password)),
		now:      o.Now,
		sessions: newSessionStore(maxSessions, sessionTTL),
		limiter:  newLimiter(maxClients, loginFailures, loginWindow),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("POST /login", a.login)
	mux.HandleFunc("GET /account", a.account)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /__demo/echo", a.echo)
	for _, f := range staticFiles {
		mux.Handle("GET /static/"+f.name, f)
	}
	return mux
}

// credentialsOK compares both credentials in constant time (over their
// digests, so the lengths do not leak either) and evaluates both always.
func (a *app) credentialsOK(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	return subtle.ConstantTimeCompare(u[:], a.userSum[:])&subtle.ConstantTimeCompare(p[:], a.passSum[:]) == 1
}
