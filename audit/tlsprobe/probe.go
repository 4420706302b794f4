package tlsprobe

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Report is what Probe found out about one server.
type Report struct {
	// Versions are the protocol versions the server accepted, oldest first.
	Versions []Version `json:"versions"`
	// Suites are the cipher suites accepted per version, in the order the
	// server chose them while the prober removed each chosen suite from its
	// offer: the server's preference order when ServerPreference is set,
	// otherwise the prober's own (strongest first) order.
	Suites map[Version][]uint16 `json:"suites"`
	// ServerPreference reports, per version with at least two suites,
	// whether the server overrides the client's order (see the package
	// documentation for how Go servers look).
	ServerPreference map[Version]bool `json:"server_preference"`
	// Groups are the named groups accepted by any version: TLS 1.3 groups
	// first, then the ECDHE curves of TLS 1.2 and below; GroupsByVersion
	// splits them (keys TLS13 and the highest of TLS 1.0–1.2 accepted).
	Groups          []uint16             `json:"groups"`
	GroupsByVersion map[Version][]uint16 `json:"groups_by_version"`
	// DHBits is the smallest finite-field DH prime among the accepted DHE
	// suites (0 when none was seen).
	DHBits int `json:"dh_bits,omitempty"`
	// ALPN lists the protocols among "h2" and "http/1.1" that the server
	// selected when each was offered alone.
	ALPN []string `json:"alpn"`
	// What the server acknowledged to a hello at the highest version from
	// TLS 1.0 to 1.2 it accepts (all false if it speaks only TLS 1.3 or SSL).
	SecureRenegotiation  bool `json:"secure_renegotiation"`
	ExtendedMasterSecret bool `json:"extended_master_secret"`
	SessionTickets       bool `json:"session_tickets"`
	OCSPStapling         bool `json:"ocsp_stapling"`
	// Resumption says whether a second connection resumed the session of
	// a first (tickets or IDs, any version); the prober leaves it to its
	// caller, which makes full connections (package audit does).
	Resumption bool `json:"resumption"`
	// Errors are problems that left part of the picture unknown: network
	// errors and timeouts, malformed or contradictory answers, unexpected
	// alerts. They are never counted as "not accepted".
	Errors []string `json:"errors,omitempty"`
}

