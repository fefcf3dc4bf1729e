#!/usr/bin/env bash
# Keyless bundle verification as whole processes (issue 9): `signet
# verify-blob` of a keyless v0.3 bundle (Fulcio chain, embedded SCT, Rekor v2
# inclusion proof and checkpoint, RFC 3161 timestamp), offline, beside the
# same verification by sigstore-python (PyPI `sigstore`, `verify identity
# --offline`) and sigstore-js (`@sigstore/verify` under node) in the same
# run. Target: signet <= 30 ms per process. Reports the median of RUNS
# (default 21) and the ratios. Usage: bench/keyless.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-21}
cd "$root"
cargo build --release -j2 -p signet-cli --bins >&2
bin=$root/target/release/signet
case=../shared/vectors/sigstore-conformance/assets/bundle-verify
bundle=$case/rekor2-happy-path/bundle.sigstore.json
trust=$case/rekor2-happy-path/trusted_root.json
artifact=$case/a.txt
id=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
iss=https://token.actions.githubusercontent.com
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$trust" ../shared/vectors/trust-roots/public-good/signing_config.v0.2.json "$work/cfg.json" <<'PY'
import json, sys
json.dump({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
           "trustedRoot": json.load(open(sys.argv[1])), "signingConfig": json.load(open(sys.argv[2]))},
          open(sys.argv[3], "w"))
PY
median_ms() { # command...
  local times=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; exit 1; }; e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { printf "%.1f", $1 / 1000 }'
}
ours=$(median_ms "$bin" verify-blob --bundle "$bundle" --trusted-root "$trust" \
  --certificate-identity "$id" --certificate-oidc-issuer "$iss" "$artifact")
echo "signet verify-blob (keyless v0.3, chain+SCT+Rekor v2+TSA): ${ours} ms"
py=n/a; js=n/a
if python3 -c 'import sigstore' 2>/dev/null; then
  py=$(median_ms python3 -m sigstore --trust-config "$work/cfg.json" verify identity --offline \
    --bundle "$bundle" --cert-identity "$id" --cert-oidc-issuer "$iss" "$artifact")
  echo "sigstore-python verify identity --offline:              ${py} ms  (signet is $(awk -v a="$py" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')x faster)"
fi
if [ -d interop/sigstore-js/node_modules/@sigstore/verify ]; then
  js=$(median_ms node interop/sigstore-js/verify.mjs "$bundle" "$artifact" "$trust")
  echo "sigstore-js (@sigstore/verify, node):                   ${js} ms  (signet is $(awk -v a="$js" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')x faster)"
fi
awk -v o="$ours" 'BEGIN { exit !(o <= 30) }' || { echo "target missed: ${ours} ms > 30 ms"; exit 1; }
echo "target met: <= 30 ms"
