package acme

import (
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/caddyserver/certmagic"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/spki"
)

// Stored describes the certificates stored in the storage directory dir
// for names, from any of the CAs given (directory URLs), without starting
// anything (for listings and cron checks). With match set, names is
// ignored and every stored name match accepts is described (on-demand
// sites). When a name has certificates from several CAs, the one expiring
// last is described. RenewAt is estimated with the renewal window.
// Names with no stored certificate are returned in missing.
func Stored(dir string, cas []string, names []string, match func(string) bool, window float64) (found []certs.Info, missing []string, err error) {
	if window <= 0 || window >= 1 {
		window = 1.0 / 3
	}
	keys := make([]string, len(cas))
	for i, ca := range cas {
		keys[i] = (&certmagic.ACMEIssuer{CA: ca}).IssuerKey()
	}
	if match != nil {
		names = nil
		seen := map[string]bool{}
		for _, k := range keys {
			ents, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(certmagic.StorageKeys.CertsPrefix(k))))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, err
			}
			for _, e := range ents {
				if e.IsDir() && !seen[e.Name()] && match(e.Name()) {
					seen[e.Name()] = true
					names = append(names, e.Name())
				}
			}
		}
		sort.Strings(names)
	}
	for _, n := range names {
		var best *certs.Info
		for _, k := range keys {
			file := filepath.Join(dir, filepath.FromSlash(certmagic.StorageKeys.SiteCert(k, n)))
			chain, err := certs.ReadChain(file)
			if errors.Is(err, certs.ErrNoCertificate) {
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			info := certs.InfoOf(chain[0], certs.SourceACME)
			info.RenewAt = renewAt(chain[0], window)
			info.Pins = spki.Chain(chain)
			if best == nil || info.NotAfter.After(best.NotAfter) {
				best = &info
			}
		}
		if best == nil {
			missing = append(missing, n)
			continue
		}
		found = append(found, *best)
	}
	return found, missing, nil
}
