#!/usr/bin/env bash
# Artifacts overview benchmark (issue 7), release build, one machine:
#   - a repository with 10,000 images (pushed over the OCI API);
#   - GET /api/v1/repositories/bulk/app/artifacts?limit=50 (the web UI's
#     page request: listing, status and signer of each row): the first
#     page of a sort right after a push to the repository, then pages
#     further on asked at once, medians over one kept-alive connection;
#   - the same over 10,000 files in a generic repository (bulk/dist),
#     the first page after each put;
#   - beside it, the CNCF docker-registry's tag list page
#     (/v2/bulk/app/tags/list?n=50&last=…) over the same 10,000 tags,
#     which carries no status at all.
# Target: every median <= 50 ms. Exits non-zero when missed.
# Usage: bench/ui.sh [REQUESTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-40}
cd "$root"
for t in curl docker-registry python3; do
  command -v "$t" >/dev/null || { echo "needs $t (apt install curl docker-registry)"; exit 2; }
done
cargo build --release -j2 -p signet-cli --bins >&2
signet=$root/target/release/signet
work=$(mktemp -d)
cleanup=("rm -rf $work")
trap 'for c in "${cleanup[@]}"; do eval "$c" 2>/dev/null || true; done' EXIT
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sport=$(freeport)
SIGNET_LOG_KEY_PASSWORD=bench "$signet" serve --data-dir "$work/signet" \
  --listen "127.0.0.1:$sport" >"$work/signet.log" 2>&1 &
cleanup=("kill $!" "${cleanup[@]}")
dport=$(freeport)
cat >"$work/registry.yml" <<EOF2
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
EOF2
docker-registry serve "$work/registry.yml" >"$work/dreg.log" 2>&1 &
cleanup=("kill $!" "${cleanup[@]}")
for _ in $(seq 200); do
  curl -s -o /dev/null "http://127.0.0.1:$sport/healthz" && curl -s -o /dev/null "http://127.0.0.1:$dport/v2/" && break
  sleep 0.1
done
SIGNET_URL="http://127.0.0.1:$sport" DREG_URL="http://127.0.0.1:$dport" \
SIGNET_TOKEN=$(cat "$work/signet/admin-token") N="$n" python3 - <<'EOF'
import base64, hashlib, http.client, json, os, statistics, sys, threading, time, urllib.parse

signet = urllib.parse.urlparse(os.environ["SIGNET_URL"])
dreg = urllib.parse.urlparse(os.environ["DREG_URL"])
auth = {"Authorization": "Basic " + base64.b64encode(("admin:" + os.environ["SIGNET_TOKEN"]).encode()).decode()}
n = int(os.environ["N"])

def conn(u):
    return http.client.HTTPConnection(u.hostname, u.port)

def req(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:200]!r}")
    return data

