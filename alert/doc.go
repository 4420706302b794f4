// Package alert delivers portcullis certificate events (events.Event) to a
// webhook: one JSON POST per event, on a background goroutine, with
// retries and de-duplication. A Webhook's Send method is an events.Sink.
//
// # Payload
//
// The request body is the event's JSON (the field names of events.Event's
// struct tags: type, severity, time, site, names, source, issuer,
// not_after, threshold in nanoseconds, message, error) plus a "text" field
// holding a one-line summary, so that Slack- and Mattermost-style incoming
// webhooks display something without a template:
//
//	{"type":"cert.expiring","severity":"warning","time":"2026-11-23T00:00:00Z",
//	 "site":"example.com","names":["example.com","www.example.com"],
//	 "not_after":"2026-12-07T00:00:00Z","threshold":1209600000000000,
//	 "message":"certificate expires in 14d (2026-12-07T00:00:00Z)",
//	 "text":"[warning] cert.expiring site=example.com names=example.com,www.example.com: certificate expires in 14d (2026-12-07T00:00:00Z)"}
//
// Each request carries Content-Type: application/json, the User-Agent
// (default "portcullis-alert/1") and X-Portcullis-Delivery, a random id
// that stays the same across the retries of one event (a receiver can use
// it to ignore a retry of a delivery it already accepted).
//
// # Signature
//
// When WebhookOptions.Secret is set, each attempt also carries
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
// Events below WebhookOptions.MinSeverity (default warning: cert.obtained
// and cert.renewed are info and are not alerts) are not sent. An event
// whose events.Event.Key was delivered less than Dedup ago (default 24h),
// or which is queued or being delivered, is dropped as a duplicate; a
// delivery that failed does not count, so the next identical event tries
// again. Send never blocks: when the queue is full the event is dropped,
// counted and logged.
//
// Any 2xx answer is success. A network error, 5xx, 408 or 429 is retried,
// up to MaxAttempts attempts in all, after Backoff doubled at each attempt
// (with jitter, at most MaxBackoff) or after the receiver's Retry-After
// (seconds or HTTP-date) when that is longer, also capped at MaxBackoff.
// Any other answer, including a redirect (redirects are never followed), is
// a failure at once. Failures and drops are logged at warn level with the
// webhook's scheme and host only (webhook URLs often carry a token in the
// path or query) and at most 512 bytes of the receiver's answer, escaped.
//
// Close stops accepting events, delivers what is queued until its context
// ends, then abandons the rest and stops the delivery goroutine.
package alert
