package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
)

// The shared CA is one hash, P:ca, with the certificate and the key
// sealed separately (each bound to its field by the sealing's additional
// data).
const (
	caCertAD = "cluster:ca:cert"
	caKeyAD  = "cluster:ca:key"
	caLock   = "cluster_shared_ca"
)

// SharedCA returns the cluster's local CA, the same on every instance:
// the root certificate and its private key, PEM. When Redis holds none
// yet, it calls create once in the whole cluster — under a lock, so of
// instances starting together one creates and the others wait and get
// its CA — and stores the result, sealed. create is the local CA's
// generator; what it returns must be a matching certificate and key.
//
// A CA sealed under another cluster key fails with an *OpenError
// matching ErrWrongKey, and is never replaced by a new one; Redis down
// fails with an *UnavailableError, without calling create.
func (c *Client) SharedCA(ctx context.Context, create func() (certPEM, keyPEM []byte, err error)) (certPEM, keyPEM []byte, err error) {
	certPEM, keyPEM, err = c.loadCA(ctx)
	if err != nil || certPEM != nil {
		return certPEM, keyPEM, err
	}
	s := c.Storage()
	if err := s.Lock(ctx, caLock); err != nil {
		return nil, nil, err
	}
	defer s.Unlock(context.WithoutCancel(ctx), caLock)
	certPEM, keyPEM, err = c.loadCA(ctx) // another instance may have stored it meanwhile
	if err != nil || certPEM != nil {
		return certPEM, keyPEM, err
	}
	certPEM, keyPEM, err = create()
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: shared CA: create: %w", err)
	}
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, nil, fmt.Errorf("cluster: shared CA: create returned no matching certificate and key: %w", err)
	}
	rctx, cancel := c.bound(ctx)
	defer cancel()
	err = c.rdb.HSet(rctx, c.key("ca", "root"), "cert", c.seal.seal(caCertAD, certPEM), "key", c.seal.seal(caKeyAD, keyPEM)).Err()
	if err != nil {
		return nil, nil, c.fail(ctx, "store shared CA", "", err)
	}
	return certPEM, keyPEM, nil
}

// loadCA returns the CA Redis holds, or nil PEMs when it holds none.
func (c *Client) loadCA(ctx context.Context) (certPEM, keyPEM []byte, err error) {
	rctx, cancel := c.bound(ctx)
	defer cancel()
	v, err := c.rdb.HMGet(rctx, c.key("ca", "root"), "cert", "key").Result()
	if err != nil {
		return nil, nil, c.fail(ctx, "load shared CA", "", err)
	}
	cert, ok1 := v[0].(string)
	key, ok2 := v[1].(string)
	if !ok1 && !ok2 {
		return nil, nil, nil
	}
	if !ok1 || !ok2 {
		return nil, nil, errors.New("cluster: shared CA: Redis holds half of it (a certificate or a key alone)")
	}
	if certPEM, err = c.seal.open(caCertAD, []byte(cert)); err != nil {
		return nil, nil, err
	}
	if keyPEM, err = c.seal.open(caKeyAD, []byte(key)); err != nil {
		return nil, nil, err
	}
	return certPEM, keyPEM, nil
}