def seed(u, headers):
    c = conn(u)
    cfg, layer = b"{}", b"shared layer"
    for b in (cfg, layer):
        d = "sha256:" + hashlib.sha256(b).hexdigest()
        # The two-step upload both registries take: POST, then PUT ?digest=.
        c.request("POST", "/v2/bulk/app/blobs/uploads/", headers=headers)
        r = c.getresponse()
        r.read()
        loc = urllib.parse.urlparse(r.getheader("Location"))
        sep = "&" if loc.query else "?"
        path = loc.path + (("?" + loc.query) if loc.query else "")
        req(c, "PUT", f"{path}{sep}digest={d}", b, {**headers, "Content-Type": "application/octet-stream"})
    errors = []
    def push(w):
        try:
            c = conn(u)
            for i in range(w, 10000, 4):
                m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": 2},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + hashlib.sha256(layer).hexdigest(), "size": 12}],
                    "annotations": {"n": str(i)}}).encode()
                req(c, "PUT", f"/v2/bulk/app/manifests/v{i:05d}", m,
                    {**headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        except BaseException as e:
            errors.append(repr(e))
    ts = [threading.Thread(target=push, args=(w,)) for w in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    if errors:
        sys.exit(f"seeding {u.netloc}: {errors[0]}")

t0 = time.time()
seed(signet, auth)
seed(dreg, {})
print(f"seeded 10,000 images in each registry in {time.time() - t0:.1f} s", file=sys.stderr)
# Let the 10,000 custody events reach the log (the server is idle again).
c = conn(signet)
while json.loads(req(c, "GET", "/api/v1/log"))["treeSize"] < 10000:
    time.sleep(0.25)

def timed(c, path, headers):
    t = time.perf_counter()
    req(c, "GET", path, None, headers)
    return (time.perf_counter() - t) * 1000

first, pages = [], []
c = conn(signet)
sorts = ["sort=pushed", "sort=name", "sort=digest", "sort=size&order=desc"]
for k in range(n):
    # Each round changes the repository first (a push), then asks for the
    # first page of a sort and, at once, pages further on.
    req(c, "PUT", f"/v2/bulk/app/manifests/extra{k}", json.dumps({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(), "size": 2},
        "layers": [], "annotations": {"extra": str(k)}}).encode(),
        {**auth, "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    s = sorts[k % len(sorts)]
    first.append(timed(c, f"/api/v1/repositories/bulk/app/artifacts?{s}&limit=50", auth))
    for off in (50, 2500, 5000, 9950):
        pages.append(timed(c, f"/api/v1/repositories/bulk/app/artifacts?{s}&limit=50&offset={off}", auth))
# 10,000 files in a generic repository, paged the same way after a put.
errors = []
def put_files(w):
    try:
        fc = conn(signet)
        for i in range(w, 10000, 4):
            req(fc, "PUT", f"/api/v1/repositories/bulk/dist/files/f{i:05d}.tar", f"file {i}".encode(),
                {**auth, "Content-Type": "application/octet-stream"})
    except BaseException as e:
        errors.append(repr(e))
ts = [threading.Thread(target=put_files, args=(w,)) for w in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
if errors:
    sys.exit(f"seeding files: {errors[0]}")
files_first, files_pages = [], []
for k in range(n):
    req(c, "PUT", f"/api/v1/repositories/bulk/dist/files/extra{k}.tar", b"extra",
        {**auth, "Content-Type": "application/octet-stream"})
    s = sorts[k % len(sorts)]
    files_first.append(timed(c, f"/api/v1/repositories/bulk/dist/artifacts?{s}&limit=50", auth))
    for off in (50, 2500, 5000, 9950):
        files_pages.append(timed(c, f"/api/v1/repositories/bulk/dist/artifacts?{s}&limit=50&offset={off}", auth))
d = conn(dreg)
peer = [timed(d, f"/v2/bulk/app/tags/list?n=50&last=v{(k * 997) % 9950:05d}", {}) for k in range(n * 4)]
med = statistics.median
p = lambda xs, q: sorted(xs)[int(q * (len(xs) - 1))]
print(f"artifacts page, first after a push: median {med(first):.2f} ms, p95 {p(first, .95):.2f} ms ({len(first)} requests)")
print(f"artifacts page, further pages: median {med(pages):.2f} ms, p95 {p(pages, .95):.2f} ms ({len(pages)} requests)")
print(f"files page (10,000 files), first after a put: median {med(files_first):.2f} ms, p95 {p(files_first, .95):.2f} ms")
print(f"files page (10,000 files), further pages: median {med(files_pages):.2f} ms, p95 {p(files_pages, .95):.2f} ms")
print(f"docker-registry tags/list page: median {med(peer):.2f} ms, p95 {p(peer, .95):.2f} ms")
print(f"ratio first/peer {med(first) / med(peer):.2f}, pages/peer {med(pages) / med(peer):.2f}")
if max(med(first), med(pages), med(files_first), med(files_pages)) > 50:
    sys.exit("a median over 50 ms")
EOF
