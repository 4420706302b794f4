package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/portcullis/portcullis/events"
)

// Defaults for the zero values of WebhookOptions.
const (
	DefaultMaxAttempts = 5
	DefaultBackoff     = time.Second
	DefaultMaxBackoff  = time.Minute
	DefaultQueueSize   = 256
	DefaultTimeout     = 10 * time.Second
	DefaultUserAgent   = "portcullis-alert/1"
)

// Header names set on each request.
const (
	HeaderSignature = "X-Portcullis-Signature"
	HeaderTimestamp = "X-Portcullis-Timestamp"
	HeaderDelivery  = "X-Portcullis-Delivery"
)

// Format is the shape of the request body.
type Format string

// The body formats.
const (
	// FormatJSON is the event's JSON plus a one-line "text" (see the
	// package doc): for incident tools and receivers of your own.
	FormatJSON Format = "json"
	// FormatSlack is a Slack incoming-webhook message, {"text": …} with
	// the one-line Summary (Slack's &, < and > escaped). Mattermost,
	// Rocket.Chat and Discord's /slack endpoints take it too.
	FormatSlack Format = "slack"
)

// maxErrorBody is how much of a failed answer's body is kept for the log.
const maxErrorBody = 512

// maxDrain is how much of an answer's body is read (and discarded) so the
// connection can be reused; a longer body closes the connection instead.
const maxDrain = 64 << 10

// WebhookOptions configures NewWebhook. Only URL is required.
type WebhookOptions struct {
	// URL receives the POSTs: an absolute http or https URL with a host
	// and no user info.
	URL string
	// Secret, when set, signs each request (see the package doc), in
	// either Format. It is never logged.
	Secret string
	// Format is the body's shape; default FormatJSON.
	Format Format
	// MaxAttempts is how many times one event is tried; default
	// DefaultMaxAttempts.
	MaxAttempts int
	// Backoff is the delay before the first retry, doubled at each
	// further one, with jitter; default DefaultBackoff.
	Backoff time.Duration
	// MaxBackoff caps every delay between attempts, a Retry-After
	// included; default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// QueueSize is how many events may wait for delivery; default
	// DefaultQueueSize. Send drops an event that does not fit.
	QueueSize int
	// Client sends the requests; default one with a DefaultTimeout
	// timeout. Its CheckRedirect is replaced (on a copy): redirects are
	// never followed, a redirect answer is a failed delivery.
	Client *http.Client
	// Now is the clock for signature timestamps; default time.Now.
	Now func() time.Time
	// Logger receives failures and drops at warn level, deliveries at
	// debug level; default slog.Default().
	Logger *slog.Logger
	// UserAgent is the User-Agent header; default DefaultUserAgent.
	UserAgent string

	// Claim, when not nil, makes each alert delivered by one instance of
	// a cluster only: before delivering an event, the Webhook claims its
	// key (ClaimKey), and delivers it only if the claim succeeds —
	// another instance that saw the same event claimed it first
	// otherwise (Stats.Claimed). The claim first holds for as long as the
	// delivery may take (its retries included); delivered, the claim is
	// kept for ClaimTTL; failed or abandoned by Close, it is released, so
	// that the claim of a page that was not sent does not silence the
	// cluster for ClaimTTL. A claim that fails or takes longer than a
	// second (the shared store down or hung) delivers anyway
	// (Stats.ClaimErrors): an alert lost is worse than one sent twice.
	Claim Claimer
	// ClaimKey is an event's identity for Claim; default events.Event.Key
	// (type, site, rule, reason, client, names, threshold: not the time,
	// which differs between instances that saw the same thing).
	ClaimKey func(events.Event) string
	// ClaimTTL is how long the claim of a delivered alert holds:
	// identical alerts within it are delivered once in the cluster;
	// default DefaultClaimTTL.
	ClaimTTL time.Duration
}

// Claimer claims alerts cluster-wide, so that of the instances that raise
// the same alert one delivers it. A claim is a token: keeping or
// releasing it acts on the claim only while it still holds that token,
// never on another instance's. *cluster.Client is one, on Redis.
type Claimer interface {
	// ClaimAlert claims key for ttl. It returns the claim's token to the
	// first instance to claim key within ttl, "" to the others, and an
	// error when it cannot tell (the alert is then delivered anyway).
	ClaimAlert(ctx context.Context, key string, ttl time.Duration) (token string, err error)
	// KeepAlert holds the claim for ttl from now, once its alert was
	// delivered. It takes the claim again if it lapsed meanwhile, and
	// fails if another instance took it.
	KeepAlert(ctx context.Context, key, token string, ttl time.Duration) error
	// ReleaseAlert gives the claim up, once its alert's delivery failed,
	// so that the next instance to raise the alert delivers it. A claim
	// that lapsed, or that another instance took, is left alone.
	ReleaseAlert(ctx context.Context, key, token string) error
}

