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

# Debian packages the end-to-end tests run for real: openssl (legacy TLS
# servers for the audit's fixtures), Django under gunicorn (examples/django)
# and Chromium with certutil (the browser tests trust their test CA through
# an NSS database, as a user would). Installed only when missing.
DEBIAN_PACKAGES=(openssl python3-django gunicorn chromium libnss3-tools)
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
      { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
  fi
else
  echo "setup: not a Debian system: install ${DEBIAN_PACKAGES[*]} yourself (the end-to-end tests need them)"
fi

# Module dependencies, so that the tests do not download mid-run.
go mod download
(cd bench/middleware && go mod download)
