//! RPM v3 package files: lead (96 bytes), signature header (padded to 8
//! bytes), header, payload. [`read_prefix`] reads everything before the
//! payload and leaves the reader at its start, so packages of any size are
//! streamed; [`Prefix::signed`] writes the prefix again with a new
//! signature header that carries an OpenPGP signature of the header.

use std::io::Read;

use crate::{Malformed, malformed};

const WHAT: &str = "RPM package";
const LEAD_MAGIC: [u8; 4] = [0xed, 0xab, 0xee, 0xdb];
const HEADER_MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
/// Most index entries a header may have.
const MAX_ENTRIES: u32 = 65_536;
/// Largest header data store (rpm's own limit is 256 MiB).
const MAX_DATA: u32 = 256 << 20;
/// Largest signature header data store (rpm allows 64 KiB).
const MAX_SIG_DATA: u32 = 64 << 10;

/// Signature header tags.
pub mod tag {
    /// The signature header's region.
    pub const HEADERSIGNATURES: u32 = 62;
    /// OpenPGP DSA/EdDSA/ECDSA signature of the header.
    pub const DSA: u32 = 267;
    /// OpenPGP RSA signature of the header.
    pub const RSA: u32 = 268;
    /// SHA-1 of the header (hex).
    pub const SHA1: u32 = 269;
    /// SHA-256 of the header (hex).
    pub const SHA256: u32 = 273;
    /// OpenPGP RSA signature of header and payload (legacy).
    pub const PGP: u32 = 1002;
    /// OpenPGP DSA signature of header and payload (legacy).
    pub const GPG: u32 = 1005;
    /// Padding kept for signing in place.
    pub const RESERVEDSPACE: u32 = 1008;
    /// OpenPGP v6 signatures (rpm 4.20).
    pub const OPENPGP: u32 = 278;
    /// Header tag: the payload's digest (hex, a string array).
    pub const PAYLOADDIGEST: u32 = 5092;
    /// Header tag: its algorithm (8 = SHA-256).
    pub const PAYLOADDIGESTALGO: u32 = 5093;
    /// Header tag: package name.
    pub const NAME: u32 = 1000;
}

/// Entry data types.
mod ty {
    pub(super) const INT8: u32 = 2;
    pub(super) const INT16: u32 = 3;
    pub(super) const INT32: u32 = 4;
    pub(super) const INT64: u32 = 5;
    pub(super) const STRING: u32 = 6;
    pub(super) const BIN: u32 = 7;
    pub(super) const STRING_ARRAY: u32 = 8;
    pub(super) const I18NSTRING: u32 = 9;
}

/// One header entry with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Tag.
    pub tag: u32,
    /// Data type.
    pub ty: u32,
    /// Element count.
    pub count: u32,
    /// The data bytes.
    pub data: Vec<u8>,
}

