#!/usr/bin/env bash
# Proxy benchmark: portcullis serve against caddy, nginx, haproxy and a plain
# Go httputil.ReverseProxy baseline (goproxy/), all doing the same job on
# 127.0.0.1: terminate TLS (one ECDSA P-256 certificate for bench.local),
# proxy to one backend (backend/), add the same security headers
# (headers.txt) and, where the proxy can, harden the backend's cookie.
#
#   bench/proxies/run.sh            # full run: 3 x 5 s per proxy and scenario (~13 min)
#   QUICK=1 bench/proxies/run.sh    # smoke test: 1 x 2 s (~4 min)
#
# Scenarios, CONNS (32) requests in flight each unless said otherwise:
#   ka1k       (a) HTTP/1.1 keep-alive, 1 KiB body       wrk
#   ka64k      (b) HTTP/1.1 keep-alive, 64 KiB body      wrk
#   handshake  (c) a new TLS connection per request      wrk -H 'Connection: close'
#              (wrk reconnects after each response and never resumes a TLS
#              session, so every request pays a full handshake)
#   h2         (d) HTTP/2, 1 KiB, 4 connections x 8 streams   h2load
#   ka1k-64    (e) as (a) with 64 connections (the peak RSS to read)   wrk
#   h2-16x4    (f) HTTP/2, 1 KiB, 16 connections x 4 streams (64 in flight)   h2load
# Measured per run: req/s and p99 latency (from wrk --latency, or h2load's
# per-request log); the proxy's CPU time per request (utime+stime of its
# process tree from /proc/PID/stat, before and after, over the requests the
# client completed); peak RSS (VmHWM summed over the proxy's processes at the
# end of the scenario; each proxy is started afresh per scenario). Each
# figure is the median over the runs; runs disturbed by other processes on
# the machine are repeated (MAX_FOREIGN, RETRIES).
#
# Environment: PEERS (default "goproxy portcullis portcullis-nolog caddy
# nginx haproxy"; the baseline goproxy always runs), SCENARIOS (default
# "ka1k ka64k handshake h2 ka1k-64 h2-16x4"), CONNS (for a to d), OUT
# (default bench/proxies/results.md),
# TIME_LIMIT (s, default 1800), KEEP=1 (keep the temporary directory:
# configs, logs, load generator output).
#
# The proxy runs pinned to CPU 0; the load generator and the backend share
# CPU 1. Everything started here is stopped by PID on exit, error included.
# Installs what is missing with apt-get (as root). Not part of the test
# suite (too long); headers_test.go checks that this script parses and that
# headers.txt is what portcullis sends.
# PID lists and numbers are split on spaces on purpose:
# shellcheck disable=SC2046,SC2206,SC2207
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
export LC_ALL=C

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
HERE=bench/proxies

# The command line, for the report: the settings given in the environment.
INVOCATION=""
for v in QUICK PEERS SCENARIOS CONNS MAX_FOREIGN RETRIES; do
  case "${!v:-}" in
  '') ;;
  *[!A-Za-z0-9._-]*) INVOCATION+="$v=${!v@Q} " ;;
  *) INVOCATION+="$v=${!v} " ;;
  esac
done
INVOCATION+="$HERE/run.sh"

QUICK="${QUICK:-0}"
if [ "$QUICK" = 1 ]; then REPS=1 DUR=2 WARM=1; else REPS=3 DUR=5 WARM=1; fi
CONNS="${CONNS:-32}"
H2_CLIENTS=4 # HTTP/2: CONNS streams spread over this many connections
PEERS="${PEERS:-goproxy portcullis portcullis-nolog caddy nginx haproxy}"
SCENARIOS="${SCENARIOS:-ka1k ka64k handshake h2 ka1k-64 h2-16x4}"
OUT="${OUT:-$HERE/results.md}"
PROXY_CPU=0
LOAD_CPU=1
TIME_LIMIT="${TIME_LIMIT:-1800}"
DEADLINE=$((SECONDS + TIME_LIMIT))     # hard stop for the whole run
SOFT_DEADLINE=$((SECONDS + TIME_LIMIT / 2)) # no more waiting or retrying after this
# A run during which other processes used more than MAX_FOREIGN % of a CPU
# is not counted; up to RETRIES more runs replace such runs.
MAX_FOREIGN="${MAX_FOREIGN:-10}"
RETRIES="${RETRIES:-3}"
QUIET_WAIT="${QUIET_WAIT:-10}"
HOST=bench.local
# What shield's cookie hardening makes of the backend's "sessionid=x; Path=/"
# (headers_test.go keeps this in step with shield).
HARDENED_COOKIE='sessionid=x; Path=/; Secure; HttpOnly; SameSite=Lax'
PLAIN_COOKIE='sessionid=x; Path=/'

