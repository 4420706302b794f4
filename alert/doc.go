// Package alert turns portcullis events (events.Event) into alerts and
// delivers them to a webhook. Three parts, each an events.Sink:
//
//   - Rules decides what is worth an alert: an event as it comes (a
//     certificate expiring, a failed backup), or a burst of them over a
//     window (20 refused hosts from one client in a minute), which raises
//     one events.AlertFired event and then stays quiet for the window.
//   - The decorators of package events filter and de-duplicate the alerts
//     (events.MinSeverity, events.Dedup).
//   - Webhook delivers: signed POSTs on a background goroutine, retries
//     with backoff and Retry-After, a bounded queue, Close draining it.
//
// New composes them as [alerts] configures: Rules → MinSeverity → Dedup →
// Webhook.
//
// # Payload
//
// In FormatJSON (the default) the request body is the event's JSON (the
// field names of events.Event's struct tags: type, severity, time, site,
// rule, reason, method, host, path, client, names, source, issuer,
// not_after, threshold in nanoseconds, message, error; empty ones left
// out) plus a "text" field holding the one-line Summary, so that Slack-
// and Mattermost-style incoming webhooks display something without a
// template:
//
//	{"type":"cert.expiring","severity":"medium","time":"2026-11-23T00:00:00Z",
//	 "site":"example.com","names":["example.com","www.example.com"],
//	 "not_after":"2026-12-07T00:00:00Z","threshold":1209600000000000,
//	 "message":"certificate expires in 14d (2026-12-07T00:00:00Z)",
//	 "text":"[medium] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)"}
//
// Severities are the rule catalog's: info, low, medium, high, critical
// (portcullis 0.x sent "warning" where it now sends "medium", "error"
// where it sends "high").
//
// A burst rule's alert names the rule and the group:
//
//	{"type":"alert.fired","severity":"medium","time":"…","rule":"refused-hosts",
//	 "client":"203.0.113.7","message":"20 events (host.rejected) from client 203.0.113.7 within 1m",
//	 "text":"[medium] alert.fired rule=refused-hosts client=203.0.113.7: 20 events (host.rejected) from client 203.0.113.7 within 1m"}
//
// In FormatSlack the body is a Slack incoming-webhook message holding the
// Summary alone, with &, < and > escaped as Slack asks (so a hostile Host
// header cannot notify @channel):
//
//	{"text":"[medium] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)"}
//
// Each request carries Content-Type: application/json, the User-Agent
// (default "portcullis-alert/1") and X-Portcullis-Delivery, a random id
// that stays the same across the retries of one event (a receiver can use
// it to ignore a retry of a delivery it already accepted).
//
// # Signature
//
// When WebhookOptions.Secret is set, each attempt, in either format, also
// carries
//
//	X-Portcullis-Timestamp: <unix seconds when the attempt was signed>
//	X-Portcullis-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver verifies a request by computing HMAC-SHA256 with the shared
// secret over the timestamp header's value, a ".", and the raw request
// body exactly as received (before any JSON decoding), hex-encoding it,
// and comparing "sha256=" + that with the signature header in constant time
// (hmac.Equal in Go). It should also reject a timestamp more than a few
// minutes away from its own clock, which stops an old request from being
// replayed. The secret is never logged.
//
// # Delivery policy
//
// A Webhook sends every event it is given. Send never blocks: when the
// queue is full the event is dropped, counted and logged. Any 2xx answer
// is success. A network error, 5xx, 408 or 429 is retried, up to
// MaxAttempts attempts in all, after Backoff doubled at each attempt (with
// jitter, at most MaxBackoff) or after the receiver's Retry-After (seconds
// or HTTP-date) when that is longer, also capped at MaxBackoff. Any other
// answer, including a redirect (redirects are never followed), is a
// failure at once. Failures and drops are logged at warn level with the
// webhook's scheme and host only (webhook URLs often carry a token in the
// path or query) and at most 512 bytes of the receiver's answer, escaped.
//
// De-duplication happens before the queue (events.Dedup in a Chain): an
// alert that fails after all its attempts is not retried by an identical
// one within the de-duplication window.
//
// Close stops accepting events, delivers what is queued until its context
// ends, then abandons the rest and stops the delivery goroutine.
package alert
