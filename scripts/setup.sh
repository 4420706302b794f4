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
# an NSS database, as a user would), and the packaging tests' tools:
# systemd-analyze (verifies the unit) and shellcheck (the release and
# maintainer scripts); ca-certificates, whose update-ca-certificates the
# truststore tests run on a sandbox; prometheus, for promtool (the
# monitoring tests check the alerting rules and a live scrape with it; its
# service is not needed); redis-server, which the cluster tests start on
# their own unix sockets, and on loopback ports as Sentinel (`redis-server
# --sentinel`: the redis-sentinel package is not needed) and Redis Cluster
# nodes (its service is not needed either). Installed only when missing.
DEBIAN_PACKAGES=(openssl python3-django gunicorn chromium libnss3-tools systemd shellcheck ca-certificates prometheus redis-server)
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

# Django 4.2 LTS, beside Debian 12's 3.2, so that examples/django is tested
# on both (4.0 changed CSRF: Origin checks, scheme-qualified trusted origins).
# It comes from bookworm-backports through apt with its own source list and
# state under .deps/, so the archive's signature is checked against Debian's
# keyring while the system's sources and packages stay as they are; the
# package is unpacked, not installed, and the tests put it on PYTHONPATH.
DJANGO_BACKPORT=examples/django/.deps/django-4.2
if [ -f "$DJANGO_BACKPORT/VERSION" ]; then
  : # already unpacked
elif [ "$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-}")" = bookworm ]; then
  echo "setup: fetching Django 4.2 from bookworm-backports into $DJANGO_BACKPORT"
  apt_dir="$PWD/examples/django/.deps/apt"
  rm -rf "$apt_dir" "$DJANGO_BACKPORT" "$DJANGO_BACKPORT.tmp"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
  cat >"$apt_dir/backports.sources" <<'SOURCES'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/backports.sources" -o Dir::Etc::SourceParts=/nonexistent
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -qq)
  apt-get "${apt_opts[@]}" update
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" download python3-django/bookworm-backports)
  deb=("$apt_dir"/python3-django_*.deb)
  version="$(dpkg-deb -f "${deb[0]}" Version)"
  case "$version" in
    *:4.2.*) ;;
    *) echo "setup: bookworm-backports has python3-django $version, not 4.2" >&2; exit 1 ;;
  esac
  mkdir -p "$DJANGO_BACKPORT.tmp"
  dpkg-deb -x "${deb[0]}" "$DJANGO_BACKPORT.tmp"
  echo "$version" >"$DJANGO_BACKPORT.tmp/VERSION"
  mv "$DJANGO_BACKPORT.tmp" "$DJANGO_BACKPORT"
  rm -rf "$apt_dir"
else
  echo "setup: not Debian 12 (bookworm): the Django 4.2 tests need $DJANGO_BACKPORT (python3-django 4.2 unpacked, see scripts/setup.sh)"
fi

# Module dependencies, so that the tests do not download mid-run.
go mod download
(cd bench/middleware && go mod download)
