// Verifies a custody record in the browser, independently of the server's
// own checks: each event is re-encoded into the log entry body the server
// logged (signet-custody/0.0.1), hashed as an RFC 6962 leaf, walked up its
// inclusion proof (RFC 9162 §2.1.3.2) to a root, and that root must be the
// one in the checkpoint, whose ECDSA P-256 signature must verify with the
// log's public key (WebCrypto).

const enc = new TextEncoder();

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(s) {
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new Error(`not hex: ${s.slice(0, 16)}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function b64decode(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// serde_json's canonical form of a value: object keys sorted, no spaces.
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// The log entry body of an event, byte for byte as the server builds it.
export async function leafBody(ev) {
  const details = hex(await sha256(enc.encode(canonical(ev.details))));
  const body = {
    kind: 'signet-custody',
    apiVersion: '0.0.1',
    spec: {
      id: ev.id,
      time_ms: ev.time_ms,
      actor: ev.actor,
      action: ev.action,
      repository: ev.repository,
      subject: ev.subject,
      outcome: ev.outcome,
      details_sha256: details,
    },
  };
  return enc.encode(JSON.stringify(body));
}

export async function leafHash(body) {
  return sha256(concat(Uint8Array.of(0), body));
}

async function node(l, r) {
  return sha256(concat(Uint8Array.of(1), l, r));
}

// RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or an error.
export async function rootFromInclusion(index, size, leaf, proof) {
  if (!(index < size)) throw new Error(`index ${index} is outside a tree of ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error('the proof is longer than the tree allows');
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('the proof is shorter than the tree needs');
  return r;
}

// A signed note: its text, origin, size, root and signature lines.
export function parseCheckpoint(note) {
  const cut = note.indexOf('\n\n');
  if (cut < 0) throw new Error('the checkpoint has no signature block');
  const text = note.slice(0, cut + 1);
  const [origin, size, root] = text.split('\n');
  if (!/^\d+$/.test(size)) throw new Error('the checkpoint size is not a number');
  const sigs = note
    .slice(cut + 2)
    .split('\n')
    .filter((l) => l.startsWith('\u2014 '))
    .map((l) => {
      const [, name, b64] = l.split(' ');
      const raw = b64decode(b64);
      return { name, keyId: raw.slice(0, 4), sig: raw.slice(4) };
    });
  return { text, origin, size: Number(size), root: b64decode(root), sigs };
}

function pemToDer(pem) {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return b64decode(b64);
}

// ASN.1 DER ECDSA-Sig-Value to the fixed r‖s WebCrypto wants.
export function derToRaw(der, n = 32) {
  let i = 0;
  const expect = (t) => {
    if (der[i++] !== t) throw new Error('malformed ECDSA signature');
  };
  const len = () => {
    let l = der[i++];
    if (l & 0x80) {
      let k = l & 0x7f;
      l = 0;
      while (k--) l = (l << 8) | der[i++];
    }
    return l;
  };
  expect(0x30);
  len();
  const ints = [];
  for (let j = 0; j < 2; j++) {
    expect(0x02);
    const l = len();
    let v = der.slice(i, i + l);
    i += l;
    while (v.length > n && v[0] === 0) v = v.slice(1);
    if (v.length > n) throw new Error('malformed ECDSA signature');
    ints.push(concat(new Uint8Array(n - v.length), v));
  }
  return concat(ints[0], ints[1]);
}

// Whether some signature line on the checkpoint verifies with the log's
// ECDSA P-256 key (PEM).
export async function checkpointSigned(cp, pem) {
  const spki = pemToDer(pem);
  const keyId = (await sha256(spki)).slice(0, 4);
  const key = await crypto.subtle.importKey(
    'spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'],
  );
  for (const s of cp.sigs) {
    if (hex(s.keyId) !== hex(keyId)) continue;
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' }, key, derToRaw(s.sig), enc.encode(cp.text),
    );
    if (ok) return true;
  }
  return false;
}

// Verifies a whole custody record: returns one result per event
// ({ok, detail}) and whether the checkpoint is signed by the log key.
export async function verifyRecord(record, logKeyPem) {
  const cp = parseCheckpoint(record.checkpoint);
  const signed = await checkpointSigned(cp, logKeyPem);
  const results = [];
  for (const ev of record.events) {
    if (!ev.log_entry) {
      results.push({ id: ev.id, ok: null, detail: 'not in the log yet' });
      continue;
    }
    try {
      const leaf = await leafHash(await leafBody(ev));
      const proof = ev.log_entry.inclusion_proof.map(unhex);
      const root = await rootFromInclusion(ev.log_entry.index, cp.size, leaf, proof);
      const ok = hex(root) === hex(cp.root);
      results.push({
        id: ev.id,
        ok,
        detail: ok
          ? `entry ${ev.log_entry.index} is in the tree of ${cp.size}`
          : `entry ${ev.log_entry.index} does not lead to the checkpoint root: the record was altered`,
      });
    } catch (e) {
      results.push({ id: ev.id, ok: false, detail: String(e.message || e) });
    }
  }
  return { signed, origin: cp.origin, size: cp.size, results };
}