log() { printf '%s\n' "$*" >&2; }
die() {
  log "run.sh: $*"
  exit 1
}

# --- tools -------------------------------------------------------------------

install_missing() {
  local need=() pair
  for pair in caddy:caddy nginx:nginx haproxy:haproxy wrk:wrk h2load:nghttp2-client \
    curl:curl openssl:openssl taskset:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
  done
  [ "${#need[@]}" -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${need[*]}: run as root, or install them first"
  log "installing: ${need[*]}"
  # Update the package lists once, only when one of the packages is unknown.
  local p
  for p in "${need[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then
      apt-get update -qq
      break
    fi
  done
  # The packages' own services (nginx, caddy, haproxy on port 80) must not
  # start: this benchmark runs its own instances on 127.0.0.1 only.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || die "apt-get install ${need[*]} failed (exit $rc)"
}

# --- processes ---------------------------------------------------------------

TMP=""
STARTED=() # PIDs of every long-running process this script started

# descendants PID: PID and all its descendants, one per line.
descendants() {
  local p
  echo "$1"
  for p in $(pgrep -P "$1" 2>/dev/null || true); do descendants "$p"; done
}

# stop_pid PID: SIGTERM to PID and its descendants, SIGKILL after 5 s.
stop_pid() {
  local pid=$1 tree p alive
  tree=($(descendants "$pid"))
  kill -TERM "${tree[@]}" 2>/dev/null || true
  for _ in $(seq 50); do
    alive=()
    for p in "${tree[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [ "${#alive[@]}" -gt 0 ] || break
    sleep 0.1
  done
  [ "${#alive[@]}" -eq 0 ] || kill -KILL "${alive[@]}" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  if [ -n "$TMP" ]; then
    if [ "${KEEP:-0}" = 1 ]; then log "kept $TMP (KEEP=1)"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget() { # forget PID: remove it from STARTED once stopped
  local keep=() p
  for p in "${STARTED[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}

# free_port: sets PORT to a TCP port on 127.0.0.1 that nobody listens on
# and this script has not handed out, below the ephemeral range so that
# client sockets never take it. (Not run in a subshell, which would forget
# the ports handed out.)
USED_PORTS=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 10000))
    case "$USED_PORTS" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      USED_PORTS+="$p "
      PORT=$p
      return
    fi
  done
}

# wait_listen PORT PID NAME: until something accepts on PORT (10 s).
wait_listen() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || die "$3 exited at start; its log: $(tail -n 20 "$TMP/$3.log")"
    sleep 0.1
  done
  die "$3 is not listening on 127.0.0.1:$1 after 10 s; its log: $(tail -n 20 "$TMP/$3.log")"
}

# --- measurements ------------------------------------------------------------

CLK_TCK="$(getconf CLK_TCK)"

# hwm_kib PIDS...: the sum of the processes' peak resident sets (VmHWM).
hwm_kib() {
  local p total=0 k
  for p in "$@"; do
    k="$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)"
    total=$((total + ${k:-0}))
  done
  echo "$total"
}

# ms VALUE: wrk's latency ("812.00us", "1.20ms", "2.01s") in milliseconds.
ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.3f", n }'
}

# on_load_cpu OUT CMD...: runs CMD on CPU 1 with its output in OUT.txt and
# the CPU time it used, in seconds, in OUT.cpu (from the shell's `times`).
on_load_cpu() {
  local out=$1
  shift
  # `times` must run in the shell that waited for CMD (a subshell starts
  # with no children's time); its second line is "0m1.23s 0m0.45s".
  timeout $((DUR + WARM + 30)) taskset -c "$LOAD_CPU" bash -c '"$@"; rc=$?; times >"$0"; exit $rc' \
    "$out.times" "$@" >"$out.txt" 2>&1 ||
    die "$1 failed: $(cat "$out.txt")"
  awk -F '[ms]+' 'NR == 2 { print $1 * 60 + $2 + $3 * 60 + $4 }' "$out.times" >"$out.cpu"
}

