#!/usr/bin/env bash
# Per-request costs of one proxy that stay exact on a busy machine, for
# comparing two builds (issue 17): where run.sh measures CPU time, which
# other processes on the two cores skew, this counts.
#
#   bench/proxies/profile.sh BINARY SCENARIO [TOOL]
#
# BINARY is a portcullis binary, or "goproxy" (the baseline, built here).
# SCENARIO: ka1k (HTTP/1.1 keep-alive, 32 connections), ka64k, h2 (HTTP/2,
# 16 connections x 4 streams), hs (a new TLS connection per request).
# TOOL:
#   syscalls  (default) read(2) and write(2) calls per request, from
#             /proc/PID/io (exact), and CPU µs per request (noisy)
#   callgrind user-space instructions per request under valgrind
#             (GOMAXPROCS=1, GODEBUG=asyncpreemptoff=1), counted from a
#             zeroed counter after a warm-up; repeatable to a few % (the
#             scheduling of goroutines varies from run to run)
#   perf      a CPU profile (perf record -g) of N requests, for
#             perf report --children
#
# Environment: N (requests; default 20000, 2000 for callgrind), LOG=off
# (access log off), KEEP=1 (keep the directory with logs and profiles).
# The proxy runs on CPU 0 (GOMAXPROCS 1), the backend and h2load on
# CPU 1, all on 127.0.0.1; the self-audits are off, so that their
# handshakes do not land in the counts. Everything started here is
# stopped by PID on exit. Needs h2load (nghttp2-client), openssl,
# taskset; valgrind or perf for those tools.
set -euo pipefail
BIN=${1:?usage: profile.sh BINARY SCENARIO [syscalls|callgrind|perf]}
SC=${2:?scenario: ka1k, ka64k, h2 or hs}
TOOL=${3:-syscalls}
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N=${N:-}
[ -n "$N" ] || { if [ "$TOOL" = callgrind ]; then N=2000; else N=20000; fi; }

D="$(mktemp -d /tmp/portcullis-profile.XXXXXX)"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $D" >&2; else rm -rf "$D"; fi
}
trap cleanup EXIT

port() { echo $((20000 + RANDOM % 10000)); }
BP=$(port) PP=$(port) HP=$(port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.local \
  -addext 'subjectAltName = DNS:bench.local' -keyout "$D/key.pem" -out "$D/cert.pem" 2>/dev/null
(cd "$ROOT" && go build -o "$D/backend" ./bench/proxies/backend)
taskset -c 1 "$D/backend" -addr "127.0.0.1:$BP" -procs 1 >"$D/backend.log" 2>&1 &
PIDS+=($!)

PRE=(taskset -c 0)
if [ "$TOOL" = callgrind ]; then
  export GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 # callgrind cannot follow Go's preemption signals
  PRE=(valgrind --tool=callgrind --callgrind-out-file="$D/callgrind.out" --dump-instr=no)
fi
if [ "$BIN" = goproxy ]; then
  (cd "$ROOT" && go build -o "$D/goproxy" ./bench/proxies/goproxy)
  "${PRE[@]}" "$D/goproxy" -listen "127.0.0.1:$PP" -to "http://127.0.0.1:$BP" -cert "$D/cert.pem" \
    -key "$D/key.pem" -headers "$ROOT/bench/proxies/headers.txt" >"$D/proxy.log" 2>&1 &
else
  format=json
  [ "${LOG:-on}" = off ] && format=off
  cat >"$D/portcullis.toml" <<EOF
[access_log]
format = "$format"
[audit]
enabled = false
[[site]]
hosts = ["bench.local"]
upstream = "http://127.0.0.1:$BP"
[site.cert]
source = "files"
cert = "$D/cert.pem"
key = "$D/key.pem"
EOF
  mkdir -m 700 "$D/data"
  "${PRE[@]}" "$BIN" serve --config "$D/portcullis.toml" --https "127.0.0.1:$PP" --http "127.0.0.1:$HP" \
    --admin off --data "$D/data" >"$D/proxy.log" 2>&1 &
fi
PID=$!
PIDS+=("$PID")
for _ in $(seq 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PP") 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { tail "$D/proxy.log" >&2; exit 1; }
  sleep 0.2
done

load() { # load N: N requests of the scenario
  local a=(-t1 -n "$1" "--connect-to=127.0.0.1:$PP")
  case "$SC" in
  ka1k) a+=(--h1 -c32 -m1 "https://bench.local:$PP/1k") ;;
  ka64k) a+=(--h1 -c32 -m1 "https://bench.local:$PP/64k") ;;
  h2) a+=(-c16 -m4 "https://bench.local:$PP/1k") ;;
  hs) a+=(--h1 -c32 -m1 -H 'Connection: close' "https://bench.local:$PP/1k") ;;
  *) echo "unknown scenario $SC" >&2; exit 2 ;;
  esac
  taskset -c 1 h2load "${a[@]}" >"$D/load.txt" 2>&1
  grep -q " $1 succeeded" "$D/load.txt" || { cat "$D/load.txt" >&2; exit 1; }
}
load $((N / 2 + 500)) # warm-up: connections, pools, the heap

case "$TOOL" in
syscalls)
  read -r r0 w0 < <(awk '/^syscr/ { r = $2 } /^syscw/ { w = $2 } END { print r, w }' "/proc/$PID/io")
  c0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
  load "$N"
  read -r r1 w1 < <(awk '/^syscr/ { r = $2 } /^syscw/ { w = $2 } END { print r, w }' "/proc/$PID/io")
  c1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
  awk -v n="$N" -v r="$((r1 - r0))" -v w="$((w1 - w0))" -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    printf "reads/request %.2f  writes/request %.2f  CPU µs/request %.1f (noisy)\n", r / n, w / n, c / hz * 1e6 / n }'
  awk '/^VmHWM/ { print "peak RSS " $2 " kB" }' "/proc/$PID/status"
  ;;
callgrind)
  sleep 1
  callgrind_control -z "$PID" >/dev/null 2>&1
  load "$N"
  callgrind_control -d "$PID" >/dev/null 2>&1
  awk -v n="$N" '/^totals:/ { printf "instructions/request %.0f (user space)\n", $2 / n }' "$D/callgrind.out.1"
  cp "$D/callgrind.out.1" "${OUTFILE:-/tmp/callgrind.$SC.$$}"
  echo "profile: ${OUTFILE:-/tmp/callgrind.$SC.$$} (callgrind_annotate --auto=no)"
  ;;
perf)
  perf record -F 999 -g -p "$PID" -o "$D/perf.data" 2>/dev/null &
  PERF=$!
  sleep 0.5
  load "$N"
  kill -INT "$PERF"
  wait "$PERF" || true
  cp "$D/perf.data" "${OUTFILE:-/tmp/perf.$SC.$$.data}"
  echo "profile: ${OUTFILE:-/tmp/perf.$SC.$$.data} (perf report --children -i …)"
  ;;
*) echo "unknown tool $TOOL" >&2; exit 2 ;;
esac
