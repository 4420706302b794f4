package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SessionCookie is the name of the cookie the sign-in page sets. The
// __Host- prefix makes browsers keep it only when it is Secure, for the
// whole listener (Path=/) and for this host alone (no Domain).
const SessionCookie = "__Host-portcullis-admin"

// SessionLifetime is how long a sign-in lasts.
const SessionLifetime = 8 * time.Hour

// Sign-in attempts: at most maxFailures wrong tokens per client address
// (IPv6: per /64) in failureWindow; then 429 until the window ends.
const (
	maxFailures   = 5
	failureWindow = time.Minute
	maxClients    = 10000 // addresses tracked in one window; beyond, new ones wait
)

// Auth decides who may use an admin listener that has a token: scripts
// sending "Authorization: Bearer <token>", and browsers holding the
// session cookie the sign-in page set after they posted the token once.
//
// The cookie is not a copy of the token: it holds an expiry time and a
// random session ID, signed with HMAC-SHA256 under a key derived from the
// token, so changing the token signs every browser out, and a stolen
// cookie stops working after SessionLifetime (or at sign-out: signed-out
// IDs are refused until they expire, while the process runs).
type Auth struct {
	token [sha256.Size]byte // digest of the token, compared in constant time
	key   []byte            // HMAC key of the session cookies
	now   func() time.Time

	mu       sync.Mutex
	revoked  map[[idLen]byte]time.Time // signed-out session IDs → their expiry
	failures map[string]int            // wrong tokens per client in the current window
	window   time.Time                 // start of the current window
}

// NewAuth returns the Auth for token; now is the clock (nil: time.Now).
func NewAuth(token string, now func() time.Time) *Auth {
	if now == nil {
		now = time.Now
	}
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("portcullis admin session cookie v1"))
	return &Auth{
		token:    sha256.Sum256([]byte(token)),
		key:      mac.Sum(nil),
		now:      now,
		revoked:  map[[idLen]byte]time.Time{},
		failures: map[string]int{},
	}
}

// Check says why r may not use the admin listener, or "" when it may: it
// carries the bearer token, or a valid session cookie. A request that
// sends an Authorization header is judged by it alone.
func (a *Auth) Check(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "no bearer token"
		}
		if !a.isToken(strings.TrimSpace(cred)) {
			return "wrong bearer token"
		}
		return ""
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "no bearer token"
	}
	_, _, why := a.session(c.Value)
	return why
}

// isToken compares s with the token. Both sides are hashed first, so the
// comparison takes the same time whatever their length and contents.
func (a *Auth) isToken(s string) bool {
	sum := sha256.Sum256([]byte(s))
	return subtle.ConstantTimeCompare(sum[:], a.token[:]) == 1
}

// A session cookie's value is base64url(expiry ‖ id ‖ mac): the expiry in
// Unix seconds (8 bytes, big-endian), a random ID and the HMAC-SHA256 of
// both.
const (
	idLen      = 16
	payloadLen = 8 + idLen
	cookieLen  = payloadLen + sha256.Size
)

// newSession returns a new signed session cookie value and its expiry.
func (a *Auth) newSession() (string, time.Time) {
	exp := a.now().Add(SessionLifetime).Truncate(time.Second)
	buf := make([]byte, payloadLen, cookieLen)
	binary.BigEndian.PutUint64(buf, uint64(exp.Unix()))
	rand.Read(buf[8:payloadLen])
	return base64.RawURLEncoding.EncodeToString(a.sign(buf)), exp
}

func (a *Auth) sign(payload []byte) []byte {
	mac := hmac.New(sha256.New, a.key)
	mac.Write(payload)
	return mac.Sum(payload)
}

// session verifies a cookie value and returns its ID and expiry, or why
// it is not valid.
func (a *Auth) session(v string) (id [idLen]byte, exp time.Time, why string) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) != cookieLen || !hmac.Equal(a.sign(raw[:payloadLen:payloadLen]), raw) {
		return id, exp, "invalid session cookie"
	}
	exp = time.Unix(int64(binary.BigEndian.Uint64(raw)), 0)
	if !a.now().Before(exp) {
		return id, exp, "expired session"
	}
	copy(id[:], raw[8:payloadLen])
	a.mu.Lock()
	_, out := a.revoked[id]
	a.mu.Unlock()
	if out {
		return id, exp, "signed-out session"
	}
	return id, exp, ""
}

// revoke refuses a valid session from now on (sign-out). IDs are
// forgotten once expired.
func (a *Auth) revoke(v string) {
	id, exp, why := a.session(v)
	if why != "" {
		return
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.revoked {
		if !now.Before(e) {
			delete(a.revoked, k)
		}
	}
	a.revoked[id] = exp
}

// allowAttempt reports whether the client of r may try a token now.
func (a *Auth) allowAttempt(r *http.Request) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roll()
	n, seen := a.failures[clientKey(r)]
	return n < maxFailures && (seen || len(a.failures) < maxClients)
}

// failed counts a wrong token from the client of r.
func (a *Auth) failed(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roll()
	if k := clientKey(r); len(a.failures) < maxClients || a.failures[k] > 0 {
		a.failures[k]++
	}
}

// roll starts a new failure window when the current one has ended.
func (a *Auth) roll() {
	if now := a.now(); now.Sub(a.window) >= failureWindow {
		clear(a.failures)
		a.window = now
	}
}

// clientKey is the client's address, IPv6 cut to its /64 (a client
// usually has a whole one).
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