// Probe enumerates what the TLS server at addr (host:port) accepts:
//
//   - versions: one hello per version from SSL 3.0 to TLS 1.3, each offering
//     every suite of the table that version can negotiate;
//   - suites: per accepted version, offer again without the suite the server
//     chose until it refuses, which lists them all in the order chosen;
//   - server preference: offer the accepted list reversed; a server that
//     follows the client picks the first suite offered;
//   - groups: for TLS 1.3, one hello per group with supported_groups and
//     key_share naming only that group (groups the prober cannot make a key
//     for are offered without a share: a HelloRetryRequest selecting them
//     counts); for TLS 1.2 and below, ECDHE suites with supported_groups
//     naming one curve, confirmed by the ServerKeyExchange;
//   - ALPN: "h2" and "http/1.1", each offered alone.
//
// Independent handshakes run in parallel, at most o.Concurrency at a time.
// Probe fails only when ctx ends or no version hello got an answer (the
// error of the first); other failures are listed in Report.Errors.
func Probe(ctx context.Context, addr string, o Options) (*Report, error) {
	o = o.withDefaults()
	p := &prober{addr: addr, o: o, sem: make(chan struct{}, o.Concurrency)}
	r := &Report{
		Suites:           map[Version][]uint16{},
		ServerPreference: map[Version]bool{},
		GroupsByVersion:  map[Version][]uint16{},
	}

	// Versions.
	first := make([]*ServerHello, len(allVersions))
	errs := make([]error, len(allVersions))
	var wg sync.WaitGroup
	for i, v := range allVersions {
		wg.Go(func() {
			first[i], errs[i] = p.handshake(ctx, Hello{Version: v, Suites: suiteIDs(SuitesFor(v))})
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	answered := false
	var accepted []Version
	for i, v := range allVersions {
		sh, err := first[i], errs[i]
		switch {
		case err == nil:
			answered = true
			if sh.Version == v {
				accepted = append(accepted, v)
			}
		case Refused(err):
			answered = true
			p.noteAlert(fmt.Sprintf("%v hello", v), err)
		default:
			p.note(fmt.Sprintf("%v hello", v), err)
		}
	}
	if !answered {
		return nil, fmt.Errorf("tlsprobe: %s: %w", addr, errs[0])
	}
	r.Versions = accepted

	var v12 Version // highest of TLS 1.0–1.2 accepted
	for _, v := range accepted {
		if v >= TLS10 && v <= TLS12 {
			v12 = v
		}
	}
	if v12 != 0 {
		sh := first[slices.Index(allVersions, v12)]
		r.SecureRenegotiation = sh.SecureRenegotiation
		r.ExtendedMasterSecret = sh.ExtendedMasterSecret
		r.SessionTickets = sh.SessionTicket
		r.OCSPStapling = sh.OCSPStapling
	}

	var mu sync.Mutex // guards r's maps
	for _, v := range accepted {
		wg.Go(func() {
			suites, pref, known := p.enumerate(ctx, v, first[slices.Index(allVersions, v)])
			mu.Lock()
			defer mu.Unlock()
			r.Suites[v] = suites
			if known {
				r.ServerPreference[v] = pref
			}
		})
	}
	var groups13, groups12 []uint16
	if slices.Contains(accepted, TLS13) {
		wg.Go(func() { groups13 = p.groups13(ctx) })
	}
	if v12 != 0 {
		wg.Go(func() { groups12 = p.groups12(ctx, v12) })
	}
	wg.Go(func() { r.ALPN = p.alpn(ctx, accepted) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if len(groups13) > 0 {
		r.GroupsByVersion[TLS13] = groups13
	}
	if len(groups12) > 0 {
		r.GroupsByVersion[v12] = groups12
	}
	r.Groups = slices.Clone(groups13)
	for _, g := range groups12 {
		if !slices.Contains(r.Groups, g) {
			r.Groups = append(r.Groups, g)
		}
	}
	r.DHBits = p.dhBits
	r.Errors = p.errors
	return r, nil
}

// prober runs one Probe's handshakes and collects what they teach.
type prober struct {
	addr string
	o    Options
	sem  chan struct{}

	mu     sync.Mutex
	errors []string
	dhBits int
}

// handshake runs one Handshake under the concurrency limit.
func (p *prober) handshake(ctx context.Context, h Hello) (*ServerHello, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.sem }()
	sh, err := Handshake(ctx, p.addr, h, p.o)
	if err == nil && sh.FlightError != nil {
		p.note(fmt.Sprintf("%v hello, answer %s", h.Version, SuiteName(sh.Suite)), sh.FlightError)
	}
	if err == nil {
		p.dhBitsFrom([]*ServerHello{sh})
	}
	return sh, err
}

// note records a problem once.
func (p *prober) note(what string, err error) {
	msg := what + ": " + err.Error()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.errors, msg) {
		p.errors = append(p.errors, msg)
	}
}

// noteAlert records alerts that are not the usual refusals: they suggest a
// broken hello or server rather than "not accepted".
func (p *prober) noteAlert(what string, err error) {
	var a *AlertError
	if errors.As(err, &a) && !a.Refusal() {
		p.note(what, err)
	}
}

func (p *prober) dhBitsFrom(hellos []*ServerHello) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, sh := range hellos {
		if sh != nil && sh.DHBits > 0 && (p.dhBits == 0 || sh.DHBits < p.dhBits) {
			p.dhBits = sh.DHBits
		}
	}
}

// enumerate lists the suites v accepts, starting from the answer to the
// full offer, and tests server preference.
func (p *prober) enumerate(ctx context.Context, v Version, sh *ServerHello) (suites []uint16, serverPref, prefKnown bool) {
	offer := suiteIDs(SuitesFor(v))
	for sh != nil && sh.Version == v {
		suites = append(suites, sh.Suite)
		offer = slices.DeleteFunc(offer, func(id uint16) bool { return id == sh.Suite })
		if len(offer) == 0 {
			break
		}
		var err error
		sh, err = p.handshake(ctx, Hello{Version: v, Suites: offer})
		if err != nil {
			if Refused(err) {
				p.noteAlert(fmt.Sprintf("%v suite enumeration", v), err)
			} else {
				p.note(fmt.Sprintf("%v suite enumeration stopped after %d suites", v, len(suites)), err)
			}
		}
	}
	if len(suites) < 2 {
		return suites, false, false
	}
	reversed := slices.Clone(suites)
	slices.Reverse(reversed)
	sh, err := p.handshake(ctx, Hello{Version: v, Suites: reversed})
	if err != nil {
		p.note(fmt.Sprintf("%v server preference test", v), err)
		return suites, false, false
	}
	if sh.Version != v {
		p.note(fmt.Sprintf("%v server preference test", v), fmt.Errorf("server answered %v", sh.Version))
		return suites, false, false
	}
	return suites, sh.Suite != reversed[0], true
}

// groups13 offers each TLS 1.3 group alone.
func (p *prober) groups13(ctx context.Context) []uint16 {
	suites := suiteIDs(SuitesFor(TLS13))
	return p.eachGroup(groups13, func(g uint16) (bool, error) {
		sh, err := p.handshake(ctx, Hello{Version: TLS13, Suites: suites, Groups: []uint16{g}, KeyShares: []uint16{g}})
		if err != nil {
			return false, err
		}
		return sh.Version == TLS13 && sh.Group == g, nil
	}, "TLS 1.3 group")
}

// groups12 offers the ECDHE suites of v with one curve at a time.
func (p *prober) groups12(ctx context.Context, v Version) []uint16 {
	var suites []uint16
	for _, s := range SuitesFor(v) {
		if s.Kx == "ECDHE" {
			suites = append(suites, s.ID)
		}
	}
	return p.eachGroup(groups12, func(g uint16) (bool, error) {
		sh, err := p.handshake(ctx, Hello{Version: v, Suites: suites, Groups: []uint16{g}})
		if err != nil {
			return false, err
		}
		return sh.Version == v && sh.Group == g, nil
	}, fmt.Sprintf("%v ECDHE group", v))
}

// eachGroup runs try for every group in parallel and keeps the accepted ones
// in list order.
func (p *prober) eachGroup(list []uint16, try func(uint16) (bool, error), what string) []uint16 {
	ok := make([]bool, len(list))
	var wg sync.WaitGroup
	for i, g := range list {
		wg.Go(func() {
			var err error
			ok[i], err = try(g)
			if err != nil && !Refused(err) {
				p.note(what+" "+GroupName(g), err)
			}
		})
	}
	wg.Wait()
	var out []uint16
	for i, g := range list {
		if ok[i] {
			out = append(out, g)
		}
	}
	return out
}

// alpn offers each protocol alone, over TLS 1.3 with an AES-GCM suite (so the
// EncryptedExtensions can be read) when accepted, else over the highest
// version from TLS 1.0 to 1.2.
func (p *prober) alpn(ctx context.Context, accepted []Version) []string {
	var hellos []Hello
	if slices.Contains(accepted, TLS13) {
		// Shares for every group offered, so that no HelloRetryRequest
		// hides the EncryptedExtensions.
		g := []uint16{GroupX25519MLKEM768, GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}
		hellos = append(hellos, Hello{Version: TLS13, Suites: []uint16{0x1301, 0x1302}, Groups: g, KeyShares: g})
	}
	for _, v := range slices.Backward(accepted) {
		if v >= TLS10 && v <= TLS12 {
			hellos = append(hellos, Hello{Version: v, Suites: suiteIDs(SuitesFor(v))})
			break
		}
	}
	protos := []string{"h2", "http/1.1"}
	ok := make([]bool, len(protos))
	var wg sync.WaitGroup
	for i, proto := range protos {
		wg.Go(func() {
			for _, h := range hellos {
				h.ALPN = []string{proto}
				sh, err := p.handshake(ctx, h)
				var a *AlertError
				switch {
				case errors.As(err, &a) && a.Description == 120: // no_application_protocol
					return
				case err != nil:
					if !Refused(err) {
						p.note("ALPN "+proto, err)
					}
					continue
				case sh.Version == TLS13 && !sh.EncryptedExtensions:
					continue
				}
				ok[i] = sh.ALPN == proto
				return
			}
		})
	}
	wg.Wait()
	var out []string
	for i, proto := range protos {
		if ok[i] {
			out = append(out, proto)
		}
	}
	return out
}
