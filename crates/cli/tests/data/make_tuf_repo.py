# Builds a one-key TUF repository (consistent snapshots, as Sigstore's CDN)
# serving one target, trusted_root.json, with the reference python-tuf
# Metadata API: make_tuf_repo.py OUT_DIR TARGET_FILE [EXPIRES_IN_DAYS]
import json, os, sys, hashlib
from datetime import datetime, timedelta, timezone
from tuf.api.metadata import Metadata, Root, Targets, Snapshot, Timestamp, TargetFile, MetaFile
from tuf.api.serialization.json import JSONSerializer
from securesystemslib.signer import CryptoSigner

out, target_src = sys.argv[1], sys.argv[2]
expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=int(sys.argv[3]) if len(sys.argv) > 3 else 30)
signer = CryptoSigner.generate_ecdsa()
os.makedirs(f"{out}/targets", exist_ok=True)
root = Metadata(Root(expires=expires, consistent_snapshot=True))
for role in ["root", "targets", "snapshot", "timestamp"]:
    root.signed.add_key(signer.public_key, role)
data = open(target_src, "rb").read()
tf = TargetFile.from_data("trusted_root.json", data, ["sha256"])
targets = Metadata(Targets(expires=expires))
targets.signed.targets["trusted_root.json"] = tf
open(f"{out}/targets/{tf.hashes['sha256']}.trusted_root.json", "wb").write(data)
snapshot = Metadata(Snapshot(expires=expires))
snapshot.signed.meta["targets.json"] = MetaFile(version=1)
timestamp = Metadata(Timestamp(expires=expires))
timestamp.signed.snapshot_meta = MetaFile(version=1)
ser = JSONSerializer(compact=False)
for md, name in [(root, "1.root.json"), (targets, "1.targets.json"), (snapshot, "1.snapshot.json"), (timestamp, "timestamp.json")]:
    md.sign(signer)
    md.to_file(f"{out}/{name}", ser)
