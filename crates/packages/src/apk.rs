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
    /// For a signed index (`APKINDEX.tar.gz`), its `APKINDEX` text.
    pub index: Option<String>,
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
    // A package's control segment has .PKGINFO; an index's, APKINDEX.
    let index = entries.iter().any(|(n, _)| n == "APKINDEX");
    let pkginfo = match entries.iter().find(|(n, _)| n == ".PKGINFO") {
        Some(p) => p.1.clone(),
        None if index => Vec::new(),
        None => return Err(malformed(WHAT, "the control segment has no .PKGINFO")),
    };
    let text = String::from_utf8_lossy(&pkginfo);
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
        index: entries
            .into_iter()
            .find(|(n, _)| n == "APKINDEX")
            .map(|(_, b)| String::from_utf8_lossy(&b).into_owned()),
    })
}

impl Prefix {
    /// This package's stanza of an `APKINDEX` (fields from `.PKGINFO`;
    /// `C:` is `Q1` and the base64 SHA-1 of the control segment, what apk
    /// checks a downloaded package against), given the file's size and
    /// `control_sha1`.
    pub fn index_entry(&self, file_size: u64, control_sha1: &[u8; 20]) -> String {
        let mut out = format!("C:Q1{}\n", base64_std(control_sha1));
        let one = |k: &str| self.field(k).map(str::to_owned);
        let all = |k: &str| {
            let v: Vec<&str> = self
                .pkginfo
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect();
            (!v.is_empty()).then(|| v.join(" "))
        };
        let fields = [
            ("P", one("pkgname")),
            ("V", one("pkgver")),
            ("A", one("arch")),
            ("S", Some(file_size.to_string())),
            ("I", one("size")),
            ("T", one("pkgdesc")),
            ("U", one("url")),
            ("L", one("license")),
            ("o", one("origin")),
            ("m", one("maintainer")),
            ("t", one("builddate")),
            ("c", one("commit")),
            ("D", all("depend")),
            ("p", all("provides")),
        ];
        for (k, v) in fields {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                let v: String = v.chars().filter(|c| *c != '\n').collect();
                out.push_str(&format!("{k}:{v}\n"));
            }
        }
        out
    }
}

fn base64_std(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The index member of an `APKINDEX.tar.gz`: a gzip-compressed tar with
/// `DESCRIPTION` and `APKINDEX` (the stanzas, each ending in a blank line).
pub fn index_member(description: &str, stanzas: &[String]) -> Result<Vec<u8>, Malformed> {
    let mut text = String::new();
    for s in stanzas {
        text.push_str(s);
        text.push('\n');
    }
    let mut plain = Vec::new();
    for (name, body) in [
        ("DESCRIPTION", description.as_bytes()),
        ("APKINDEX", text.as_bytes()),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name)
            .map_err(|e| malformed(WHAT, format!("index entry name: {e}")))?;
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        plain.extend_from_slice(h.as_bytes());
        plain.extend_from_slice(body);
        plain.resize(plain.len().div_ceil(512) * 512, 0);
    }
    plain.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain)
        .and_then(|_| gz.finish())
        .map_err(|e| malformed(WHAT, format!("compressing the index: {e}")))
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
    fn index_entries_and_signed_indexes() {
        let control = gz_tar(&[(
            ".PKGINFO",
            b"pkgname = hello\npkgver = 1.0-r0\narch = noarch\nsize = 6\ndepend = musl\ndepend = so:libc.musl-x86_64.so.1\ndatahash = ab\n",
        )]);
        let p = read_prefix(&control).unwrap();
        let e = p.index_entry(1234, &[0u8; 20]);
        assert!(e.starts_with("C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"), "{e}");
        assert!(
            e.contains("P:hello\nV:1.0-r0\nA:noarch\nS:1234\nI:6\n"),
            "{e}"
        );
        assert!(e.contains("D:musl so:libc.musl-x86_64.so.1\n"), "{e}");
        let member = index_member("signet", std::slice::from_ref(&e)).unwrap();
        let signed = [
            signature_member(SigHash::Sha256, "k.rsa.pub", b"S").unwrap(),
            member.clone(),
        ]
        .concat();
        let q = read_prefix(&signed).unwrap();
        assert_eq!(q.control, member);
        assert_eq!(q.index.as_deref(), Some(format!("{e}\n").as_str()));
        assert_eq!(base64_std(b"hello"), "aGVsbG8=");
        assert_eq!(base64_std(b"hell"), "aGVsbA==");
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
