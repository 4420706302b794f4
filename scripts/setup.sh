#!/usr/bin/env bash
# Installs what the test suite needs, idempotently. Safe to run again:
# anything already present at the pinned version is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

STATICCHECK_VERSION=v0.8.2   # staticcheck 2026.1.2, supports Go 1.26

gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"

have_staticcheck() {
  [ -x "$gobin/staticcheck" ] && "$gobin/staticcheck" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"
}
if ! have_staticcheck; then
  echo "setup: installing staticcheck $STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

# Module dependencies, so that the tests do not download mid-run.
go mod download
(cd bench/middleware && go mod download)