impl Entry {
    /// The data as strings (STRING, STRING_ARRAY, I18NSTRING).
    pub fn strings(&self) -> Vec<String> {
        match self.ty {
            ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING => self
                .data
                .split(|b| *b == 0)
                .take(self.count as usize)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The first INT32 value.
    pub fn int32(&self) -> Option<u32> {
        (self.ty == ty::INT32 && self.data.len() >= 4)
            .then(|| u32::from_be_bytes([self.data[0], self.data[1], self.data[2], self.data[3]]))
    }
}

/// A parsed header: entries in index order (a region tag first, if any).
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// The entries.
    pub entries: Vec<Entry>,
}

impl Header {
    /// The entry with `tag`.
    pub fn get(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The first string of `tag` (empty when absent).
    pub fn string(&self, tag: u32) -> String {
        self.get(tag)
            .and_then(|e| e.strings().into_iter().next())
            .unwrap_or_default()
    }

    /// The strings of `tag`.
    pub fn strings(&self, tag: u32) -> Vec<String> {
        self.get(tag).map(Entry::strings).unwrap_or_default()
    }

    /// The INT32 values of `tag`.
    pub fn int32s(&self, tag: u32) -> Vec<u32> {
        self.get(tag)
            .filter(|e| e.ty == ty::INT32)
            .map(|e| {
                e.data
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn align(ty: u32) -> usize {
    match ty {
        ty::INT16 => 2,
        ty::INT32 => 4,
        ty::INT64 => 8,
        _ => 1,
    }
}

/// Length of an entry's data at `data[offset..]`.
fn data_len(ty: u32, count: u32, data: &[u8], offset: usize) -> Result<usize, String> {
    let n = count as usize;
    let fixed = |size: usize| {
        n.checked_mul(size)
            .ok_or_else(|| "count overflows".to_owned())
    };
    let len = match ty {
        0 => 0,
        1 | ty::INT8 | ty::BIN => fixed(1)?,
        ty::INT16 => fixed(2)?,
        ty::INT32 => fixed(4)?,
        ty::INT64 => fixed(8)?,
        ty::STRING | ty::STRING_ARRAY | ty::I18NSTRING => {
            if ty == ty::STRING && n != 1 {
                return Err(format!("a STRING entry has count {n}"));
            }
            let mut at = offset;
            for _ in 0..n {
                let rest = data.get(at..).ok_or("string data out of range")?;
                let nul = rest
                    .iter()
                    .position(|b| *b == 0)
                    .ok_or("a string runs past the data store")?;
                at += nul + 1;
            }
            at - offset
        }
        other => return Err(format!("unknown data type {other}")),
    };
    if offset.checked_add(len).is_none_or(|end| end > data.len()) {
        return Err("entry data runs past the data store".into());
    }
    Ok(len)
}

/// Reads a header structure (after the 8-byte magic has been checked by
/// the caller): the parsed header and its raw bytes including the magic.
fn read_header<R: Read>(
    r: &mut R,
    max_data: u32,
    which: &str,
) -> Result<(Header, Vec<u8>), Malformed> {
    let mut head = [0u8; 16];
    r.read_exact(&mut head)
        .map_err(|_| malformed(WHAT, format!("truncated before its {which}")))?;
    if head[..8] != HEADER_MAGIC {
        return Err(malformed(WHAT, format!("the {which} has no header magic")));
    }
    let il = be32(&head, 8);
    let dl = be32(&head, 12);
    if il == 0 || il > MAX_ENTRIES {
        return Err(malformed(WHAT, format!("the {which} has {il} entries")));
    }
    if dl > max_data {
        return Err(malformed(
            WHAT,
            format!("the {which}'s data store of {dl} bytes is too large"),
        ));
    }
    let mut rest = vec![0u8; il as usize * 16 + dl as usize];
    r.read_exact(&mut rest)
        .map_err(|_| malformed(WHAT, format!("the {which} is truncated")))?;
    let (index, data) = rest.split_at(il as usize * 16);
    let mut entries = Vec::with_capacity(il as usize);
    for i in 0..il as usize {
        let e = &index[i * 16..i * 16 + 16];
        let (tag, ty, offset, count) = (be32(e, 0), be32(e, 4), be32(e, 8), be32(e, 12));
        // A region tag's offset points at its 16-byte trailer.
        let offset = offset as usize;
        let len = data_len(ty, count, data, offset)
            .map_err(|d| malformed(WHAT, format!("{which} entry {i} (tag {tag}): {d}")))?;
        if !offset.is_multiple_of(align(ty)) {
            return Err(malformed(
                WHAT,
                format!("{which} entry {i} (tag {tag}) is misaligned"),
            ));
        }
        entries.push(Entry {
            tag,
            ty,
            count,
            data: data[offset..offset + len].to_vec(),
        });
    }
    let mut raw = head.to_vec();
    raw.extend_from_slice(&rest);
    Ok((Header { entries }, raw))
}

/// Everything before the payload.
#[derive(Debug, Clone)]
pub struct Prefix {
    /// The 96-byte lead.
    pub lead: Vec<u8>,
    /// The signature header.
    pub signature: Header,
    /// The header.
    pub header: Header,
    /// The header's bytes (magic to the end of its data): what header-only
    /// signatures and the SHA-256 header digest cover.
    pub header_bytes: Vec<u8>,
    /// Where the header starts in the file.
    pub header_start: u64,
}

/// Reads the lead, the signature header and the header; `r` is left at the
/// payload.
pub fn read_prefix<R: Read>(r: &mut R) -> Result<Prefix, Malformed> {
    let mut lead = vec![0u8; 96];
    r.read_exact(&mut lead)
        .map_err(|_| malformed(WHAT, "shorter than the 96-byte lead (not an RPM?)"))?;
    if lead[..4] != LEAD_MAGIC {
        return Err(malformed(WHAT, "no RPM lead magic (not an RPM package)"));
    }
    if lead[4] != 3 {
        return Err(malformed(
            WHAT,
            format!("format version {} (only v3 packages are read)", lead[4]),
        ));
    }
    let (signature, sig_raw) = read_header(r, MAX_SIG_DATA, "signature header")?;
    let pad = (8 - sig_raw.len() % 8) % 8;
    let mut skip = [0u8; 8];
    r.read_exact(&mut skip[..pad])
        .map_err(|_| malformed(WHAT, "truncated after the signature header"))?;
    let (header, header_bytes) = read_header(r, MAX_DATA, "header")?;
    Ok(Prefix {
        lead,
        signature,
        header,
        header_bytes,
        header_start: (96 + sig_raw.len() + pad) as u64,
    })
}

/// The signature tag an OpenPGP header-only signature goes under, by the
/// signing key's OpenPGP public-key algorithm id (1 RSA, 17 DSA, 19 ECDSA,
/// 22 EdDSA), as rpm 4.18 files it.
pub fn header_signature_tag(pubkey_algorithm: u8) -> Option<u32> {
    match pubkey_algorithm {
        1..=3 => Some(tag::RSA),
        17 | 19 | 22 => Some(tag::DSA),
        _ => None,
    }
}

/// Serializes entries as a header (magic, counts, index, data) with a
/// region tag first covering all of them.
fn write_header(region: u32, entries: &[Entry]) -> Vec<u8> {
    let il = entries.len() + 1;
    let mut data = Vec::new();
    let mut index = Vec::with_capacity(il * 16);
    let put = |index: &mut Vec<u8>, tag: u32, ty: u32, offset: usize, count: u32| {
        for v in [tag, ty, offset as u32, count] {
            index.extend_from_slice(&v.to_be_bytes());
        }
    };
    // Region entry first; its trailer goes last in the data.
    let mut body = Vec::new();
    for e in entries {
        while !data.len().is_multiple_of(align(e.ty)) {
            data.push(0);
        }
        put(&mut body, e.tag, e.ty, data.len(), e.count);
        data.extend_from_slice(&e.data);
    }
    let trailer_at = data.len();
    put(&mut index, region, ty::BIN, trailer_at, 16);
    index.extend_from_slice(&body);
    let ril = (il * 16) as i32;
    for v in [region, ty::BIN, (-ril) as u32, 16] {
        data.extend_from_slice(&v.to_be_bytes());
    }
    let mut out = HEADER_MAGIC.to_vec();
    out.extend_from_slice(&(il as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&data);
    out
}

impl Prefix {
    /// The header's signature packet (raw OpenPGP bytes), from the
    /// signature header, if it is signed.
    pub fn header_signature(&self) -> Option<&[u8]> {
        [tag::RSA, tag::DSA]
            .iter()
            .find_map(|t| self.signature.get(*t))
            .map(|e| e.data.as_slice())
    }

    /// The package name (from the header).
    pub fn name(&self) -> Option<String> {
        self.header
            .get(tag::NAME)
            .and_then(|e| e.strings().into_iter().next())
    }

    /// The payload digest the header records (lower-case hex), if SHA-256.
    pub fn payload_sha256(&self) -> Option<String> {
        let algo = self.header.get(tag::PAYLOADDIGESTALGO)?.int32()?;
        (algo == 8)
            .then(|| self.header.get(tag::PAYLOADDIGEST))
            .flatten()
            .and_then(|e| e.strings().into_iter().next())
    }

    /// The header SHA-256 the signature header records.
    pub fn header_sha256(&self) -> Option<String> {
        self.signature
            .get(tag::SHA256)
            .and_then(|e| e.strings().into_iter().next())
    }

    /// The bytes before the payload with `packet` (an OpenPGP signature of
    /// [`Prefix::header_bytes`]) under `sig_tag`, replacing any earlier
    /// signatures (and the reserved space, which only in-place signing
    /// needs). Digests of the header and payload are kept.
    pub fn signed(&self, sig_tag: u32, packet: &[u8]) -> Result<Vec<u8>, Malformed> {
        if packet.is_empty() || packet.len() > 16 << 10 {
            return Err(malformed(
                WHAT,
                "the signature packet is empty or over 16 KiB",
            ));
        }
        let drop = [
            tag::HEADERSIGNATURES,
            tag::DSA,
            tag::RSA,
            tag::PGP,
            tag::GPG,
            tag::RESERVEDSPACE,
            tag::OPENPGP,
        ];
        let mut entries: Vec<Entry> = self
            .signature
            .entries
            .iter()
            .filter(|e| !drop.contains(&e.tag))
            .cloned()
            .collect();
        entries.push(Entry {
            tag: sig_tag,
            ty: ty::BIN,
            count: packet.len() as u32,
            data: packet.to_vec(),
        });
        entries.sort_by_key(|e| e.tag);
        let sig = write_header(tag::HEADERSIGNATURES, &entries);
        let mut out = self.lead.clone();
        // The lead says "header-style signature".
        out[78] = 0;
        out[79] = 5;
        out.extend_from_slice(&sig);
        out.resize(out.len() + (8 - sig.len() % 8) % 8, 0);
        out.extend_from_slice(&self.header_bytes);
        Ok(out)
    }
}

/// Header tags the repository metadata reads.
mod htag {
    pub(super) const VERSION: u32 = 1001;
    pub(super) const RELEASE: u32 = 1002;
    pub(super) const EPOCH: u32 = 1003;
    pub(super) const SUMMARY: u32 = 1004;
    pub(super) const DESCRIPTION: u32 = 1005;
    pub(super) const BUILDTIME: u32 = 1006;
    pub(super) const BUILDHOST: u32 = 1007;
    pub(super) const SIZE: u32 = 1009;
    pub(super) const VENDOR: u32 = 1011;
    pub(super) const LICENSE: u32 = 1014;
    pub(super) const PACKAGER: u32 = 1015;
    pub(super) const GROUP: u32 = 1016;
    pub(super) const URL: u32 = 1020;
    pub(super) const ARCH: u32 = 1022;
    pub(super) const SOURCERPM: u32 = 1044;
    pub(super) const ARCHIVESIZE: u32 = 1046;
    pub(super) const PROVIDENAME: u32 = 1047;
    pub(super) const REQUIREFLAGS: u32 = 1048;
    pub(super) const REQUIRENAME: u32 = 1049;
    pub(super) const REQUIREVERSION: u32 = 1050;
    pub(super) const PROVIDEFLAGS: u32 = 1112;
    pub(super) const PROVIDEVERSION: u32 = 1113;
}

/// XML text with `&`, `<`, `>` and `"` escaped (and control characters
/// dropped, which XML 1.0 cannot carry).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// `rpm:entry` elements of a dependency list (names, flags, versions).
fn dependencies(h: &Header, names: u32, flags: u32, versions: u32) -> String {
    let (n, f, v) = (h.strings(names), h.int32s(flags), h.strings(versions));
    let mut out = String::new();
    for (i, name) in n.iter().enumerate() {
        if name.starts_with("rpmlib(") {
            continue;
        }
        out.push_str(&format!("      <rpm:entry name=\"{}\"", xml_escape(name)));
        let fl = f.get(i).copied().unwrap_or(0) & 0x0e;
        let op = match fl {
            2 => Some("LT"),
            4 => Some("GT"),
            8 => Some("EQ"),
            10 => Some("LE"),
            12 => Some("GE"),
            _ => None,
        };
        if let (Some(op), Some(evr)) = (op, v.get(i).filter(|s| !s.is_empty())) {
            let (epoch, rest) = match evr.split_once(':') {
                Some((e, r)) => (e, r),
                None => ("0", evr.as_str()),
            };
            let (ver, rel) = match rest.rsplit_once('-') {
                Some((v, r)) => (v, Some(r)),
                None => (rest, None),
            };
            out.push_str(&format!(
                " flags=\"{op}\" epoch=\"{}\" ver=\"{}\"",
                xml_escape(epoch),
                xml_escape(ver)
            ));
            if let Some(r) = rel {
                out.push_str(&format!(" rel=\"{}\"", xml_escape(r)));
            }
        }
        out.push_str("/>\n");
    }
    out
}

impl Prefix {
    /// This package's `<package>` element of a repository's primary.xml
    /// (as createrepo writes it): `sha256` of the whole file, its `size`,
    /// `location` (relative to the repository root) and `file_time`.
    pub fn primary_entry(&self, sha256: &str, size: u64, location: &str, file_time: i64) -> String {
        let h = &self.header;
        let epoch = h.int32s(htag::EPOCH).first().copied().unwrap_or(0);
        let num = |tag| h.int32s(tag).first().copied().unwrap_or(0);
        let t = |tag| xml_escape(&h.string(tag));
        let mut out = String::new();
        out.push_str("<package type=\"rpm\">\n");
        out.push_str(&format!("  <name>{}</name>\n", t(tag::NAME)));
        out.push_str(&format!("  <arch>{}</arch>\n", t(htag::ARCH)));
        out.push_str(&format!(
            "  <version epoch=\"{epoch}\" ver=\"{}\" rel=\"{}\"/>\n",
            t(htag::VERSION),
            t(htag::RELEASE)
        ));
        out.push_str(&format!(
            "  <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n",
            xml_escape(sha256)
        ));
        out.push_str(&format!("  <summary>{}</summary>\n", t(htag::SUMMARY)));
        out.push_str(&format!(
            "  <description>{}</description>\n",
            t(htag::DESCRIPTION)
        ));
        out.push_str(&format!("  <packager>{}</packager>\n", t(htag::PACKAGER)));
        out.push_str(&format!("  <url>{}</url>\n", t(htag::URL)));
        out.push_str(&format!(
            "  <time file=\"{file_time}\" build=\"{}\"/>\n",
            num(htag::BUILDTIME)
        ));
        out.push_str(&format!(
            "  <size package=\"{size}\" installed=\"{}\" archive=\"{}\"/>\n",
            num(htag::SIZE),
            num(htag::ARCHIVESIZE)
        ));
        out.push_str(&format!(
            "  <location href=\"{}\"/>\n",
            xml_escape(location)
        ));
        out.push_str("  <format>\n");
        out.push_str(&format!(
            "    <rpm:license>{}</rpm:license>\n",
            t(htag::LICENSE)
        ));
        out.push_str(&format!(
            "    <rpm:vendor>{}</rpm:vendor>\n",
            t(htag::VENDOR)
        ));
        out.push_str(&format!("    <rpm:group>{}</rpm:group>\n", t(htag::GROUP)));
        out.push_str(&format!(
            "    <rpm:buildhost>{}</rpm:buildhost>\n",
            t(htag::BUILDHOST)
        ));
        out.push_str(&format!(
            "    <rpm:sourcerpm>{}</rpm:sourcerpm>\n",
            t(htag::SOURCERPM)
        ));
        out.push_str(&format!(
            "    <rpm:header-range start=\"{}\" end=\"{}\"/>\n",
            self.header_start,
            self.header_start + self.header_bytes.len() as u64
        ));
        let provides = dependencies(
            h,
            htag::PROVIDENAME,
            htag::PROVIDEFLAGS,
            htag::PROVIDEVERSION,
        );
        if !provides.is_empty() {
            out.push_str(&format!(
                "    <rpm:provides>\n{provides}    </rpm:provides>\n"
            ));
        }
        let requires = dependencies(
            h,
            htag::REQUIRENAME,
            htag::REQUIREFLAGS,
            htag::REQUIREVERSION,
        );
        if !requires.is_empty() {
            out.push_str(&format!(
                "    <rpm:requires>\n{requires}    </rpm:requires>\n"
            ));
        }
        out.push_str("  </format>\n</package>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut lead = vec![0u8; 96];
        lead[..4].copy_from_slice(&LEAD_MAGIC);
        lead[4] = 3;
        let sig = write_header(
            tag::HEADERSIGNATURES,
            &[Entry {
                tag: tag::SHA256,
                ty: ty::STRING,
                count: 1,
                data: b"abc\0".to_vec(),
            }],
        );
        let hdr = write_header(
            63,
            &[
                Entry {
                    tag: tag::NAME,
                    ty: ty::STRING,
                    count: 1,
                    data: b"hello\0".to_vec(),
                },
                Entry {
                    tag: 1009,
                    ty: ty::INT32,
                    count: 1,
                    data: 7u32.to_be_bytes().to_vec(),
                },
            ],
        );
        let mut out = lead;
        out.extend_from_slice(&sig);
        out.resize(out.len() + (8 - sig.len() % 8) % 8, 0);
        out.extend_from_slice(&hdr);
        out.extend_from_slice(b"PAYLOAD");
        out
    }

    #[test]
    fn round_trip_and_resign() {
        let bytes = sample();
        let mut r = &bytes[..];
        let p = read_prefix(&mut r).unwrap();
        assert_eq!(r, b"PAYLOAD");
        assert_eq!(p.name().as_deref(), Some("hello"));
        assert_eq!(p.header_sha256().as_deref(), Some("abc"));
        assert!(p.header_signature().is_none());
        let signed = p.signed(tag::DSA, b"\x88\x01sig").unwrap();
        let mut r = &signed[..];
        let q = read_prefix(&mut r).unwrap();
        assert!(r.is_empty());
        assert_eq!(q.header_signature(), Some(&b"\x88\x01sig"[..]));
        assert_eq!(q.header_bytes, p.header_bytes);
        assert_eq!(q.header_sha256().as_deref(), Some("abc"));
        // Signing again replaces, never stacks.
        let again = q.signed(tag::RSA, b"other").unwrap();
        let q2 = read_prefix(&mut &again[..]).unwrap();
        assert!(q2.signature.get(tag::DSA).is_none());
        assert_eq!(q2.header_signature(), Some(&b"other"[..]));
    }

    #[test]
    fn truncations_and_junk_are_errors() {
        let bytes = sample();
        for cut in [0, 10, 95, 100, 120, bytes.len() - 8] {
            assert!(read_prefix(&mut &bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut bad = bytes.clone();
        bad[0] = 0;
        assert!(read_prefix(&mut &bad[..]).is_err());
        let mut huge = bytes.clone();
        huge[96 + 8..96 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(read_prefix(&mut &huge[..]).is_err());
        assert_eq!(header_signature_tag(1), Some(tag::RSA));
        assert_eq!(header_signature_tag(22), Some(tag::DSA));
        assert_eq!(header_signature_tag(99), None);
    }
}
