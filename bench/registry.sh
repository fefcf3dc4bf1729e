#!/usr/bin/env bash
# Registry benchmark (issue 4): `signet serve` on the embedded default
# (SQLite + local disk) side by side with the CNCF registry (Debian's
# docker-registry, filesystem storage) on this machine, in the same run.
#   - manifest GET (wrk) and HEAD (ab), 64 connections (signet with a bearer
#     token from /v2/token; docker-registry with no auth at all)
#     targets: >= 2x docker-registry requests/s, p99 <= 5 ms
#   - blob pull of a 1 GiB blob over loopback (curl); target >= 1.5 GB/s
#   - 1 GiB monolithic push (curl); target >= 500 MB/s
#   - peak resident memory of signet over the whole run; target <= 256 MiB
# Client and servers share this machine's cores. Exits non-zero when a
# target is missed. With BIG_FILE_GIB=N also streams an N GiB file into a
# generic repository and back (peak RSS then covers it).
# Usage: [BIG_FILE_GIB=10] bench/registry.sh [WRK_SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-10}
cd "$root"
for t in wrk ab curl docker-registry; do
  command -v "$t" >/dev/null || { echo "needs $t (apt install wrk apache2-utils curl docker-registry)"; exit 2; }
done
cargo build --release -j2 -p signet-cli --bins >&2
work=$(mktemp -d)
cleanup=("rm -rf $work")
trap 'for c in "${cleanup[@]}"; do eval "$c" 2>/dev/null || true; done' EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- servers
sport=$(freeport)
SIGNET_LOG_KEY_PASSWORD=bench ./target/release/signet serve --data-dir "$work/signet" \
  --listen "127.0.0.1:$sport" >"$work/signet.log" 2>&1 &
spid=$!
cleanup=("kill $spid" "${cleanup[@]}")
dport=$(freeport)
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/dreg
http:
  addr: 127.0.0.1:$dport
EOF
docker-registry serve "$work/registry.yml" >"$work/dreg.log" 2>&1 &
dpid=$!
cleanup=("kill $dpid" "${cleanup[@]}")
for _ in $(seq 200); do
  curl -s -o /dev/null "http://127.0.0.1:$sport/healthz" && curl -s -o /dev/null "http://127.0.0.1:$dport/v2/" && break
  sleep 0.1
