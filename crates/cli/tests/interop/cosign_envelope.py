#!/usr/bin/env python3
"""An independent implementation of cosign's encrypted private key envelope,
written from the format description (go-securesystemslib `encrypted`):
scrypt(password, salt, N, r=8, p=1) -> 32-byte key, nacl/secretbox over the
PKCS#8 DER, JSON document as the PEM body. Uses only PyNaCl and hashlib.

  cosign_envelope.py decrypt KEY.pem PASSWORD OUT.der
  cosign_envelope.py encrypt IN.der PASSWORD OUT.pem LOG2N LABEL
"""
import base64
import hashlib
import json
import os
import sys

import nacl.secret


def kdf(password: bytes, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=8, p=1, maxmem=512 * 1024 * 1024, dklen=32)


def decrypt(path, password, out):
    lines = open(path).read().strip().splitlines()
    assert lines[0] in ("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----",
                        "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----"), lines[0]
    doc = json.loads(base64.b64decode("".join(lines[1:-1])))
    assert doc["kdf"]["name"] == "scrypt"
    assert doc["cipher"]["name"] == "nacl/secretbox"
    params = doc["kdf"]["params"]
    assert (params["r"], params["p"]) == (8, 1)
    key = kdf(password.encode(), base64.b64decode(doc["kdf"]["salt"]), params["N"])
    box = nacl.secret.SecretBox(key)
    der = box.decrypt(base64.b64decode(doc["ciphertext"]), base64.b64decode(doc["cipher"]["nonce"]))
    open(out, "wb").write(der)
    print(json.dumps({"N": params["N"], "label": lines[0]}))


def encrypt(der_path, password, out, log2n, label):
    der = open(der_path, "rb").read()
    salt = os.urandom(32)
    nonce = os.urandom(24)
    n = 1 << int(log2n)
    key = kdf(password.encode(), salt, n)
    sealed = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
    doc = {
        "kdf": {"name": "scrypt", "params": {"N": n, "r": 8, "p": 1},
                "salt": base64.b64encode(salt).decode()},
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    body = base64.b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode()
    pem = f"-----BEGIN {label}-----\n"
    pem += "".join(body[i:i + 64] + "\n" for i in range(0, len(body), 64))
    pem += f"-----END {label}-----\n"
    open(out, "w").write(pem)


if __name__ == "__main__":
    if sys.argv[1] == "decrypt":
        decrypt(*sys.argv[2:5])
    elif sys.argv[1] == "encrypt":
        encrypt(*sys.argv[2:7])
    else:
        sys.exit("usage: decrypt|encrypt ...")
