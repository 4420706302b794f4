#!/usr/bin/env bash
# The whole test suite: formatting, vet, staticcheck, unit and end-to-end
# tests (with the race detector), and every fuzz target for a bounded number
# of executions.
#   FUZZTIME=500000x scripts/test.sh   # fuzz longer (a count, or a duration like 60s)
#   NOFUZZ=1 scripts/test.sh       # skip the fuzzing stage (never in CI)
#   ARTIFACTS=DIR scripts/test.sh  # where tests keep files (default test-artifacts/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
# A count, not a duration: with a wall-clock -fuzztime, Go's fuzz coordinator
# can race its own deadline and fail with "context deadline exceeded" having
# found nothing (golang/go#51484), which would turn CI red at random. A
# count has no deadline; 20000 executions take 0.5-6 s per target here.
FUZZTIME="${FUZZTIME:-20000x}"
# Targets whose one execution costs a hundred times a parser's run a tenth
# of the count: report.FuzzRenderers renders a whole audit in six formats,
# twice, and parses four back (about 15 ms under the fuzzer's
# instrumentation; 20000x took 272 s, a third of the suite).
HEAVY_FUZZ=" report.FuzzRenderers "

scripts/setup.sh

echo "== gofmt"
unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
staticcheck ./...

echo "== go test"
# Files tests keep (the browser tests' screenshots) go to test-artifacts/;
# each test logs the path of its own.
artifacts="${ARTIFACTS:-$PWD/test-artifacts}"
rm -rf "$artifacts" && mkdir -p "$artifacts"
go test -race -count=1 -artifacts -outputdir "$artifacts" ./...

echo "== bench/middleware (comparison module: vet, and the same-headers check)"
(cd bench/middleware && go vet ./... && staticcheck ./... && go test -count=1 ./...)

if [ "${NOFUZZ:-}" = 1 ] && [ "${CI:-}" != true ]; then
  echo "== fuzz: skipped (NOFUZZ=1)"
  exit 0
fi
echo "== fuzz ($FUZZTIME each, a tenth for:$HEAVY_FUZZ)"
fuzzlog="$(mktemp)"
trap 'rm -f "$fuzzlog"' EXIT
n=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    fuzztime="$FUZZTIME"
    if [[ "$HEAVY_FUZZ" == *" ${pkg##*/}.$target "* && "$FUZZTIME" =~ ^([0-9]+)x$ ]]; then
      fuzztime="$(( BASH_REMATCH[1] / 10 > 0 ? BASH_REMATCH[1] / 10 : 1 ))x"
    fi
    echo "-- $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 500x "$pkg" > "$fuzzlog" 2>&1; then
      cat "$fuzzlog" # the whole story: failing input, its file under testdata/fuzz, or the engine's error
      exit 1
    fi
    tail -n 2 "$fuzzlog"
    n=$((n + 1))
  done
done
if [ "$n" -eq 0 ]; then echo "no fuzz targets found"; exit 1; fi
echo "fuzz: $n targets passed"
