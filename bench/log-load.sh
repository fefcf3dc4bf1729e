#!/usr/bin/env bash
# Transparency-log write benchmark (issue 3): `signet serve` on the embedded
# default (SQLite WAL synchronous=FULL + tiles fsynced on local disk) under
# CONCURRENCY writers for SECONDS; reports appends/s and submit-to-proof
# latency. Targets: >= 5,000 appends/s, p99 <= 1.5 s. Client and server share
# this machine's cores. Also reports inclusion-proof verifications/s.
# With LOG_BACKEND=postgres-s3 the server sequences in the local PostgreSQL
# (a fresh database) and writes tiles to an S3 server (moto from PyPI,
# started here); target there: >= 1,000 appends/s.
# Usage: [LOG_BACKEND=embedded|postgres-s3] bench/log-load.sh [SECONDS] [CONCURRENCY]
set -euo pipefail
backend=${LOG_BACKEND:-embedded}
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
conc=${2:-1536}
cd "$root"
cargo build --release -j2 -p signet-cli -p signet-server -p signet-tlog --bins --example log_load --example proof_speed >&2
# Proof verification on one core (target >= 100,000/s).
./target/release/examples/proof_speed 3
data=$(mktemp -d)
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(freeport)
cleanup=("rm -rf $data")
trap 'for c in "${cleanup[@]}"; do eval "$c" 2>/dev/null || true; done' EXIT
target=5000
if [ "$backend" = postgres-s3 ]; then
  target=1000
  db="signet_bench_$$"
  psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $db"
  cleanup=("psql postgres://postgres@127.0.0.1:5432/postgres -qc 'DROP DATABASE IF EXISTS $db WITH (FORCE)'" "${cleanup[@]}")
  s3port=$(freeport)
  moto_server -H 127.0.0.1 -p "$s3port" >"$data/moto.log" 2>&1 &
  cleanup=("kill $!" "${cleanup[@]}")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$s3port/" >/dev/null && break; sleep 0.2; done
  curl -sf -X PUT "http://127.0.0.1:$s3port/signet-bench" >/dev/null
  export SIGNET_LOG_DB="postgres://postgres@127.0.0.1:5432/$db" SIGNET_LOG_STORAGE=s3://signet-bench/log \
    SIGNET_S3_ENDPOINT="http://127.0.0.1:$s3port" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
fi
echo "backend: $backend"
SIGNET_LOG_KEY_PASSWORD=bench ./target/release/signet serve --data-dir "$data" --listen "127.0.0.1:$port" \
  --log-checkpoint-ms 100 2>"$data/server.log" &
pid=$!
cleanup=("kill $pid" "${cleanup[@]}")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/v1/log" >/dev/null && break; sleep 0.1; done
out=$(./target/release/examples/log_load "http://127.0.0.1:$port" "$seconds" "$conc")
echo "$out"
rss=$(ps -o rss= -p $pid)
echo "server RSS: $((rss / 1024)) MiB; data dir: $(du -sh "$data" | cut -f1)"
python3 - "$out" "$target" <<'PY'
import re, sys
m = re.search(r": (\d+)/s; p50 ([\d.]+)(\w+) p99 ([\d.]+)(\w+)", sys.argv[1])
rate, target = int(m.group(1)), int(sys.argv[2])
unit = {"ms": 1e-3, "s": 1.0, "µs": 1e-6, "ns": 1e-9}
p99 = float(m.group(4)) * unit[m.group(5)]
print(f"appends/s {rate} (target {target}), p99 {p99:.3f}s (target 1.5s)")
sys.exit(0 if rate >= target and p99 <= 1.5 else 1)
PY