# load SCENARIO PORT SECONDS OUT: runs the load generator on CPU 1 and
# prints "requests req_per_s p99_ms errors cpu_seconds".
load() {
  local sc=$1 port=$2 secs=$3 out=$4 path=/1k conns=$CONNS h2c=$H2_CLIENTS
  [ "$sc" = ka64k ] && path=/64k
  [ "$sc" = ka1k-64 ] && conns=64
  [ "$sc" = h2-16x4 ] && conns=64 h2c=16
  case "$sc" in
  ka1k | ka64k | handshake | ka1k-64)
    local hdr=()
    [ "$sc" = handshake ] && hdr=(-H 'Connection: close')
    on_load_cpu "$out" "${NAMED[@]}" wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s --latency \
      "${hdr[@]}" "https://$HOST:$port$path"
    awk '
      / requests in / { reqs = $1 }
      /^Requests\/sec:/ { rps = $2 }
      /^ +99%/ { p99 = $2 }
      /Socket errors:/ { gsub(/[^0-9 ]/, " "); split($0, e, " +"); for (i in e) errs += e[i] }
      /Non-2xx or 3xx responses:/ { errs += $NF }
      END { printf "%s %s %s %d\n", reqs, rps, p99, errs }' "$out.txt" |
      { read -r reqs rps p99 errs; echo "$reqs $rps $(ms "$p99") $errs $(cat "$out.cpu")"; }
    ;;
  h2 | h2-16x4)
    on_load_cpu "$out" h2load -t1 -c"$h2c" -m$((conns / h2c)) -D "$secs" \
      --connect-to="127.0.0.1:$port" --log-file="$out.log" "https://$HOST:$port$path"
    grep -q 'Application protocol: h2' "$out.txt" || die "h2load did not negotiate h2: $(cat "$out.txt")"
    local reqs rps errs p99
    read -r reqs errs < <(awk '/^requests:/ { ok = $8; e = $10 + $12 + $14 }
      /^status codes:/ { e += $7 + $9 } END { print ok, e }' "$out.txt")
    rps="$(awk '/^finished in/ { print $4 }' "$out.txt")"
    p99="$(awk '{ print $3 }' "$out.log" | sort -n | awk '{ v[NR] = $1 } END {
      if (NR == 0) { print 0; exit } i = int(NR * 0.99); if (i < NR * 0.99) i++; printf "%.3f", v[i] / 1000 }')"
    echo "$reqs $rps $p99 $errs $(cat "$out.cpu")"
    ;;
  *) die "unknown scenario $sc" ;;
  esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# --- the proxies -------------------------------------------------------------

# Each start_NAME PORT starts the proxy on 127.0.0.1:PORT pinned to CPU 0
# and sets PID. The header list comes from headers.txt.
HEADERS=() # "Name: value" lines
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  HEADERS+=("$line")
done <"$HERE/headers.txt"
[ "${#HEADERS[@]}" -gt 0 ] || die "$HERE/headers.txt lists no header"

hname() { printf '%s' "${1%%:*}"; }
hvalue() {
  local v="${1#*:}"
  printf '%s' "${v# }"
}

# spawn NAME CMD...: starts CMD on CPU 0 logging to $TMP/NAME.log, and sets
# PID. (Not run in a subshell: the PID must be this shell's child.)
spawn() {
  local name=$1
  shift
  taskset -c "$PROXY_CPU" "$@" >"$TMP/$name.log" 2>&1 &
  PID=$!
  STARTED+=("$PID")
}

start_goproxy() {
  spawn goproxy "$TMP/goproxy" -listen "127.0.0.1:$1" -to "http://127.0.0.1:$BACKEND_PORT" \
    -cert "$TLS/cert.pem" -key "$TLS/key.pem" -headers "$HERE/headers.txt"
}

start_portcullis() {
  [ -d "$TMP/portcullis-data" ] || mkdir -m 700 "$TMP/portcullis-data"
  free_port
  spawn portcullis "$TMP/portcullis" serve --host "$HOST" --to "http://127.0.0.1:$BACKEND_PORT" \
    --cert "$TLS/cert.pem" --key "$TLS/key.pem" --https "127.0.0.1:$1" --http "127.0.0.1:$PORT" \
    --admin off --data "$TMP/portcullis-data"
}

# portcullis as the one-site flags make it, except that the access log (by
# default one JSON line a request on stderr, which the other peers do not
# write) is off: the same proxy doing exactly the peers' job.
start_portcullis-nolog() {
  [ -d "$TMP/portcullis-nolog-data" ] || mkdir -m 700 "$TMP/portcullis-nolog-data"
  free_port
  cat >"$TMP/portcullis.toml" <<EOF
[access_log]
format = "off"

[[site]]
hosts = ["$HOST"]
upstream = "http://127.0.0.1:$BACKEND_PORT"

[site.cert]
source = "files"
cert = "$TLS/cert.pem"
key = "$TLS/key.pem"
EOF
  spawn portcullis-nolog "$TMP/portcullis" serve --config "$TMP/portcullis.toml" \
    --https "127.0.0.1:$1" --http "127.0.0.1:$PORT" --admin off --data "$TMP/portcullis-nolog-data"
}