// DefaultClaimTTL is WebhookOptions.ClaimTTL's default, and the claim's
// time in a Chain whose [alerts] dedup is 0.
const DefaultClaimTTL = time.Minute

// claimTimeout bounds each call to the Claimer, so that a hung store
// delays an alert by this much (and its keeping or release by as much) at
// most: the alert is delivered unclaimed rather than late.
const claimTimeout = time.Second

// claimMargin is added to the longest a delivery may take to make the
// claim's hold while it is delivered (see claimHold).
const claimMargin = 5 * time.Second

// Stats counts what a Webhook did with the events it was given.
type Stats struct {
	// Delivered counts events the receiver accepted with a 2xx answer.
	Delivered uint64
	// Failed counts events given up on after at least one attempt: a
	// final answer, MaxAttempts used up, or abandoned by Close.
	Failed uint64
	// Dropped counts events never attempted: the queue was full, Send
	// came after Close, or Close's context ended while they were queued.
	Dropped uint64
	// Retries counts attempts after the first, over all events.
	Retries uint64
	// Claimed counts events not delivered because another instance of
	// the cluster claimed them (WebhookOptions.Claim).
	Claimed uint64
	// ClaimErrors counts calls to the Claimer that failed or timed out:
	// claims, whose events were delivered anyway; keeping a claim after a
	// delivery, or releasing it after a failure, which then lapses at the
	// end of its hold (see WebhookOptions.Claim).
	ClaimErrors uint64
}

// Webhook delivers events to one URL. Create it with NewWebhook, give it
// events with Send, and stop it with Close. It sends every event it is
// given: put the decorators of package events (MinSeverity, Dedup…) or
// Rules in front of it, as New does. Its methods are safe for concurrent
// use.
type Webhook struct {
	url          string
	logURL       string // scheme://host: the path and query may hold a token
	secret       []byte
	format       Format
	maxAttempts  int
	backoff      time.Duration
	maxBackoff   time.Duration
	client       *http.Client
	ownTransport bool // client was made here: Close closes its idle connections
	now          func() time.Time
	log          *slog.Logger
	userAgent    string
	claim        Claimer
	claimKey     func(events.Event) string
	claimTTL     time.Duration
	claimHold    time.Duration // the claim's ttl while its alert is delivered

	queue     chan events.Event
	ctx       context.Context // canceled when a Close's context ends
	cancel    context.CancelFunc
	done      chan struct{} // closed when the delivery goroutine returns
	closeOnce sync.Once

	mu     sync.Mutex // orders Send's queueing with Close's closing
	closed bool

	delivered, failed, dropped, retries atomic.Uint64
	claimed, claimErrors                atomic.Uint64
	abandoned                           atomic.Uint64 // lost to Close's context
}

