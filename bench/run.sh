#!/usr/bin/env bash
# Benchmarks for issue 2, each against its peer in the same run:
#   1. one 2 GiB file: signet verify-blob vs openssl dgst -sha256 -verify
#      (time ratio, and signet's peak RSS)
#   2. signet verify-dir vs a shell loop of openssl calls, on three folders
#   3. ECDSA P-256 verifications/s vs openssl speed ecdsap256
# Needs: openssl, hyperfine, python3 (apt-get install hyperfine).
# Usage: bench/run.sh [OUT_DIR]   (default bench/out; about 4 GiB of files)
# Thresholds (issue 2): verify-blob <= 1.05x openssl and RSS <= 32 MiB;
# verify-dir >= 20x / 8x / 1.7x faster; ECDSA verify >= 0.9x openssl.
# Exits non-zero when a threshold is missed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/bench/out}
mkdir -p "$out"
cd "$root"
cargo build --release -j2 -p signet-cli -p signet-crypto --bins --example ecdsa_speed >&2
signet=$root/target/release/signet
speed=$root/target/release/examples/ecdsa_speed
cd "$out"

# A plain PKCS#8 key from openssl, so the fixtures are signed by the peer.
[ -f key.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem
openssl pkey -in key.pem -pubout -out pub.pem

fail=0
results=$out/results.md
echo "# signet benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)" > "$results"

# 1. One 2 GiB file.
if [ ! -f big.bin ] || [ "$(stat -c %s big.bin)" != 2147483648 ]; then
  head -c 2147483648 /dev/urandom > big.bin
fi
openssl dgst -sha256 -sign key.pem -out big.sig.bin big.bin
hyperfine -N --warmup 1 --runs 5 --export-json big.json \
  "openssl dgst -sha256 -verify pub.pem -signature big.sig.bin big.bin" \
  "$signet verify-blob --key pub.pem --signature big.sig.bin big.bin" >&2
rss_kib=$(python3 - "$signet" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "verify-blob", "--key", "pub.pem", "--signature", "big.sig.bin", "big.bin"],
               check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
read -r t_ossl t_signet < <(python3 -c '
import json; r=json.load(open("big.json"))["results"]; print(r[0]["mean"], r[1]["mean"])')
ratio=$(python3 -c "print(f'{$t_signet/$t_ossl:.3f}')")
rss_mib=$(python3 -c "print(f'{$rss_kib/1024:.1f}')")
{
  echo
  echo "## verify-blob, one 2 GiB file (hyperfine, 5 runs, warm cache)"
  echo "| command | mean s |"
  echo "|---|---|"
  echo "| openssl dgst -sha256 -verify | $t_ossl |"
  echo "| signet verify-blob | $t_signet |"
  echo
  echo "ratio signet/openssl: **$ratio** (limit 1.05); signet peak RSS: **$rss_mib MiB** (limit 32)"
} >> "$results"
python3 -c "import sys; sys.exit(0 if $t_signet <= 1.05*$t_ossl else 1)" || { echo "FAIL: verify-blob ratio $ratio" >&2; fail=1; }
python3 -c "import sys; sys.exit(0 if $rss_kib <= 32*1024 else 1)" || { echo "FAIL: RSS $rss_mib MiB" >&2; fail=1; }

# 2. Folders.
make_folder() { # name count size
  local d=$1 n=$2 size=$3
  if [ -f "$d/.complete" ]; then return; fi
  rm -rf "$d"; mkdir -p "$d"
  for i in $(seq -w 1 "$n"); do
    head -c "$size" /dev/urandom > "$d/pkg-$i.zst"
    openssl dgst -sha256 -sign key.pem -out "$d/pkg-$i.sig.bin" "$d/pkg-$i.zst"
  done
  touch "$d/.complete"
}
cat > loop.sh <<'SH'
#!/usr/bin/env bash
# The shell loop users run today: one openssl per file, nothing else forked.
for sig in "$1"/*.sig.bin; do
  f="${sig%.sig.bin}.zst"
  if openssl dgst -sha256 -verify pub.pem -signature "$sig" "$f" >/dev/null 2>&1; then
    echo "${f##*/}: ✅ Signature valid"
  else
    echo "${f##*/}: ❌ Signature invalid"
  fi
done
SH
chmod +x loop.sh
{
  echo
  echo "## verify-dir vs the shell loop of openssl calls (hyperfine, $(nproc) cores)"
  echo "| folder | loop s | signet s | speed-up | required |"
  echo "|---|---|---|---|---|"
} >> "$results"
for spec in "small 2000 4096 20" "medium 500 1048576 8" "large 4 268435456 1.7"; do
  read -r name n size need <<< "$spec"
  make_folder "$name" "$n" "$size"
  runs=5; [ "$name" = small ] && runs=3
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$name.json" \
    "bash loop.sh $name" \
    "$signet verify-dir $name --key pub.pem" >&2
  read -r t_loop t_dir < <(python3 -c "
import json; r=json.load(open('$name.json'))['results']; print(r[0]['mean'], r[1]['mean'])")
  speedup=$(python3 -c "print(f'{$t_loop/$t_dir:.1f}')")
  echo "| $n x $size B | $t_loop | $t_dir | **${speedup}x** | ${need}x |" >> "$results"
  python3 -c "import sys; sys.exit(0 if $t_loop/$t_dir >= $need else 1)" || { echo "FAIL: verify-dir $name ${speedup}x < ${need}x" >&2; fail=1; }
done

# 3. ECDSA P-256 verifications per second.
ossl=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $NF}' | tail -1)
ours=$("$speed" 3 | awk '/verify/ {print $2}')
ratio=$(python3 -c "print(f'{$ours/$ossl:.3f}')")
{
  echo
  echo "## ECDSA P-256 verify/s"
  echo "openssl speed ecdsap256: $ossl; signet (aws-lc-rs, PublicKey::verify over a digest): $ours; ratio **$ratio** (limit 0.9)"
} >> "$results"
python3 -c "import sys; sys.exit(0 if $ours >= 0.9*$ossl else 1)" || { echo "FAIL: ecdsa ratio $ratio" >&2; fail=1; }

cat "$results"
exit $fail