start_caddy() {
  local h
  free_port # for http_port, which Caddy wants even with redirects off
  {
    cat <<EOF
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	http_port $PORT
	https_port $1
	servers {
		protocols h1 h2
	}
}
https://$HOST:$1 {
	bind 127.0.0.1
	tls $TLS/cert.pem $TLS/key.pem
	header {
EOF
    for h in "${HEADERS[@]}"; do printf '\t\t%s "%s"\n' "$(hname "$h")" "$(hvalue "$h")"; done
    cat <<EOF
	}
	reverse_proxy 127.0.0.1:$BACKEND_PORT {
		header_up X-Forwarded-Proto https
		header_down Set-Cookie "^(.*)\$" "\$1; Secure; HttpOnly; SameSite=Lax"
		transport http {
			keepalive_idle_conns_per_host 256
		}
	}
}
EOF
  } >"$TMP/Caddyfile"
  spawn caddy env XDG_DATA_HOME="$TMP/caddy/data" XDG_CONFIG_HOME="$TMP/caddy/config" HOME="$TMP/caddy" \
    caddy run --config "$TMP/Caddyfile" --adapter caddyfile
}

start_nginx() {
  local h n="$TMP/nginx"
  mkdir -p "$n"
  chmod 755 "$n"
  {
    cat <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000; # default 1000: a client reconnects (new handshake) every 1000 requests
	client_body_temp_path $n/body;
	proxy_temp_path $n/proxy;
	fastcgi_temp_path $n/fastcgi;
	uwsgi_temp_path $n/uwsgi;
	scgi_temp_path $n/scgi;
	upstream backend {
		server 127.0.0.1:$BACKEND_PORT;
		keepalive 256;
		keepalive_requests 1000000;
	}
	server {
		listen 127.0.0.1:$1 ssl http2;
		server_name $HOST;
		ssl_certificate $TLS/cert.pem;
		ssl_certificate_key $TLS/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
		ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
		ssl_prefer_server_ciphers on;
		location / {
			proxy_pass http://backend;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto https;
			proxy_buffer_size 16k;
			proxy_buffers 8 16k;
			proxy_busy_buffers_size 32k;
			proxy_cookie_flags ~ secure httponly samesite=lax;
EOF
    for h in "${HEADERS[@]}"; do printf '\t\t\tadd_header %s "%s" always;\n' "$(hname "$h")" "$(hvalue "$h")"; done
    printf '\t\t}\n\t}\n}\n'
  } >"$TMP/nginx.conf"
  spawn nginx nginx -p "$n/" -e "$n/error.log" -c "$TMP/nginx.conf"
}

start_haproxy() {
  local h
  cat "$TLS/cert.pem" "$TLS/key.pem" >"$TLS/haproxy.pem"
  {
    cat <<EOF
global
	nbthread 1
	maxconn 4096
	ssl-default-bind-options ssl-min-ver TLSv1.2
	ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305
	ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256
defaults
	mode http
	timeout connect 5s
	timeout client 30s
	timeout server 30s
	timeout http-keep-alive 30s
	option forwardfor
frontend https
	bind 127.0.0.1:$1 ssl crt $TLS/haproxy.pem alpn h2,http/1.1
	http-request set-header X-Forwarded-Proto https
EOF
    for h in "${HEADERS[@]}"; do printf '\thttp-response set-header %s "%s"\n' "$(hname "$h")" "$(hvalue "$h")"; done
    cat <<EOF
	http-response replace-header Set-Cookie '^(.*)$' "\\1; Secure; HttpOnly; SameSite=Lax"
	default_backend app
backend app
	server app 127.0.0.1:$BACKEND_PORT
EOF
  } >"$TMP/haproxy.cfg"
  haproxy -c -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 || die "haproxy config: $(cat "$TMP/haproxy.log")"
  spawn haproxy haproxy -db -f "$TMP/haproxy.cfg"
}

version_of() {
  case "$1" in
  goproxy) go version | awk '{ print "Go " substr($3, 3) " net/http" }' ;;
  portcullis)
    local rev dirty=""
    rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    [ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] || dirty=" + uncommitted changes"
    echo "portcullis (this tree: $rev$dirty), JSON access log to a file"
    ;;
  portcullis-nolog) echo "the same, access log off" ;;
  caddy) caddy version | awk '{ print "Caddy " $1 }' ;;
  nginx) nginx -v 2>&1 | sed 's|.*nginx/|nginx |' ;;
  haproxy) haproxy -v | awk 'NR == 1 { print "HAProxy " $3 }' ;;
  esac
}

