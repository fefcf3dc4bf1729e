//! Debian binary packages (`ar` archives) and their debsigs signatures:
//! an `_gpg<type>` member (`_gpgorigin` for the origin's) holding an
//! OpenPGP detached signature of the concatenated contents of
//! `debian-binary`, `control.tar.*` and `data.tar.*`, as debsigs writes it
//! and debsig-verify checks it.
//!
//! [`members`] lists the members (seeking over their contents, so packages
//! of any size stay out of memory); the caller streams the signed ranges.

use std::io::{Read, Seek, SeekFrom};

use crate::{Malformed, malformed};

const WHAT: &str = "Debian package";
const MAGIC: &[u8; 8] = b"!<arch>\n";
/// Most members read from one package.
const MAX_MEMBERS: usize = 64;

/// One archive member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name (trailing `/` and blanks removed).
    pub name: String,
    /// Where its contents start.
    pub offset: u64,
    /// Their length.
    pub size: u64,
}

/// A member header's name (trailing `/` and blanks removed) and size.
fn member_name_size(h: &[u8; 60]) -> Result<(String, u64), Malformed> {
    let name = String::from_utf8_lossy(&h[..16])
        .trim_end()
        .trim_end_matches('/')
        .to_owned();
    let size: u64 = std::str::from_utf8(&h[48..58])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| malformed(WHAT, format!("member {name:?} has no size")))?;
    Ok((name, size))
}

/// Reads and checks the ar magic.
fn read_magic<R: Read>(r: &mut R) -> Result<(), Malformed> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| malformed(WHAT, "shorter than the ar magic (not a .deb?)"))?;
    if &magic != MAGIC {
        return Err(malformed(WHAT, "no ar magic (not a .deb?)"));
    }
    Ok(())
}

/// Lists the members of an `ar` archive.
pub fn members<R: Read + Seek>(r: &mut R) -> Result<Vec<Member>, Malformed> {
    read_magic(r)?;
    let end = r
        .seek(SeekFrom::End(0))
        .map_err(|e| malformed(WHAT, format!("cannot seek: {e}")))?;
    let mut at = 8u64;
    let mut out = Vec::new();
    while at < end {
        if out.len() == MAX_MEMBERS {
            return Err(malformed(WHAT, format!("more than {MAX_MEMBERS} members")));
        }
        r.seek(SeekFrom::Start(at))
            .map_err(|e| malformed(WHAT, format!("cannot seek: {e}")))?;
        let mut h = [0u8; 60];
        r.read_exact(&mut h)
            .map_err(|_| malformed(WHAT, format!("truncated member header at byte {at}")))?;
        if &h[58..60] != b"`\n" {
            return Err(malformed(WHAT, format!("bad member header at byte {at}")));
        }
        let (name, size) = member_name_size(&h)?;
        let offset = at + 60;
        if offset.checked_add(size).is_none_or(|e| e > end) {
            return Err(malformed(WHAT, format!("member {name:?} is truncated")));
        }
        out.push(Member { name, offset, size });
        at = offset + size + (size & 1);
    }
    if out.first().is_none_or(|m| m.name != "debian-binary") {
        return Err(malformed(WHAT, "the first member is not debian-binary"));
    }
    Ok(out)
}

/// A signature member's name and contents.
pub type SignatureMember = (String, Vec<u8>);

/// Reads an archive front to back (no seeking, for streams): its members
/// and the contents of the `_gpg*` signature members (each at most 1 MiB).
pub fn scan<R: Read>(r: &mut R) -> Result<(Vec<Member>, Vec<SignatureMember>), Malformed> {
    read_magic(r)?;
    let mut at = 8u64;
    let mut out = Vec::new();
    let mut sigs = Vec::new();
    loop {
        let mut h = [0u8; 60];
        let n = read_full(r, &mut h)?;
        if n == 0 {
            break;
        }
        if n < 60 || &h[58..60] != b"`\n" {
            return Err(malformed(WHAT, format!("bad member header at byte {at}")));
        }
        if out.len() == MAX_MEMBERS {
            return Err(malformed(WHAT, format!("more than {MAX_MEMBERS} members")));
        }
        let (name, size) = member_name_size(&h)?;
        let offset = at + 60;
        if name.starts_with("_gpg") {
            if size > 1 << 20 {
                return Err(malformed(
                    WHAT,
                    format!("signature member {name} is over 1 MiB"),
                ));
            }
            let mut b = vec![0u8; size as usize];
            r.read_exact(&mut b)
                .map_err(|_| malformed(WHAT, format!("member {name:?} is truncated")))?;
            sigs.push((name.clone(), b));
        } else {
            let skipped = std::io::copy(&mut r.take(size), &mut std::io::sink())
                .map_err(|e| malformed(WHAT, format!("reading member {name:?}: {e}")))?;
            if skipped < size {
                return Err(malformed(WHAT, format!("member {name:?} is truncated")));
            }
        }
        if size & 1 == 1 {
            let mut pad = [0u8; 1];
            let _ = read_full(r, &mut pad)?;
        }
        out.push(Member { name, offset, size });
        at = offset + size + (size & 1);
    }
    if out.first().is_none_or(|m| m.name != "debian-binary") {
        return Err(malformed(WHAT, "the first member is not debian-binary"));
    }
    Ok((out, sigs))
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, Malformed> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(malformed(WHAT, format!("read error: {e}"))),
        }
    }
    Ok(n)
}

