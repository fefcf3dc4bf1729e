//! Alpine APK v2 packages: concatenated gzip members, each a tar stream
//! without its end-of-archive blocks. The optional first member holds the
//! signature (`.SIGN.RSA.<key>.rsa.pub`, PKCS#1 v1.5 over SHA-1, or
//! `.SIGN.RSA256.<key>.rsa.pub`, over SHA-256) of the *compressed* bytes of
//! the next member, the control segment (`.PKGINFO`, whose `datahash` is
//! the SHA-256 of the compressed data segment that follows).
//!
//! [`read_prefix`] parses the signature and control members from the start
//! of a file; the data segment is left to the caller to stream.

use std::io::{Read, Write};

use crate::{Malformed, malformed};

const WHAT: &str = "APK package";
/// Most bytes of a file's start read to find the signature and control
/// members (control segments are a few KiB).
pub const MAX_PREFIX: usize = 8 << 20;
/// Largest decompressed signature or control member.
const MAX_MEMBER: u64 = 16 << 20;

/// The digest an APK signature is made over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigHash {
    /// `.SIGN.RSA.` (abuild's default; SHA-1).
    Sha1,
    /// `.SIGN.RSA256.` (apk-tools 2.12 and later).
    Sha256,
}

/// One signature of the control segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The key's file name (`builder-5f3a.rsa.pub`), what apk looks up
    /// in `/etc/apk/keys`.
    pub key_name: String,
    /// Its digest.
    pub hash: SigHash,
    /// The RSA signature.
    pub bytes: Vec<u8>,
}

/// The start of a package.
#[derive(Debug, Clone)]
pub struct Prefix {
    /// Its signatures (empty when unsigned).
    pub signatures: Vec<Signature>,
    /// The control member's compressed bytes (what is signed).
    pub control: Vec<u8>,
    /// `.PKGINFO`'s fields, in order.
    pub pkginfo: Vec<(String, String)>,
    /// Where the data segment starts in the file.
    pub data_offset: u64,
}

impl Prefix {
    /// A `.PKGINFO` field.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.pkginfo
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A tar entry's name and bytes.
type TarEntry = (String, Vec<u8>);

/// One gzip member at the start of `buf`: its tar entries (name, bytes)
/// and how many compressed bytes it took.
fn member(buf: &[u8], which: &str) -> Result<(Vec<TarEntry>, usize), Malformed> {
    let mut dec = flate2::bufread::GzDecoder::new(buf);
    let mut plain = Vec::new();
    (&mut dec)
        .take(MAX_MEMBER + 1)
        .read_to_end(&mut plain)
        .map_err(|e| malformed(WHAT, format!("the {which} is not gzip data: {e}")))?;
    if plain.len() as u64 > MAX_MEMBER {
        return Err(malformed(
            WHAT,
            format!("the {which} decompresses to over {MAX_MEMBER} bytes"),
        ));
    }
    let rest: &[u8] = dec.into_inner();
    let used = buf.len() - rest.len();
    let mut entries = Vec::new();
    let mut ar = tar::Archive::new(&plain[..]);
    let iter = ar
        .entries()
        .map_err(|e| malformed(WHAT, format!("the {which} is not a tar stream: {e}")))?;
    for e in iter {
        let mut e = e.map_err(|e| malformed(WHAT, format!("the {which}'s tar stream: {e}")))?;
        let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes)
            .map_err(|err| malformed(WHAT, format!("the {which}'s entry {name}: {err}")))?;
        entries.push((name, bytes));
    }
    Ok((entries, used))
}

fn parse_signature(name: &str, bytes: Vec<u8>) -> Option<Signature> {
    let rest = name.strip_prefix(".SIGN.")?;
    let (hash, key) = if let Some(k) = rest.strip_prefix("RSA256.") {
        (SigHash::Sha256, k)
    } else if let Some(k) = rest.strip_prefix("RSA.") {
        (SigHash::Sha1, k)
    } else {
        return None;
    };
    Some(Signature {
        key_name: key.to_owned(),
        hash,
        bytes,
    })
}

