package cluster

import (
	"context"
	cryptorand "crypto/rand"
	"errors"
	"time"
)

// ErrClaimLost is KeepAlert's error when the alert's claim lapsed during
// its delivery and another instance claimed the alert meanwhile: it may
// be delivered twice.
var ErrClaimLost = errors.New("cluster: alert claim lost: it lapsed during delivery and another instance claimed the alert")

// ClaimAlert claims the alert identified by key for ttl, cluster-wide:
// it returns a random token, the claim's, to the first instance that asks
// within ttl and "" to the others, so that an event every instance sees
// (a certificate expiring, a shared configuration failing to reload) is
// delivered once. With KeepAlert and ReleaseAlert it makes a Client an
// alert.Claimer: alert.Options{Claim: c}.
//
// The key is SET P:alert:NAME TOKEN NX PX ttl, NAME a keyed hash of key
// (an alert's identity can hold a client's address, which Redis need not
// learn). Redis down is an *UnavailableError; the alert chain then
// delivers anyway.
func (c *Client) ClaimAlert(ctx context.Context, key string, ttl time.Duration) (string, error) {
	token := cryptorand.Text()
	rctx, cancel := c.bound(ctx)
	defer cancel()
	ok, err := c.rdb.SetNX(rctx, c.alertKey(key), token, ttl).Result()
	if err != nil {
		return "", c.fail(ctx, "claim alert", "", err)
	}
	if !ok {
		return "", nil
	}
	return token, nil
}

// KeepAlert holds the claim token of the alert key for ttl from now, once
// the alert was delivered: identical alerts within ttl are claimed by no
// other instance. A claim that lapsed is taken again; one another instance
// took meanwhile is left alone, and the error is ErrClaimLost. It is a
// compare-and-expire, in Lua, as a lock's lease is extended.
func (c *Client) KeepAlert(ctx context.Context, key, token string, ttl time.Duration) error {
	rctx, cancel := c.bound(ctx)
	defer cancel()
	n, err := acquireScript.Run(rctx, c.rdb, []string{c.alertKey(key)}, token, ttl.Milliseconds()).Int()
	if err != nil {
		return c.fail(ctx, "keep alert claim", "", err)
	}
	if n != 1 {
		return ErrClaimLost
	}
	return nil
}

// ReleaseAlert gives up the claim token of the alert key, once its
// delivery failed, so that the next instance to raise the alert delivers
// it rather than drop it as claimed. A claim that lapsed, or that another
// instance took, is left alone. It is a compare-and-delete, in Lua, as a
// lock is released.
func (c *Client) ReleaseAlert(ctx context.Context, key, token string) error {
	rctx, cancel := c.bound(ctx)
	defer cancel()
	if err := releaseScript.Run(rctx, c.rdb, []string{c.alertKey(key)}, token).Err(); err != nil {
		return c.fail(ctx, "release alert claim", "", err)
	}
	return nil
}

// alertKey is the Redis key of the claim of the alert key.
func (c *Client) alertKey(key string) string { return c.key("alert", c.seal.name(key)) }