/// A reader over the signed ranges of an archive read front to back (the
/// ranges from [`signed_members`], in file order).
pub struct SignedContent<R> {
    inner: R,
    at: u64,
    ranges: std::collections::VecDeque<(u64, u64)>,
}

impl<R: Read> SignedContent<R> {
    /// Over `inner` positioned at the archive's start.
    pub fn new(inner: R, signed: &[&Member]) -> Self {
        Self {
            inner,
            at: 0,
            ranges: signed
                .iter()
                .map(|m| (m.offset, m.offset + m.size))
                .collect(),
        }
    }
}

impl<R: Read> Read for SignedContent<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(&(start, end)) = self.ranges.front() else {
            return Ok(0);
        };
        if self.at < start {
            let skip = start - self.at;
            let n = std::io::copy(&mut (&mut self.inner).take(skip), &mut std::io::sink())?;
            self.at += n;
            if n < skip {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        let want = ((end - self.at) as usize).min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 && want > 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.at += n as u64;
        if self.at == end {
            self.ranges.pop_front();
        }
        Ok(n)
    }
}

/// Largest control member read (compressed or not).
const MAX_CONTROL: u64 = 16 << 20;

/// Reads an archive front to back up to its `control.tar*` member and
/// returns the `control` file inside it (the package's fields, as text).
pub fn control<R: Read>(r: &mut R) -> Result<String, Malformed> {
    read_magic(r)?;
    for _ in 0..MAX_MEMBERS {
        let mut h = [0u8; 60];
        if read_full(r, &mut h)? < 60 || &h[58..60] != b"`\n" {
            return Err(malformed(WHAT, "no control.tar member"));
        }
        let (name, size) = member_name_size(&h)?;
        if name == "control.tar" || name.starts_with("control.tar.") {
            if size > MAX_CONTROL {
                return Err(malformed(WHAT, "the control member is over 16 MiB"));
            }
            let mut raw = vec![0u8; size as usize];
            r.read_exact(&mut raw)
                .map_err(|_| malformed(WHAT, "the control member is truncated"))?;
            let tar = decompress(&name, &raw)?;
            let mut ar = tar::Archive::new(&tar[..]);
            let entries = ar
                .entries()
                .map_err(|e| malformed(WHAT, format!("{name}: {e}")))?;
            for e in entries {
                let mut e = e.map_err(|e| malformed(WHAT, format!("{name}: {e}")))?;
                let path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                if path == "./control" || path == "control" {
                    let mut text = String::new();
                    e.read_to_string(&mut text)
                        .map_err(|e| malformed(WHAT, format!("the control file: {e}")))?;
                    return Ok(text);
                }
            }
            return Err(malformed(WHAT, format!("{name} has no control file")));
        }
        let skipped = std::io::copy(&mut r.take(size + (size & 1)), &mut std::io::sink())
            .map_err(|e| malformed(WHAT, format!("reading member {name:?}: {e}")))?;
        if skipped < size {
            return Err(malformed(WHAT, format!("member {name:?} is truncated")));
        }
    }
    Err(malformed(WHAT, "no control.tar member"))
}

fn decompress(name: &str, raw: &[u8]) -> Result<Vec<u8>, Malformed> {
    let mut out = Vec::new();
    let bad = |e: String| malformed(WHAT, format!("{name}: {e}"));
    if name.ends_with(".gz") {
        flate2::read::GzDecoder::new(raw)
            .take(MAX_CONTROL)
            .read_to_end(&mut out)
            .map_err(|e| bad(e.to_string()))?;
    } else if name.ends_with(".xz") {
        let mut limited = LimitedWriter(&mut out);
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(raw), &mut limited)
            .map_err(|e| bad(e.to_string()))?;
    } else if name.ends_with(".zst") {
        zstd::stream::read::Decoder::new(raw)
            .map_err(|e| bad(e.to_string()))?
            .take(MAX_CONTROL)
            .read_to_end(&mut out)
            .map_err(|e| bad(e.to_string()))?;
    } else if name == "control.tar" {
        out = raw.to_vec();
    } else {
        return Err(bad("unknown compression (gz, xz and zst are read)".into()));
    }
    Ok(out)
}

/// A writer that refuses to grow past [`MAX_CONTROL`].
struct LimitedWriter<'a>(&'a mut Vec<u8>);