/// Parses the signature and control members from `buf`, the first bytes of
/// a package (at most [`MAX_PREFIX`]; all of it when smaller).
pub fn read_prefix(buf: &[u8]) -> Result<Prefix, Malformed> {
    if buf.len() < 18 || buf[..2] != [0x1f, 0x8b] {
        return Err(malformed(
            WHAT,
            "it does not start with a gzip member (not an APK?)",
        ));
    }
    let (first, used) = member(buf, "first segment")?;
    let mut signatures = Vec::new();
    let (control_at, entries, control_len) = if first.iter().any(|(n, _)| n.starts_with(".SIGN.")) {
        for (n, b) in first {
            match parse_signature(&n, b) {
                Some(s) => signatures.push(s),
                None => {
                    return Err(malformed(
                        WHAT,
                        format!("unknown signature entry {n:?} (RSA and RSA256 are read)"),
                    ));
                }
            }
        }
        let rest = &buf[used..];
        if rest.is_empty() {
            return Err(malformed(WHAT, "truncated after the signature segment"));
        }
        let (entries, len) = member(rest, "control segment")?;
        (used, entries, len)
    } else {
        (0, first, used)
    };
    let pkginfo = entries
        .iter()
        .find(|(n, _)| n == ".PKGINFO")
        .ok_or_else(|| malformed(WHAT, "the control segment has no .PKGINFO"))?;
    let text = String::from_utf8_lossy(&pkginfo.1);
    let fields = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Prefix {
        signatures,
        control: buf[control_at..control_at + control_len].to_vec(),
        pkginfo: fields,
        data_offset: (control_at + control_len) as u64,
    })
}

/// The signature member for `signature` by key `key_name` (the public key's
/// file name): one tar entry `.SIGN.RSA256.<key_name>` (or `.SIGN.RSA.`),
/// no end-of-archive blocks, gzip-compressed.
pub fn signature_member(
    hash: SigHash,
    key_name: &str,
    signature: &[u8],
) -> Result<Vec<u8>, Malformed> {
    if key_name.is_empty() || key_name.contains(['/', '\0']) || key_name.len() > 80 {
        return Err(malformed(
            WHAT,
            format!("key name {key_name:?} is not a file name"),
        ));
    }
    let name = match hash {
        SigHash::Sha1 => format!(".SIGN.RSA.{key_name}"),
        SigHash::Sha256 => format!(".SIGN.RSA256.{key_name}"),
    };
    let mut h = tar::Header::new_ustar();
    h.set_path(&name)
        .map_err(|e| malformed(WHAT, format!("signature entry name: {e}")))?;
    h.set_size(signature.len() as u64);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut plain = h.as_bytes().to_vec();
    plain.extend_from_slice(signature);
    plain.resize(plain.len().div_ceil(512) * 512, 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&plain)
        .and_then(|_| gz.finish())
        .map_err(|e| malformed(WHAT, format!("compressing the signature: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut plain = Vec::new();
        for (n, b) in entries {
            let mut h = tar::Header::new_ustar();
            h.set_path(n).unwrap();
            h.set_size(b.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            plain.extend_from_slice(h.as_bytes());
            plain.extend_from_slice(b);
            plain.resize(plain.len().div_ceil(512) * 512, 0);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&plain).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn unsigned_and_signed_packages_split() {
        let control = gz_tar(&[(
            ".PKGINFO",
            b"# generated\npkgname = hello\ndatahash = abcd\n",
        )]);
        let data = gz_tar(&[("usr/share/hello", b"hi\n")]);
        let mut pkg = control.clone();
        pkg.extend_from_slice(&data);
        let p = read_prefix(&pkg).unwrap();
        assert!(p.signatures.is_empty());
        assert_eq!(p.control, control);
        assert_eq!(p.field("pkgname"), Some("hello"));
        assert_eq!(p.field("datahash"), Some("abcd"));
        assert_eq!(p.data_offset as usize, control.len());

        let sig = signature_member(SigHash::Sha256, "k.rsa.pub", b"SIGBYTES").unwrap();
        let mut signed = sig.clone();
        signed.extend_from_slice(&pkg);
        let q = read_prefix(&signed).unwrap();
        assert_eq!(q.signatures.len(), 1);
        assert_eq!(q.signatures[0].key_name, "k.rsa.pub");
        assert_eq!(q.signatures[0].hash, SigHash::Sha256);
        assert_eq!(q.signatures[0].bytes, b"SIGBYTES");
        assert_eq!(q.control, control);
        assert_eq!(q.data_offset as usize, sig.len() + control.len());
        assert_eq!(&signed[q.data_offset as usize..], &data[..]);
    }

    #[test]
    fn junk_is_an_error() {
        assert!(read_prefix(b"").is_err());
        assert!(read_prefix(b"PK\x03\x04 not gzip at all, a zip").is_err());
        let control = gz_tar(&[("x", b"no pkginfo")]);
        assert!(read_prefix(&control).is_err());
        let sig = signature_member(SigHash::Sha1, "k.rsa.pub", b"S").unwrap();
        assert!(read_prefix(&sig).is_err(), "signature only");
        let mut cut = sig.clone();
        cut.extend_from_slice(&control[..control.len() / 2]);
        assert!(read_prefix(&cut).is_err());
        assert!(signature_member(SigHash::Sha1, "a/b", b"S").is_err());
    }
}
