package cluster

import (
	"context"
	"time"
)

// ClaimAlert claims the alert identified by key for ttl, cluster-wide:
// it reports true to the first instance that asks within ttl and false
// to the others, so that an event every instance sees (a certificate
// expiring, a shared configuration failing to reload) is delivered once.
// It is an alert.Claimer: alert.Options{Claim: c.ClaimAlert}.
//
// The key is SET P:alert:NAME NX PX ttl, NAME a keyed hash of key (an
// alert's identity can hold a client's address, which Redis need not
// learn). Redis down is an *UnavailableError; the alert chain then
// delivers anyway.
func (c *Client) ClaimAlert(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	rctx, cancel := c.bound(ctx)
	defer cancel()
	ok, err := c.rdb.SetNX(rctx, c.key("alert", c.seal.name(key)), 1, ttl).Result()
	if err != nil {
		return false, c.fail(ctx, "claim alert", "", err)
	}
	return ok, nil
}