impl std::io::Write for LimitedWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() as u64 + buf.len() as u64 > MAX_CONTROL {
            return Err(std::io::Error::other("decompresses to over 16 MiB"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A field of a control text (`Package`, `Architecture`, ...).
pub fn field<'a>(control: &'a str, name: &str) -> Option<&'a str> {
    control.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == name).then(|| v.trim())
    })
}

/// The members a debsigs signature covers, in order: `debian-binary`,
/// `control.tar*`, `data.tar*`.
pub fn signed_members(members: &[Member]) -> Result<Vec<&Member>, Malformed> {
    let find = |prefix: &str| {
        members
            .iter()
            .find(|m| m.name == prefix || m.name.starts_with(&format!("{prefix}.")))
            .ok_or_else(|| malformed(WHAT, format!("no {prefix} member")))
    };
    Ok(vec![
        find("debian-binary")?,
        find("control.tar")?,
        find("data.tar")?,
    ])
}

/// The header of a new member (ar's common format: name, mtime, uid, gid,
/// mode, size) and the padding its contents need.
pub fn member_header(name: &str, size: u64, mtime: u64) -> Result<[u8; 60], Malformed> {
    if name.is_empty() || name.len() > 15 || !name.is_ascii() || name.contains(['/', ' ']) {
        return Err(malformed(
            WHAT,
            format!("member name {name:?} does not fit ar's 16 bytes"),
        ));
    }
    let text = format!(
        "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
        name,
        mtime.min(999_999_999_999),
        0,
        0,
        100_644,
        size
    );
    let mut h = [0u8; 60];
    if text.len() != 60 {
        return Err(malformed(WHAT, format!("member {name:?} of {size} bytes")));
    }
    h.copy_from_slice(text.as_bytes());
    Ok(h)
}

/// An RFC 2822 date in UTC (`Mon, 30 Nov 2026 10:00:00 UTC`), as Release
/// files carry it.
pub fn release_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} UTC",
        WD[days.rem_euclid(7) as usize],
        day,
        MON[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ar(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        for (n, b) in members {
            out.extend_from_slice(&member_header(n, b.len() as u64, 0).unwrap());
            out.extend_from_slice(b);
            if b.len() % 2 == 1 {
                out.push(b'\n');
            }
        }
        out
    }

    #[test]
    fn release_dates_are_rfc2822() {
        assert_eq!(release_date(0), "Thu, 01 Jan 1970 00:00:00 UTC");
        assert_eq!(release_date(1_796_032_800), "Mon, 30 Nov 2026 10:00:00 UTC");
        assert_eq!(release_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 UTC");
    }

    #[test]
    fn lists_members_and_the_signed_ones() {
        let deb = ar(&[
            ("debian-binary", b"2.0\n"),
            ("control.tar.xz", b"ctl"),
            ("data.tar.xz", b"data!"),
            ("_gpgorigin", b"sig"),
        ]);
        let ms = members(&mut std::io::Cursor::new(&deb)).unwrap();
        assert_eq!(ms.len(), 4);
        assert_eq!(ms[1].name, "control.tar.xz");
        let s = signed_members(&ms).unwrap();
        let bytes: Vec<u8> = s
            .iter()
            .flat_map(|m| deb[m.offset as usize..(m.offset + m.size) as usize].to_vec())
            .collect();
        assert_eq!(bytes, b"2.0\nctldata!");
    }

    #[test]
    fn streams_give_the_same_members_and_content() {
        let deb = ar(&[
            ("debian-binary", b"2.0\n"),
            ("control.tar.xz", b"ctl"),
            ("data.tar.xz", b"data!"),
            ("_gpgorigin", b"sig"),
        ]);
        let (ms, sigs) = scan(&mut &deb[..]).unwrap();
        assert_eq!(ms, members(&mut std::io::Cursor::new(&deb)).unwrap());
        assert_eq!(sigs, vec![("_gpgorigin".to_owned(), b"sig".to_vec())]);
        let signed = signed_members(&ms).unwrap();
        let mut out = Vec::new();
        SignedContent::new(&deb[..], &signed)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"2.0\nctldata!");
        assert!(scan(&mut &deb[..deb.len() - 2]).is_err());
    }

    #[test]
    fn junk_and_truncation_are_errors() {
        let deb = ar(&[("debian-binary", b"2.0\n"), ("control.tar.xz", b"ctl")]);
        for cut in [0, 7, 20, deb.len() - 2] {
            assert!(
                members(&mut std::io::Cursor::new(&deb[..cut])).is_err(),
                "{cut}"
            );
        }
        assert!(signed_members(&members(&mut std::io::Cursor::new(&deb)).unwrap()).is_err());
        let other = ar(&[("control.tar.xz", b"ctl")]);
        assert!(members(&mut std::io::Cursor::new(&other)).is_err());
        assert!(member_header("a/b", 1, 0).is_err());
        assert!(member_header("sixteen-chars-xx", 1, 0).is_err());
    }
}