# --- the header check --------------------------------------------------------

# check_proxy NAME PORT: fetches /64k over HTTP/1.1 and HTTP/2 (SNI and
# Host bench.local, as the load generators send them),
# and checks each listed header is there exactly once with its value. Sets
# COOKIE_STATE and EXTRA for the report; a peer that misses a header fails
# the run (its configuration is wrong); portcullis's own policy only warns.
declare -A COOKIE_STATE EXTRA CIPHER
# attrs COOKIE: its parts lower-cased and sorted, to compare cookies
# whatever order and case a proxy writes the flags in.
attrs() { tr ';' '\n' <<<"$1" | sed 's/^ *//; s/ *$//' | tr '[:upper:]' '[:lower:]' | sort | tr '\n' ';'; }
check_proxy() {
  local name=$1 port=$2 proto hdrs h want n got bad=0 cookie
  for proto in http1.1 http2; do
    hdrs="$TMP/$name-$proto.hdr"
    curl -sSk "--$proto" --connect-to "$HOST:$port:127.0.0.1:$port" -D "$hdrs" -o "$TMP/$name.body" -v \
      "https://$HOST:$port/64k" 2>"$TMP/$name-curl.txt" || die "$name: curl failed: $(tail -n 5 "$TMP/$name-curl.txt")"
    tr -d '\r' <"$hdrs" >"$hdrs.x" && mv "$hdrs.x" "$hdrs"
    head -n 1 "$hdrs" | grep -q ' 200' || die "$name ($proto): $(head -n 1 "$hdrs")"
    [ "$(wc -c <"$TMP/$name.body")" -eq 65536 ] || die "$name ($proto): body of /64k is $(wc -c <"$TMP/$name.body") bytes"
    for h in "${HEADERS[@]}"; do
      want="$(hvalue "$h")"
      n="$(grep -ci "^$(hname "$h"):" "$hdrs" || true)"
      got="$(grep -i "^$(hname "$h"):" "$hdrs" | head -n 1 | sed 's/^[^:]*: *//')"
      if [ "$n" != 1 ] || [ "$got" != "$want" ]; then
        log "$name ($proto): $(hname "$h") sent $n time(s) as '$got', want '$want'"
        bad=1
      fi
    done
    cookie="$(grep -i '^set-cookie:' "$hdrs" | sed 's/^[^:]*: *//')"
    if [ "$(attrs "$cookie")" = "$(attrs "$HARDENED_COOKIE")" ]; then
      COOKIE_STATE[$name]=yes
    elif [ "$cookie" = "$PLAIN_COOKIE" ]; then
      COOKIE_STATE[$name]=no
    else
      COOKIE_STATE[$name]="other: \`$cookie\`"
    fi
    [ "$proto" = http1.1 ] && CIPHER[$name]="$(sed -n 's/.*SSL connection using \(.*\)$/\1/p' "$TMP/$name-curl.txt" | head -n 1)"
  done
  EXTRA[$name]="$(grep -v -i -E '^(HTTP/|date:|content-type:|content-length:|set-cookie:|connection:|keep-alive:|$)' "$TMP/$name-http1.1.hdr" |
    grep -v -i -F -f <(for h in "${HEADERS[@]}"; do echo "$(hname "$h"):"; done) |
    sed 's/:.*//' | sort -u | paste -sd, - | sed 's/,/, /g' || true)"
  if [ "$bad" = 1 ]; then
    [[ "$name" == portcullis* ]] || die "$name does not send the listed headers: its configuration is wrong"
    log "warning: portcullis's headers differ from headers.txt (see above)"
  fi
}

# --- main --------------------------------------------------------------------

install_missing
TMP="$(mktemp -d /tmp/portcullis-bench.XXXXXX)"
chmod 711 "$TMP" # nginx's unprivileged worker must reach $TMP/nginx
TLS="$TMP/tls"
mkdir -m 700 "$TLS"