// NewWebhook checks o, fills in defaults and starts the delivery
// goroutine. Call Close when done.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	u, logURL, err := checkURL(o.URL)
	if err != nil {
		return nil, err
	}
	w := &Webhook{
		url:         u,
		logURL:      logURL,
		format:      o.Format,
		maxAttempts: o.MaxAttempts,
		backoff:     o.Backoff,
		maxBackoff:  o.MaxBackoff,
		now:         o.Now,
		log:         o.Logger,
		userAgent:   o.UserAgent,
		claim:       o.Claim,
		claimKey:    o.ClaimKey,
		claimTTL:    o.ClaimTTL,
		done:        make(chan struct{}),
	}
	if w.claimKey == nil {
		w.claimKey = events.Event.Key
	}
	if w.claimTTL <= 0 {
		w.claimTTL = DefaultClaimTTL
	}
	if o.Secret != "" {
		w.secret = []byte(o.Secret)
	}
	switch o.Format {
	case "":
		w.format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return nil, fmt.Errorf("alert: Format %q is not %q or %q", o.Format, FormatJSON, FormatSlack)
	}
	switch {
	case o.MaxAttempts < 0:
		return nil, fmt.Errorf("alert: MaxAttempts %d is negative", o.MaxAttempts)
	case o.Backoff < 0:
		return nil, fmt.Errorf("alert: Backoff %v is negative", o.Backoff)
	case o.MaxBackoff < 0:
		return nil, fmt.Errorf("alert: MaxBackoff %v is negative", o.MaxBackoff)
	case o.QueueSize < 0:
		return nil, fmt.Errorf("alert: QueueSize %d is negative", o.QueueSize)
	}
	if w.maxAttempts == 0 {
		w.maxAttempts = DefaultMaxAttempts
	}
	if w.backoff == 0 {
		w.backoff = DefaultBackoff
	}
	if w.maxBackoff == 0 {
		w.maxBackoff = DefaultMaxBackoff
	}
	size := o.QueueSize
	if size == 0 {
		size = DefaultQueueSize
	}
	if o.Client != nil {
		c := *o.Client
		w.client = &c
	} else {
		// Its own transport: nothing else closes its connections (as
		// http.DefaultTransport.CloseIdleConnections would, breaking a
		// POST about to reuse one), and Close can close them.
		var rt http.RoundTripper
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			rt = t.Clone()
		}
		w.client = &http.Client{Timeout: DefaultTimeout, Transport: rt}
		w.ownTransport = true
	}
	w.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.userAgent == "" {
		w.userAgent = DefaultUserAgent
	}
	w.claimHold = w.holdFor()
	w.queue = make(chan events.Event, size)
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w, nil
}

// holdFor returns how long a claim holds while its alert is delivered:
// the longest the delivery may take — MaxAttempts requests of the
// client's timeout (DefaultTimeout if it has none), MaxAttempts-1 delays
// of at most MaxBackoff between them — plus claimMargin, and no longer
// than ClaimTTL. A delivery that ends sooner keeps or releases its claim; the
// hold is what an instance that dies while delivering leaves behind.
func (w *Webhook) holdFor() time.Duration {
	timeout := w.client.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	n := time.Duration(w.maxAttempts)
	return min(n*timeout+(n-1)*w.maxBackoff+claimMargin, w.claimTTL)
}

// checkURL validates a webhook URL. It returns the URL to POST to and the
// scheme://host form that is safe to log. Errors never quote the URL: its
// path or query may hold a token.
func checkURL(raw string) (target, logged string, err error) {
	if raw == "" {
		return "", "", errors.New("alert: webhook URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", "", fmt.Errorf("alert: webhook URL does not parse: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", "", fmt.Errorf("alert: webhook URL scheme %q is not http or https", u.Scheme)
	}
	if u.User != nil {
		return "", "", errors.New("alert: webhook URL must not contain user info (user:password@); use Secret, or a token in the path or query")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", "", errors.New("alert: webhook URL has no host")
	}
	return u.String(), u.Scheme + "://" + u.Host, nil
}

// Send queues e for delivery unless the queue is full or the webhook is
// closed, which drops it (counted and logged). It never blocks, so w.Send
// can be an events.Sink.
func (w *Webhook) Send(e events.Event) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.dropped.Add(1)
		w.log.Warn("alert: webhook closed, event dropped", "url", w.logURL, "event", e.Type, "site", e.Site)
		return
	}
	select {
	case w.queue <- e:
		w.mu.Unlock()
	default:
		w.mu.Unlock()
		w.dropped.Add(1)
		w.log.Warn("alert: webhook queue full, event dropped", "url", w.logURL, "event", e.Type, "site", e.Site, "queue_size", cap(w.queue))
	}
}

// Close stops accepting events and delivers those queued until ctx ends;
// then it abandons the rest (counted as Dropped, or Failed for one being
// delivered) and waits for the delivery goroutine to stop — and, in a
// cluster, for the claim of the event abandoned to be released (a second
// at most). It returns an
// error wrapping ctx.Err() if events were abandoned (once: a later Close
// returns nil). Calling it again, or concurrently, is harmless.
func (w *Webhook) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		close(w.queue)
		w.mu.Unlock()
	})
	select {
	case <-w.done:
		w.closeIdle()
		return nil
	case <-ctx.Done():
	}
	w.cancel()
	<-w.done
	w.closeIdle()
	if n := w.abandoned.Swap(0); n > 0 {
		return fmt.Errorf("alert: webhook closed with %d event(s) undelivered: %w", n, ctx.Err())
	}
	return nil
}

