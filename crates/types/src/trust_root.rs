//! Sigstore `trusted_root.json` (`dev.sigstore.trustroot.v1.TrustedRoot`):
//! transparency logs, certificate authorities, CT logs and timestamp
//! authorities, each with a closed validity window.

use serde::{Deserialize, Serialize};

use crate::{Error, Result, b64};

/// A trusted root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    /// Media type.
    #[serde(default)]
    pub media_type: String,
    /// Transparency logs.
    #[serde(default)]
    pub tlogs: Vec<TransparencyLogInstance>,
    /// Certificate authorities (Fulcio): chains, last certificate = anchor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Certificate Transparency logs whose SCTs are accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctlogs: Vec<TransparencyLogInstance>,
    /// RFC 3161 timestamp authorities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timestamp_authorities: Vec<CertificateAuthority>,
    /// Everything else is kept but not interpreted.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// One log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogInstance {
    /// Base URL.
    #[serde(default)]
    pub base_url: String,
    /// Hash algorithm of the tree.
    #[serde(default)]
    pub hash_algorithm: String,
    /// The log key.
    pub public_key: TrustedPublicKey,
    /// The log ID (SHA-256 of the SPKI for Rekor v1).
    pub log_id: TrustedLogId,
}

/// A certificate authority or timestamp authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// Distinguished name parts, informational.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<serde_json::Value>,
    /// Where the authority is reached.
    #[serde(default)]
    pub uri: String,
    /// The chain: issuing certificate first, trust anchor last.
    #[serde(default)]
    pub cert_chain: crate::bundle::CertificateChain,
    /// When certificates (or timestamps) from it are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<ValidFor>,
}

/// A key with its validity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedPublicKey {
    /// DER SPKI.
    #[serde(with = "b64::bytes")]
    pub raw_bytes: Vec<u8>,
    /// `PublicKeyDetails` name.
    #[serde(default)]
    pub key_details: String,
    /// When the key may be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<ValidFor>,
}

/// A log ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedLogId {
    /// Key ID bytes.
    #[serde(with = "b64::bytes")]
    pub key_id: Vec<u8>,
}

/// A closed validity interval (RFC 3339 times).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidFor {
    /// Start (required by verifiers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End, if the key is retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

impl ValidFor {
    /// Whether unix time `t` is inside the window. A missing start fails.
    pub fn contains(&self, t: i64) -> Result<bool> {
        let start = self
            .start
            .as_deref()
            .ok_or(Error::Canonical("validity window without a start"))?;
        if t < rfc3339_to_unix(start)? {
            return Ok(false);
        }
        match self.end.as_deref() {
            Some(end) => Ok(t <= rfc3339_to_unix(end)?),
            None => Ok(true),
        }
    }
}

impl TrustedRoot {
    /// Parses trusted_root.json.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|source| Error::Json {
            what: "trusted root",
            source,
        })
    }

    /// The log whose ID is `key_id`.
    pub fn tlog(&self, key_id: &[u8]) -> Option<&TransparencyLogInstance> {
        self.tlogs.iter().find(|t| t.log_id.key_id == key_id)
    }

    /// The CT log whose ID is `key_id`.
    pub fn ctlog(&self, key_id: &[u8]) -> Option<&TransparencyLogInstance> {
        self.ctlogs.iter().find(|t| t.log_id.key_id == key_id)
    }
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn unix_to_rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (H. Hinnant's algorithm), days since 1970-01-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to unix seconds.
pub fn rfc3339_to_unix(s: &str) -> Result<i64> {
    let bad = || Error::Canonical("malformed RFC 3339 time");
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64> {
        let t = s.get(r).ok_or_else(bad)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(bad());
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        tz if tz.len() == 6 && (tz.starts_with('+') || tz.starts_with('-')) && &tz[3..4] == ":" => {
            let oh: i64 = tz[1..3].parse().map_err(|_| bad())?;
            let om: i64 = tz[4..6].parse().map_err(|_| bad())?;
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    // Days from civil (proleptic Gregorian), 1970-01-01 = 0.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(rfc3339_to_unix("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            rfc3339_to_unix("2021-01-12T11:53:27Z").unwrap(),
            1_610_452_407
        );
        assert_eq!(
            rfc3339_to_unix("2022-04-13T20:06:15.000Z").unwrap(),
            1_649_880_375
        );
        assert_eq!(
            rfc3339_to_unix("2000-03-01T01:00:00+01:00").unwrap(),
            951_868_800
        );
        assert!(rfc3339_to_unix("2021-13-01T00:00:00Z").is_err());
        assert!(rfc3339_to_unix("yesterday").is_err());
    }

    #[test]
    fn public_good_root_parses() {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/trust-roots/public-good/trusted_root.json"
        );
        let root = TrustedRoot::from_json(&std::fs::read(p).unwrap()).unwrap();
        let id = b64::decode("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=").unwrap();
        let log = root.tlog(&id).unwrap();
        assert_eq!(log.base_url, "https://rekor.sigstore.dev");
        assert!(
            log.public_key
                .valid_for
                .as_ref()
                .unwrap()
                .contains(1_766_077_479)
                .unwrap()
        );
        assert!(
            !log.public_key
                .valid_for
                .as_ref()
                .unwrap()
                .contains(1_600_000_000)
                .unwrap()
        );
    }

    #[test]
    fn rfc3339_round_trips() {
        for t in [
            0i64,
            951_782_400,
            1_795_330_035,
            4_102_444_800,
            1_709_164_800,
        ] {
            let text = super::unix_to_rfc3339(t);
            assert_eq!(super::rfc3339_to_unix(&text).unwrap(), t, "{text}");
        }
        assert_eq!(super::unix_to_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