log "building"
go build -o "$TMP/backend" ./$HERE/backend
go build -o "$TMP/goproxy" ./$HERE/goproxy
SKIPPED=""
RUN_PEERS="goproxy"
for p in $PEERS; do
  case "$p" in
  goproxy) ;;
  portcullis | portcullis-nolog)
    if [ ! -x "$TMP/portcullis" ] && [ -z "$SKIPPED" ] &&
      ! go build -o "$TMP/portcullis" ./cmd/portcullis 2>"$TMP/portcullis-build.txt"; then
      log "portcullis does not build; skipped:"
      head -n 5 "$TMP/portcullis-build.txt" >&2
      SKIPPED="portcullis (cmd/portcullis did not build)"
    fi
    [ -n "$SKIPPED" ] || RUN_PEERS+=" $p"
    ;;
  caddy | nginx | haproxy) RUN_PEERS+=" $p" ;;
  *) die "unknown peer $p (known: goproxy portcullis portcullis-nolog caddy nginx haproxy)" ;;
  esac
done

cat >"$TMP/openssl.cnf" <<EOF
[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = $HOST
[ext]
subjectAltName = DNS:$HOST, IP:127.0.0.1
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
EOF
(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -config "$TMP/openssl.cnf" -keyout "$TLS/key.pem" -out "$TLS/cert.pem" 2>"$TMP/openssl.txt") ||
  die "openssl: $(cat "$TMP/openssl.txt")"
chmod 644 "$TLS/cert.pem"

# wrk has no --connect-to: it runs in a private mount namespace whose
# /etc/hosts says bench.local is 127.0.0.1, so that it sends the same SNI
# and Host as a browser would (portcullis picks its certificate by SNI).
# Nothing outside that one process sees the change.
printf '127.0.0.1 %s\n' "$HOST" >"$TMP/hosts"
chmod 644 "$TMP/hosts"
if [ "$(id -u)" -eq 0 ]; then NAMED=(unshare -m); else NAMED=(unshare -r -m); fi
NAMED+=(bash -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$TMP/hosts")
"${NAMED[@]}" getent hosts "$HOST" 2>/dev/null | grep -q '^127\.0\.0\.1 ' ||
  die "cannot give wrk a private /etc/hosts (unshare -m and mount --bind): run as root"

free_port
BACKEND_PORT=$PORT
taskset -c "$LOAD_CPU" "$TMP/backend" -addr "127.0.0.1:$BACKEND_PORT" -procs 1 >"$TMP/backend.log" 2>&1 &
BACKEND_PID=$!
STARTED+=("$BACKEND_PID")
wait_listen "$BACKEND_PORT" "$BACKEND_PID" backend

scenario_name() {
  case "$1" in
  ka1k) echo "(a) keep-alive, 1 KiB" ;;
  ka64k) echo "(b) keep-alive, 64 KiB" ;;
  handshake) echo "(c) new TLS connection per request, 1 KiB" ;;
  h2) echo "(d) HTTP/2, 1 KiB" ;;
  ka1k-64) echo "(e) keep-alive, 1 KiB, 64 connections" ;;
  h2-16x4) echo "(f) HTTP/2, 1 KiB, 16 connections × 4 streams" ;;
  esac
}

# snapshot NPROXY PIDS...: prints "seconds busy proxy backend" for this
# instant: the wall clock; the CPU ticks spent by every process on the
# machine so far (user, nice, system and steal from /proc/stat; interrupts
# left out); those of the first NPROXY PIDS (the proxy's tree) and those of
# the rest (the backend). One awk, no fork in between: under load a gap
# between the clock and the counters would skew the ratios.
snapshot() {
  local np=$1 now=$EPOCHREALTIME files=() p
  shift
  for p in "$@"; do files+=("/proc/$p/stat"); done
  awk -v np="$np" -v now="$now" '
    FILENAME == "/proc/stat" { if ($1 == "cpu") busy = $2 + $3 + $4 + $9; next }
    FNR == 1 { i++ }
    { sub(/.*\) /, ""); if (i <= np) px += $12 + $13; else be += $12 + $13 }
    END { printf "%s %d %d %d\n", now, busy, px, be }' /proc/stat "${files[@]}"
}

# wait_quiet: waits (up to QUIET_WAIT s, and not past the soft deadline)
# until the machine is idle enough: other processes (e.g. a test suite run
# by someone else) skew every figure.
wait_quiet() {
  local start=$SECONDS said=0 s0 s1 pct
  while :; do
    s0="$(snapshot 0 "${OURS[@]}")"
    sleep 0.5
    s1="$(snapshot 0 "${OURS[@]}")"
    pct="$(foreign_pct "$s0" "$s1" 0)"
    [ "$pct" -le "$MAX_FOREIGN" ] && return 0
    if [ $((SECONDS - start)) -ge "$QUIET_WAIT" ] || [ "$SECONDS" -ge "$SOFT_DEADLINE" ]; then
      log "  the machine is busy (other processes at ${pct}% of a CPU); measuring anyway"
      return 0
    fi
    [ "$said" = 1 ] || log "  the machine is busy (other processes at ${pct}% of a CPU); waiting up to ${QUIET_WAIT}s"
    said=1
  done
}