// closeIdle closes the idle connections of a transport made by NewWebhook.
func (w *Webhook) closeIdle() {
	if w.ownTransport {
		w.client.CloseIdleConnections()
	}
}

// Stats returns the counters so far.
func (w *Webhook) Stats() Stats {
	return Stats{
		Delivered: w.delivered.Load(),
		Failed:    w.failed.Load(),
		Dropped:   w.dropped.Load(),
		Retries:   w.retries.Load(),

		Claimed:     w.claimed.Load(),
		ClaimErrors: w.claimErrors.Load(),
	}
}

// run is the delivery goroutine: one event at a time, in order.
func (w *Webhook) run() {
	defer close(w.done)
	var dropped uint64
	for e := range w.queue {
		if w.ctx.Err() != nil {
			dropped++
			w.abandoned.Add(1)
			w.dropped.Add(1)
			continue
		}
		w.deliver(e)
	}
	if dropped > 0 {
		w.log.Warn("alert: webhook closed before queued events were delivered", "url", w.logURL, "dropped", dropped)
	}
}

// claimFor claims e cluster-wide, if there is a Claimer, for the time
// of its delivery. It reports whether this instance is to deliver e —
// without a Claimer, always; with one, when the claim succeeds or fails
// (fail open) — and the claim's key and token, the latter "" when there
// is no claim to keep or release.
func (w *Webhook) claimFor(e events.Event) (key, token string, deliver bool) {
	if w.claim == nil {
		return "", "", true
	}
	ctx, cancel := context.WithTimeout(w.ctx, claimTimeout)
	defer cancel()
	key = w.claimKey(e)
	token, err := w.claim.ClaimAlert(ctx, key, w.claimHold)
	switch {
	case err != nil:
		w.claimErrors.Add(1)
		w.log.Warn("alert: cannot claim the alert cluster-wide, delivering it (other instances may too)", "event", e.Type, "site", e.Site, "error", err.Error())
		return "", "", true
	case token == "":
		w.claimed.Add(1)
		w.log.Debug("alert: another instance claimed the alert", "event", e.Type, "site", e.Site)
		return "", "", false
	}
	return key, token, true
}

// settle ends the claim of an alert: kept for ClaimTTL if the alert was
// delivered, released if not. Its context is not Close's, so that an
// alert abandoned by Close releases its claim still.
func (w *Webhook) settle(e events.Event, key, token string, delivered bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), claimTimeout)
	defer cancel()
	if delivered {
		if err := w.claim.KeepAlert(ctx, key, token, w.claimTTL); err != nil {
			w.claimErrors.Add(1)
			w.log.Warn("alert: cannot keep the claim of a delivered alert, another instance may send it again", "event", e.Type, "site", e.Site, "error", err.Error())
		}
		return
	}
	if err := w.claim.ReleaseAlert(ctx, key, token); err != nil {
		w.claimErrors.Add(1)
		w.log.Warn("alert: cannot release the claim of an undelivered alert, it holds until it lapses", "event", e.Type, "site", e.Site, "hold", w.claimHold, "error", err.Error())
	}
}

// payload is the FormatJSON body: the event's fields and a summary.
type payload struct {
	events.Event
	Text string `json:"text"`
}

