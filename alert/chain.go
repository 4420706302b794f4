package alert

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/events"
)

// Options are what New needs besides the configuration. All are
// optional.
type Options struct {
	// Now is the clock of the rules' windows, de-duplication and
	// signature timestamps; default time.Now.
	Now func() time.Time
	// Logger receives the webhook's failures and drops; default
	// slog.Default().
	Logger *slog.Logger
	// Client sends the webhook's requests (see WebhookOptions.Client).
	Client *http.Client
	// Claim, in cluster mode, delivers each alert from one instance only
	// (see WebhookOptions.Claim): the claim of a delivered alert holds
	// for [alerts] dedup, or DefaultClaimTTL when dedup is 0, so that the
	// cluster sends an alert as often as one instance would; that of an
	// alert whose delivery failed is released. Nil: every instance
	// delivers what it sees.
	Claim Claimer
}

// Chain is the alerting configured by [alerts]: every event goes through
//
//	Rules → events.MinSeverity(min_severity) → events.Dedup(dedup) → Webhook
//
// so that the rules turn events into alerts, and only alerts severe
// enough and not already sent are delivered. In cluster mode
// (Options.Claim) the webhook also claims each alert cluster-wide before
// delivering it: of instances that saw the same event, one delivers. The
// rules' windows count per instance. Its Send method is an
// events.Sink; Close delivers what is queued.
type Chain struct {
	rules       *Rules
	minSeverity events.Counter
	dedup       events.Counter
	webhook     *Webhook
}

// ChainStats counts what each stage of a Chain did. For
// portcullis_events_dropped_total{stage}: MinSeverity.Dropped,
// Dedup.Dropped, Rules.Overflow and Webhook.Dropped are the events each
// stage dropped.
type ChainStats struct {
	// Rules counts the events the rules counted and the alerts they
	// raised.
	Rules RulesStats
	// MinSeverity counts the alerts at or above [alerts] min_severity
	// (Passed) and below it (Dropped).
	MinSeverity events.Stats
	// Dedup counts the alerts sent on and those dropped as already sent
	// within [alerts] dedup.
	Dedup events.Stats
	// Webhook counts deliveries.
	Webhook Stats
}

// New builds the chain for a validated [alerts] with a webhook (a.Webhook
// must be set): a.Rules, or DefaultRules when there are none. Call Close
// when done.
func New(a config.Alerts, o Options) (*Chain, error) {
	if a.Webhook == "" {
		return nil, errors.New("alert: [alerts] has no webhook")
	}
	w, err := NewWebhook(WebhookOptions{
		URL: a.Webhook, Secret: a.Secret, Format: Format(a.Format),
		Client: o.Client, Now: o.Now, Logger: o.Logger,
		Claim: o.Claim, ClaimTTL: a.Dedup,
	})
	if err != nil {
		return nil, err
	}
	c := &Chain{webhook: w}
	rules := DefaultRules()
	if len(a.Rules) > 0 {
		rules = make([]Rule, len(a.Rules))
		for i, r := range a.Rules {
			rules[i] = ruleOf(r)
		}
	}
	next := events.MinSeverity(a.MinSeverity, &c.minSeverity,
		events.Dedup(a.Dedup, nil, o.Now, &c.dedup,
			w.Send))
	if c.rules, err = NewRules(rules, o.Now, next); err != nil {
		w.Close(context.Background())
		return nil, err
	}
	return c, nil
}

// ruleOf is the Rule an [[alerts.rule]] describes.
func ruleOf(r config.AlertRule) Rule {
	return Rule{
		Name: r.Name, Events: r.Events, MinSeverity: r.MinSeverity,
		Threshold: r.Threshold, Window: r.Window, Per: Per(r.Per), Severity: r.Severity,
	}
}

// Send gives e to the rules.
func (c *Chain) Send(e events.Event) { c.rules.Send(e) }

// Close stops the webhook: see Webhook.Close. Events sent afterwards are
// dropped.
func (c *Chain) Close(ctx context.Context) error { return c.webhook.Close(ctx) }

// Stats returns the counts of every stage so far.
func (c *Chain) Stats() ChainStats {
	return ChainStats{
		Rules:       c.rules.Stats(),
		MinSeverity: c.minSeverity.Stats(),
		Dedup:       c.dedup.Stats(),
		Webhook:     c.webhook.Stats(),
	}
}
