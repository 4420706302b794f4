package acme

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// guard decides whether a certificate may be obtained on demand.
type guard struct {
	match  func(string) bool
	allow  []string
	ask    *url.URL
	client *http.Client
}

// askTimeout bounds a question to the ask URL; the TLS handshake that
// triggered it waits meanwhile.
const askTimeout = 5 * time.Second

func newGuard(od *OnDemand) (*guard, error) {
	g := &guard{match: od.Match}
	for _, a := range od.Allow {
		g.allow = append(g.allow, strings.ToLower(strings.TrimSuffix(a, ".")))
	}
	if od.Ask != "" {
		u, err := url.Parse(od.Ask)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("acme: ask URL %q is not an absolute http(s) URL", od.Ask)
		}
		g.ask = u
		g.client = &http.Client{
			Timeout: askTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("the ask endpoint must answer, not redirect")
			},
		}
	}
	return g, nil
}

// decide is certmagic's OnDemandConfig.DecisionFunc: nil allows name.
func (g *guard) decide(ctx context.Context, name string) error {
	name = strings.ToLower(name)
	if g.match != nil && !g.match(name) {
		return fmt.Errorf("%q is not one of the site's hosts", name)
	}
	if len(g.allow) > 0 && !slices.Contains(g.allow, name) {
		return fmt.Errorf("%q is not in the on-demand allow list", name)
	}
	if g.ask == nil {
		return nil
	}
	u := *g.ask
	q := u.Query()
	q.Set("domain", name)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("asking whether to obtain a certificate for %q: %w", name, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the ask endpoint refused %q (status %d)", name, resp.StatusCode)
	}
	return nil
}
