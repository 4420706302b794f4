// Package depsanchor keeps the modules of issue 4 in go.mod while the
// packages that use them are written. Temporary: delete when they exist.
package depsanchor

import (
	_ "filippo.io/age"
	_ "filippo.io/age/armor"
	_ "github.com/caddyserver/certmagic"
	_ "github.com/letsencrypt/pebble/v2/ca"
	_ "github.com/letsencrypt/pebble/v2/db"
	_ "github.com/letsencrypt/pebble/v2/va"
	_ "github.com/letsencrypt/pebble/v2/wfe"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
)