# foreign_pct SNAP0 SNAP1 LOADGEN_SECONDS: the CPU used between the two
# snapshots by processes other than ours, in % of one CPU.
foreign_pct() {
  awk -v a="$1" -v b="$2" -v l="$3" -v hz="$CLK_TCK" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    f = ((y[2] - x[2]) - (y[3] - x[3]) - (y[4] - x[4])) / hz - l
    if (f < 0) f = 0
    printf "%.0f\n", f / (y[1] - x[1]) * 100 }'
}

# measure SCENARIO NAME: one measured run of the proxy NAME; records it in
# RUNS (counted) or only in ALL (disturbed: other processes were busy).
measure() {
  local sc=$1 name=$2 tree ours s0 s1 reqs rate lat errs lcpu foreign us pct line n p
  n=$((ATTEMPTS[$name] + 1))
  ATTEMPTS[$name]=$n
  tree=($(descendants "${PIDS[$name]}"))
  ours=("${tree[@]}" $(descendants "$BACKEND_PID"))
  for p in $RUN_PEERS; do [ "$p" = "$name" ] || ours+=($(descendants "${PIDS[$p]}")); done
  OURS=("${ours[@]}")
  wait_quiet
  s0="$(snapshot "${#tree[@]}" "${ours[@]}")"
  read -r reqs rate lat errs lcpu < <(load "$sc" "${PORTS[$name]}" "$DUR" "$TMP/$sc-$name-$n")
  s1="$(snapshot "${#tree[@]}" "${ours[@]}")"
  [ "${reqs:-0}" -gt 0 ] || die "$sc / $name: no request completed (see $TMP/$sc-$name-$n.txt)"
  [ "$errs" -eq 0 ] || log "  warning: $name: $errs failed requests"
  foreign="$(foreign_pct "$s0" "$s1" "$lcpu")"
  read -r us pct < <(awk -v a="$s0" -v b="$s1" -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN {
    split(a, x, " "); split(b, y, " "); t = (y[3] - x[3]) / hz
    printf "%.2f %.0f\n", t * 1e6 / n, t / (y[1] - x[1]) * 100 }')
  line="$(printf '%-16s run %d: %s req/s, %s µs CPU/req, p99 %s ms, proxy CPU %s%%, other processes %s%%' \
    "$name" "$n" "$rate" "$us" "$lat" "$pct" "$foreign")"
  ALL[$name]+="$foreign $rate $us $lat $pct"$'\n'
  if [ "$foreign" -gt "$MAX_FOREIGN" ]; then
    log "  $line: disturbed, not counted"
    return
  fi
  log "  $line"
  RUNS[$name]+="$foreign $rate $us $lat $pct"$'\n'
  ACCEPTED[$name]=$((ACCEPTED[$name] + 1))
}

# column N LINES: the Nth field of each line.
column() { awk -v n="$1" 'NF { print $n }' <<<"$2"; }

# Per scenario, every proxy is started afresh (so VmHWM is the scenario's
# peak) and all run side by side, idle but for the one under load. The
# runs are interleaved, one per proxy per round in a rotating order, so a
# slow spell of the machine hits every proxy alike rather than one.
declare -A RPS CPU P99 RSS UTIL OTHER NOTE PIDS PORTS RUNS ALL ACCEPTED ATTEMPTS
for sc in $SCENARIOS; do
  [ "$SECONDS" -lt "$DEADLINE" ] || die "time limit reached (TIME_LIMIT=$TIME_LIMIT s)"
  log "$(scenario_name "$sc"): $REPS x ${DUR}s per proxy, after a ${WARM}s warm-up"
  for name in $RUN_PEERS; do
    free_port
    PORTS[$name]=$PORT
    "start_$name" "${PORTS[$name]}"
    PIDS[$name]=$PID
    RUNS[$name]="" ALL[$name]="" ACCEPTED[$name]=0 ATTEMPTS[$name]=0
  done
  for name in $RUN_PEERS; do
    wait_listen "${PORTS[$name]}" "${PIDS[$name]}" "$name"
    check_proxy "$name" "${PORTS[$name]}"
    load "$sc" "${PORTS[$name]}" "$WARM" "$TMP/warm" >/dev/null
  done
  order=($RUN_PEERS)
  for ((round = 1; round <= REPS + RETRIES; round++)); do
    [ "$round" -le "$REPS" ] || [ "$SECONDS" -lt "$SOFT_DEADLINE" ] || break
    todo=0
    for name in "${order[@]}"; do
      [ "${ACCEPTED[$name]}" -lt "$REPS" ] || continue
      todo=1
      measure "$sc" "$name"
    done
    [ "$todo" = 1 ] || break
    order=("${order[@]:1}" "${order[0]}")
  done
  for name in $RUN_PEERS; do
    runs="${RUNS[$name]}"
    NOTE[$sc,$name]=""
    if [ "${ACCEPTED[$name]}" -lt "$REPS" ]; then
      # Never quiet enough: the least disturbed runs, marked.
      NOTE[$sc,$name]=" †"
      runs="$(sort -n <<<"${ALL[$name]}" | awk NF | head -n "$REPS")"
    fi
    OTHER[$sc,$name]="$(median $(column 1 "$runs"))"
    RPS[$sc,$name]="$(median $(column 2 "$runs"))"
    CPU[$sc,$name]="$(median $(column 3 "$runs"))"
    P99[$sc,$name]="$(median $(column 4 "$runs"))"
    UTIL[$sc,$name]="$(median $(column 5 "$runs"))"
    RSS[$sc,$name]="$(awk -v k="$(hwm_kib $(descendants "${PIDS[$name]}"))" 'BEGIN { printf "%.1f", k / 1024 }')"
  done
  for name in $RUN_PEERS; do
    stop_pid "${PIDS[$name]}"
    forget "${PIDS[$name]}"
  done
done

# --- report ------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "—" }'; }
{
  echo "# Proxy benchmark results"
  echo
  echo "Generated by \`$INVOCATION\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo "Machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), Linux $(uname -r), $(go version | awk '{ print $3 }'), load generators with $(openssl version | awk '{ print $1, $2 }')."
  echo "Each figure is the median of $REPS run(s) of ${DUR} s after a ${WARM} s warm-up, $CONNS concurrent requests"
  echo "(64 in (e) and (f));"
  echo "proxy pinned to CPU $PROXY_CPU, load generator and backend (GOMAXPROCS 1) to CPU $LOAD_CPU. ×Go is the ratio"
  echo "to the plain Go \`httputil.ReverseProxy\` baseline in the same scenario (lower is better except for req/s)."
  [ -n "$SKIPPED" ] && echo && echo "**Not run:** $SKIPPED."
  echo
  echo "| scenario | proxy | req/s | ×Go | CPU µs/req | ×Go | p99 ms | ×Go | peak RSS MiB | ×Go | proxy CPU | other load |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for sc in $SCENARIOS; do
    for name in $RUN_PEERS; do
      b=goproxy
      printf '| %s | %s%s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s%% | %s%% |\n' "$(scenario_name "$sc")" "$name" "${NOTE[$sc,$name]}" \
        "${RPS[$sc,$name]}" "$(ratio "${RPS[$sc,$name]}" "${RPS[$sc,$b]}")" \
        "${CPU[$sc,$name]}" "$(ratio "${CPU[$sc,$name]}" "${CPU[$sc,$b]}")" \
        "${P99[$sc,$name]}" "$(ratio "${P99[$sc,$name]}" "${P99[$sc,$b]}")" \
        "${RSS[$sc,$name]}" "$(ratio "${RSS[$sc,$name]}" "${RSS[$sc,$b]}")" \
        "${UTIL[$sc,$name]}" "${OTHER[$sc,$name]}"
    done
  done
  echo
  echo "*proxy CPU*: the proxy's share of its CPU during the run (below 100%, CPU $LOAD_CPU (load generator and"
  echo "backend) was the bottleneck, and req/s and p99 say more about the client than the proxy). *other load*:"
  echo "CPU used by processes outside the benchmark during the run, in % of one CPU; runs above $MAX_FOREIGN% are"
  echo "repeated (up to $RETRIES times). † marks a row where that never succeeded: the least disturbed runs are shown."
  echo
  echo "| proxy | version | TLS (curl, HTTP/1.1) | listed headers | cookie hardened | other headers it adds |"
  echo "|---|---|---|---|---|---|"
  for name in $RUN_PEERS; do
    echo "| $name | $(version_of "$name") | ${CIPHER[$name]:-?} | all ${#HEADERS[@]} | ${COOKIE_STATE[$name]} | ${EXTRA[$name]:-none} |"
  done
} >"$TMP/results.md"
cp "$TMP/results.md" "$OUT"
cat "$OUT"
