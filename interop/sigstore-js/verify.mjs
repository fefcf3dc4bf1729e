// sigstore-js peer: verifies a Sigstore bundle offline with @sigstore/verify.
//
//   node verify.mjs BUNDLE ARTIFACT TRUSTED_ROOT [PUBLIC_KEY_PEM]
//
// With a public key, the key is trust material under the bundle's hint
// (a key-signed bundle); without one, the bundle's certificate must chain to
// the trusted root. Prints "OK" and exits 0, or prints the error and exits 1.
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const [bundlePath, artifactPath, rootPath, keyPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
  let keys;
  if (keyPath) {
    const publicKey = createPublicKey(readFileSync(keyPath));
    keys = () => ({ publicKey, validFor: () => true });
  }
  const material = toTrustMaterial(root, keys);
  const verifier = new Verifier(material, {
    tlogThreshold: 1,
    ctlogThreshold: keyPath ? 0 : 1,
    timestampThreshold: keyPath ? 0 : 1,
  });
  verifier.verify(toSignedEntity(bundle, readFileSync(artifactPath)));
  console.log('OK');
} catch (e) {
  console.log(`FAIL ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