done
token=$(cat "$work/signet/admin-token")
bearer=$(curl -sf -u "admin:$token" "http://127.0.0.1:$sport/v2/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
sauth=(-H "Authorization: Bearer $bearer")

# --- fixtures: a 1 GiB blob, a config, a manifest (the same bytes on both)
head -c 1073741824 /dev/urandom >"$work/big.bin"
big=sha256:$(sha256sum "$work/big.bin" | cut -d' ' -f1)
printf '{}' >"$work/config.json"
cfg=sha256:$(sha256sum "$work/config.json" | cut -d' ' -f1)
cat >"$work/manifest.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$cfg","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"$big","size":1073741824}]}
EOF

# Monolithic push: POST for a session, PUT ?digest= with the body; prints seconds.
push() { # base_url auth... -- file digest
  local base=$1; shift
  local auth=()
  while [ "$1" != "--" ]; do auth+=("$1"); shift; done
  shift
  local file=$1 digest=$2 loc
  loc=$(curl -sf -X POST "${auth[@]}" -D - -o /dev/null "$base/v2/bench/app/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:"{print $2}')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -sf -X PUT "${auth[@]}" -H 'Content-Type: application/octet-stream' -T "$file" \
    -o /dev/null -w '%{time_total}\n' "$loc${sep}digest=$digest"
}
surl="http://127.0.0.1:$sport"
durl="http://127.0.0.1:$dport"
sync
s_push=$(push "$surl" "${sauth[@]}" -- "$work/big.bin" "$big")
sync
d_push=$(push "$durl" -- "$work/big.bin" "$big")
push "$surl" "${sauth[@]}" -- "$work/config.json" "$cfg" >/dev/null
push "$durl" -- "$work/config.json" "$cfg" >/dev/null
mt=application/vnd.oci.image.manifest.v1+json
curl -sf -X PUT "${sauth[@]}" -H "Content-Type: $mt" --data-binary "@$work/manifest.json" "$surl/v2/bench/app/manifests/v1" -o /dev/null
curl -sf -X PUT -H "Content-Type: $mt" --data-binary "@$work/manifest.json" "$durl/v2/bench/app/manifests/v1" -o /dev/null

# --- blob pull (best of 3, the page cache warm for both)
pull() { # url auth...
  local url=$1; shift
  local best=0 s
  for _ in 1 2 3; do
    s=$(curl -sf "$@" -o /dev/null -w '%{speed_download}\n' "$url")
    best=$(python3 -c "print(max($best, $s))")
  done
  echo "$best"
}
s_pull=$(pull "$surl/v2/bench/app/blobs/$big" "${sauth[@]}")
d_pull=$(pull "$durl/v2/bench/app/blobs/$big")

# --- manifest GET / HEAD under wrk, 64 connections
# Debian's wrk 4.1 cannot parse HEAD responses (it waits for a body), so
# HEAD is measured with ab (apache2-utils, single-threaded, keep-alive).
run_wrk() { # url method [header]
  local url=$1 method=$2; shift 2
  if [ "$method" = HEAD ]; then
    ab -q -k -i -c 64 -t "$secs" -n 100000000 -H "Accept: application/vnd.oci.image.manifest.v1+json" "$@" "$url" >"$work/ab.out"
    if grep -qE "^(Non-2xx responses|Failed requests: +[1-9])" "$work/ab.out"; then echo "ab saw errors:" >&2; cat "$work/ab.out" >&2; exit 1; fi
    echo "$(awk '/Requests per second/{print $4}' "$work/ab.out") $(awk '$1=="99%"{print $2}' "$work/ab.out")ms"
    return
  fi
  local args=(-t2 -c64 "-d${secs}s" --latency -H "Accept: application/vnd.oci.image.manifest.v1+json")
  wrk "${args[@]}" "$@" "$url" >"$work/wrk.out"
  if grep -q "Non-2xx" "$work/wrk.out"; then echo "wrk saw errors:" >&2; cat "$work/wrk.out" >&2; exit 1; fi
  local rps p99
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.out")
  p99=$(awk '$1=="99%"{print $2}' "$work/wrk.out")
  echo "$rps $p99"
}
to_ms() { python3 -c "
import re,sys; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)',v); n=float(m.group(1))
print({'us':n/1000,'ms':n,'s':n*1000}[m.group(2)])" "$1"; }
read -r s_get s_get99 < <(run_wrk "$surl/v2/bench/app/manifests/v1" GET -H "Authorization: Bearer $bearer")
read -r d_get d_get99 < <(run_wrk "$durl/v2/bench/app/manifests/v1" GET)
read -r s_head s_head99 < <(run_wrk "$surl/v2/bench/app/manifests/v1" HEAD -H "Authorization: Bearer $bearer")
read -r d_head d_head99 < <(run_wrk "$durl/v2/bench/app/manifests/v1" HEAD)
# --- optional: a BIG_FILE_GIB file streamed into a generic repository and
# back (never in memory, never in /tmp), checksum checked both ways
big_line=""
if [ "${BIG_FILE_GIB:-0}" -gt 0 ]; then
  n=$((BIG_FILE_GIB * 1073741824))
  sum=$(head -c "$n" /dev/zero | sha256sum | cut -d' ' -f1)
  tmp_before=$(du -sk "${TMPDIR:-/tmp}" 2>/dev/null | cut -f1)
  t0=$(date +%s.%N)
  head -c "$n" /dev/zero | curl -sf -X PUT "${sauth[@]}" -H "X-Checksum-Sha256: $sum" -T - \
    "$surl/api/v1/repositories/bench/iso/files/big.iso" -o /dev/null
  t1=$(date +%s.%N)
  got=$(curl -sf "${sauth[@]}" "$surl/api/v1/repositories/bench/iso/files/big.iso" | sha256sum | cut -d' ' -f1)
  t2=$(date +%s.%N)
  tmp_after=$(du -sk "${TMPDIR:-/tmp}" 2>/dev/null | cut -f1)
  [ "$got" = "$sum" ] || { echo "the ${BIG_FILE_GIB} GiB file came back different"; exit 1; }
  big_line=$(python3 -c "print(f'${BIG_FILE_GIB} GiB file: up {$n/($t1-$t0)/1e6:.0f} MB/s, down+sha256 {$n/($t2-$t1)/1e6:.0f} MB/s, disk used beyond the stored copy {($tmp_after-$tmp_before)//1024 - $n//1048576} MiB')")
fi
rss_kib=$(awk '/VmHWM/{print $2}' "/proc/$spid/status")
d_rss_kib=$(awk '/VmHWM/{print $2}' "/proc/$dpid/status")

echo "raw: $s_get $s_get99 $d_get $d_get99 $s_head $s_head99 $d_head $d_head99 $s_pull $d_pull $s_push $d_push $rss_kib $d_rss_kib" >&2
[ -n "$big_line" ] && echo "$big_line"
python3 - "$s_get" "$s_get99" "$d_get" "$d_get99" "$s_head" "$s_head99" "$d_head" "$d_head99" \
  "$s_pull" "$d_pull" "$s_push" "$d_push" "$rss_kib" "$d_rss_kib" "$(to_ms "$s_get99")" "$(to_ms "$s_head99")" <<'EOF'
import sys
(s_get, s_get99, d_get, d_get99, s_head, s_head99, d_head, d_head99,
 s_pull, d_pull, s_push, d_push, rss, d_rss, g99, h99) = sys.argv[1:]
gib = 1073741824
rows = [
  ("manifest GET req/s (64 conns)", float(s_get), float(d_get), f"{s_get99} / {d_get99}"),
  ("manifest HEAD req/s (64, ab)", float(s_head), float(d_head), f"{s_head99} / {d_head99}"),
  ("blob pull GB/s (1 GiB)", float(s_pull) / 1e9, float(d_pull) / 1e9, ""),
  ("1 GiB push MB/s", gib / float(s_push) / 1e6, gib / float(d_push) / 1e6, ""),
  ("peak RSS MiB", int(rss) / 1024, int(d_rss) / 1024, ""),
]
print(f"{'':34} {'signet':>10} {'docker-registry':>16} {'ratio':>7}   p99 signet / docker-registry")
for name, s, d, extra in rows:
  print(f"{name:34} {s:10.1f} {d:16.1f} {s / d:7.2f}   {extra}")
fails = []
if float(s_get) < 2 * float(d_get): fails.append("manifest GET < 2x docker-registry")
if float(s_head) < 2 * float(d_head): fails.append("manifest HEAD < 2x docker-registry")
if float(g99) > 5 or float(h99) > 5: fails.append("manifest p99 > 5 ms")
if float(s_pull) < 1.5e9: fails.append("blob pull < 1.5 GB/s")
if gib / float(s_push) < 500e6: fails.append("1 GiB push < 500 MB/s")
if int(rss) > 256 * 1024: fails.append("RSS > 256 MiB")
print("targets:", "all met" if not fails else "MISSED: " + "; ".join(fails))
sys.exit(1 if fails else 0)
EOF
