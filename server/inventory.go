package server

import (
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/certs"
	"github.com/portcullis/portcullis/certs/acme"
	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/datadir"
	"github.com/portcullis/portcullis/shield"
)

// Stored is a certificate a configuration serves, as stored on disk.
type Stored struct {
	// Site is the site's name.
	Site string
	// Source is the site's certificate source (config.CertLocal,
	// CertFiles or CertACME), whether or not a certificate was found.
	Source string
	// Info describes the certificate; zero when Err is set.
	Info certs.Info
	// Names are the names the site needs a certificate for, when no
	// certificate is stored (Err is certs.ErrNoCertificate).
	Names []string
	// Err says why there is no certificate: certs.ErrNoCertificate when
	// none has been issued yet, or why it cannot be read.
	Err error
}

// Inventory describes the certificates cfg's sites would serve, from the
// data directory and the certificate files, without starting anything or
// issuing anything: for `portcullis certs list` and `certs check`, which
// may run from cron beside (or without) a running server.
func Inventory(cfg *config.Config, dataDir string) []Stored {
	var out []Stored
	for i := range cfg.Sites {
		cs := &cfg.Sites[i]
		names := certNames(cs.Hosts)
		switch cs.Cert.Source {
		case config.CertFiles:
			info, err := certs.StoredFile(cs.Cert.Cert)
			if errors.Is(err, certs.ErrNoCertificate) {
				// Not a certificate still to be issued: one to provide.
				err = fmt.Errorf("certificate file %s is missing", cs.Cert.Cert)
			}
			out = append(out, Stored{Site: cs.Name, Source: config.CertFiles, Info: info, Names: names, Err: err})
		case config.CertACME:
			cas := []string{cfg.ACME.CA}
			if fb := cfg.ACME.Fallback; fb != nil {
				cas = append(cas, fb.CA)
			}
			var match func(string) bool
			if cs.Cert.OnDemand {
				opts, err := cfg.ShieldOptions(cs)
				if err == nil {
					var sh *shield.Shield
					if sh, err = shield.New(opts); err == nil {
						match = sh.AllowsHost
					}
				}
				if err != nil {
					out = append(out, Stored{Site: cs.Name, Source: config.CertACME, Err: err})
					continue
				}
			}
			found, missing, err := acme.Stored(datadir.Dir(dataDir).ACME(), cas, names, match, cfg.ACME.RenewalWindow)
			if err != nil {
				out = append(out, Stored{Site: cs.Name, Source: config.CertACME, Err: err})
				continue
			}
			for _, info := range found {
				out = append(out, Stored{Site: cs.Name, Source: config.CertACME, Info: info})
			}
			for _, n := range missing {
				out = append(out, Stored{Site: cs.Name, Source: config.CertACME, Names: []string{n}, Err: certs.ErrNoCertificate})
			}
		default:
			info, err := certs.StoredLocal(datadir.Dir(dataDir).CA(), names)
			out = append(out, Stored{Site: cs.Name, Source: config.CertLocal, Info: info, Names: names, Err: err})
		}
	}
	return out
}

// Missing reports whether a stored entry is a certificate not issued yet.
func (s Stored) Missing() bool { return errors.Is(s.Err, certs.ErrNoCertificate) }