// slackPayload is the FormatSlack body.
type slackPayload struct {
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack reads as markup, so that
// attacker input in an event (a Host, a path) cannot mention @channel or
// forge a link: "<!channel>" arrives as text.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Body returns the request body for e in format f (FormatJSON when f is
// empty): what a receiver gets, and what the signature covers.
func Body(f Format, e events.Event) ([]byte, error) {
	if f == FormatSlack {
		return json.Marshal(slackPayload{Text: slackEscape.Replace(Summary(e))})
	}
	return json.Marshal(payload{Event: e, Text: Summary(e)})
}

// deliver claims e (claimFor), tries to POST it until it succeeds, fails
// for good, or Close's context ends, and settles its claim.
func (w *Webhook) deliver(e events.Event) {
	body, err := Body(w.format, e)
	if err != nil { // a Time outside years 0-9999
		w.failed.Add(1)
		w.log.Warn("alert: cannot encode event", "event", e.Type, "site", e.Site, "error", err.Error())
		return
	}
	key, token, mine := w.claimFor(e)
	if !mine {
		return
	}
	delivered := w.attempt(e, body)
	if token != "" {
		w.settle(e, key, token, delivered)
	}
}

// attempt POSTs body, e's, until it succeeds, fails for good, or Close's
// context ends, and reports whether it was delivered.
func (w *Webhook) attempt(e events.Event, body []byte) bool {
	var err error
	id := rand.Text()
	attempt := 1
	for ; ; attempt++ {
		retry, wait, err1 := w.post(body, id)
		if err1 == nil {
			w.delivered.Add(1)
			w.log.Debug("alert: webhook delivered", "url", w.logURL, "event", e.Type, "site", e.Site, "attempts", attempt)
			return true
		}
		err = err1
		if w.ctx.Err() != nil {
			break
		}
		if !retry || attempt >= w.maxAttempts {
			break
		}
		delay := max(w.backoffFor(attempt), min(wait, w.maxBackoff))
		w.log.Debug("alert: webhook attempt failed, will retry", "url", w.logURL, "event", e.Type, "site", e.Site, "attempt", attempt, "delay", delay, "error", err.Error())
		if !w.sleep(delay) {
			break
		}
		w.retries.Add(1)
	}
	if w.ctx.Err() != nil {
		w.abandoned.Add(1)
		err = fmt.Errorf("abandoned by Close: %w", err)
	}
	w.failed.Add(1)
	w.log.Warn("alert: webhook delivery failed", "url", w.logURL, "event", e.Type, "site", e.Site, "attempts", attempt, "error", err.Error())
	return false
}

// post makes one attempt. It returns nil on a 2xx answer; otherwise the
// error, whether it is worth retrying, and the receiver's Retry-After.
func (w *Webhook) post(body []byte, id string) (retry bool, wait time.Duration, err error) {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil { // the URL was checked by NewWebhook; do not quote it
		return false, 0, errors.New("cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.userAgent)
	req.Header.Set(HeaderDelivery, id)
	if w.secret != nil {
		ts := strconv.FormatInt(w.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error // its message quotes the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, 0, err
	}
	defer resp.Body.Close()
	code := resp.StatusCode
	if code/100 == 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		return false, 0, nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody+1))
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	err = statusError(code, snippet)
	switch {
	case code/100 == 5 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		wait, _ = retryAfter(resp.Header.Get("Retry-After"), time.Now())
		return true, wait, err
	case code/100 == 3:
		return false, 0, fmt.Errorf("%w (redirects are not followed)", err)
	}
	return false, 0, err
}

// statusError describes a non-2xx answer with the start of its body,
// escaped to printable ASCII. The receiver's reason phrase is not used.
func statusError(code int, body []byte) error {
	msg := "receiver answered " + strconv.Itoa(code)
	if t := http.StatusText(code); t != "" {
		msg += " " + t
	}
	if len(body) > 0 {
		more := ""
		if len(body) > maxErrorBody {
			body, more = body[:maxErrorBody], "..."
		}
		q := strconv.QuoteToASCII(string(body))
		msg += ": " + q[1:len(q)-1] + more
	}
	return errors.New(msg)
}

// backoffFor is the delay after the given failed attempt (1 for the
// first): Backoff doubled attempt-1 times, capped at MaxBackoff, then
// jittered uniformly into its upper half.
func (w *Webhook) backoffFor(attempt int) time.Duration {
	d := w.backoff
	for i := 1; i < attempt && d < w.maxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.maxBackoff)
	half := d / 2
	return half + mrand.N(d-half+1)
}

// sleep waits d, or until Close's context ends; it reports whether the
// whole delay passed.
func (w *Webhook) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// Sign returns the X-Portcullis-Signature value for a body sent at the
// given timestamp (the X-Portcullis-Timestamp value): "sha256=" and the
// hex HMAC-SHA256 of timestamp + "." + body under secret. A Go receiver
// can compare it with the header using hmac.Equal.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Summary is the one-line text of the payload's "text" field and of a
// Slack message: "[severity] type site=… rule=… client=… names=a,b:
// message: error", with the parts that are empty left out and control
// characters replaced by spaces.
func Summary(e events.Event) string {
	var b strings.Builder
	b.WriteString("[" + e.Severity.String() + "] " + e.Type)
	for _, kv := range [...][2]string{{"site", e.Site}, {"rule", e.Rule}, {"client", e.Client}} {
		if kv[1] != "" {
			b.WriteString(" " + kv[0] + "=" + kv[1])
		}
	}
	if len(e.Names) > 0 {
		b.WriteString(" names=" + strings.Join(e.Names, ","))
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Error != "" {
		b.WriteString(": " + e.Error)
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, b.String())
}
