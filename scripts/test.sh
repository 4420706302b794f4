#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, unit and end-to-end
# tests (with the race detector), and every fuzz target for a few seconds.
#   FUZZTIME=30s scripts/test.sh   # fuzz longer
#   NOFUZZ=1 scripts/test.sh       # skip the fuzzing stage (never in CI)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
FUZZTIME="${FUZZTIME:-4s}"

scripts/setup.sh

echo "== gofmt"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
staticcheck ./...

echo "== go test"
go test -race -count=1 ./...

echo "== bench/middleware (comparison module: vet, and the same-headers check)"
(cd bench/middleware && go vet ./... && staticcheck ./... && go test -count=1 ./...)

if [ "${NOFUZZ:-}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "== fuzz: skipped (NOFUZZ=1)"
  exit 0
fi
echo "== fuzz ($FUZZTIME each)"
n=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "-- $pkg $target"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tail -n 3
    n=$((n + 1))
  done
done
if [ "$n" -eq 0 ]; then echo "no fuzz targets found"; exit 1; fi
echo "fuzz: $n targets passed"
