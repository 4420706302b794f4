#!/usr/bin/env bash
# Audit speed against testssl.sh: `portcullis serve` on 127.0.0.1 for the
# name audit.test (certificate from a throwaway CA made here, hardened
# policy), audited by `portcullis audit` (the whole review: redirects,
# headers, cookies, CORS, certificate, content, security.txt and the TLS
# enumeration) and by testssl.sh (TLS only) on the same listener. Prints the
# wall time of each.
#
#   bench/audit/run.sh          # ~3-6 minutes, most of it testssl.sh
#
# Installs testssl.sh with apt-get when missing (as root). Everything started
# here is stopped by PID on exit. Not part of the test suite (too long).
set -euo pipefail
cd "$(dirname "$0")/../.."
TIME_LIMIT="${TIME_LIMIT:-900}"
command -v testssl >/dev/null || command -v testssl.sh >/dev/null || \
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null; }
TESTSSL="$(command -v testssl || command -v testssl.sh)"

tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

go build -o "$tmp/portcullis" ./cmd/portcullis
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=bench CA" \
  -keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=audit.test" \
  -keyout "$tmp/key.pem" -out "$tmp/req.pem" 2>/dev/null
printf 'subjectAltName=DNS:audit.test\nextendedKeyUsage=serverAuth\n' > "$tmp/ext.cnf"
openssl x509 -req -in "$tmp/req.pem" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" -CAcreateserial \
  -days 20 -extfile "$tmp/ext.cnf" -out "$tmp/cert.pem" 2>/dev/null
chmod 600 "$tmp/key.pem"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HTTPS_PORT="$(port)"; HTTP_PORT="$(port)"
cat > "$tmp/portcullis.toml" <<TOML
[listen]
https = "127.0.0.1:$HTTPS_PORT"
http = "127.0.0.1:$HTTP_PORT"
admin = "off"

[access_log]
format = "off"

[[site]]
hosts = ["audit.test"]
upstream = "demo"
[site.cert]
source = "files"
cert = "$tmp/cert.pem"
key = "$tmp/key.pem"
[site.policy.hsts]
preload = true
[site.policy.csp]
policy = "strict"
[site.policy.security_txt]
contact = ["mailto:security@audit.test"]
TOML
"$tmp/portcullis" serve --config "$tmp/portcullis.toml" --data "$tmp/data" >"$tmp/serve.log" 2>&1 &
pids+=("$!")
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz" && break; sleep 0.1; done

echo "== portcullis audit (full review, TLS enumeration included)"
start=$(date +%s.%N)
timeout "$TIME_LIMIT" "$tmp/portcullis" audit --ca "$tmp/ca.pem" --http-port "$HTTP_PORT" \
  --resolve "audit.test:$HTTPS_PORT:127.0.0.1" --resolve "audit.test:$HTTP_PORT:127.0.0.1" \
  "https://audit.test:$HTTPS_PORT" | head -3
end=$(date +%s.%N)
printf 'portcullis audit: %.2f s\n' "$(echo "$end - $start" | bc)"

echo "== testssl.sh $("$TESTSSL" --version 2>/dev/null | grep -o 'testssl.sh *[0-9][^ ]*' | head -1) (TLS only, default checks)"
start=$(date +%s.%N)
timeout "$TIME_LIMIT" "$TESTSSL" --quiet --color 0 --warnings off --ip 127.0.0.1 \
  "https://audit.test:$HTTPS_PORT" >"$tmp/testssl.log" 2>&1 || true
end=$(date +%s.%N)
grep -E "Done|Overall Grade|SSLv3|TLS 1 |TLS 1.3" "$tmp/testssl.log" | head -6 || true
printf 'testssl.sh: %.2f s\n' "$(echo "$end - $start" | bc)"
