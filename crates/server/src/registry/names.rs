//! Names the OCI distribution spec allows: repositories, tags, digests.
//! Pure checks; anything else is refused before it reaches storage, so no
//! name can traverse paths or collide with internal keys.

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`,
/// at most 255 characters.
pub fn valid_repository(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name.split('/').all(valid_component)
}

fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'_' | b'-'))
}

/// A `sha256:<64 lowercase hex>` digest, the only algorithm stored; returns the hex.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

/// A file path in a generic repository: `/`-separated segments of
/// printable ASCII other than `\\`, none empty, `.` or `..`, at most 1024
/// bytes. Paths never reach storage keys (files are stored by digest), but
/// odd ones are refused so listings and downloads stay unambiguous.
pub fn valid_file_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'%')
        })
}

/// The digests a manifest references: child manifests of an index, or the
/// config and layers of an image manifest.
pub fn manifest_references(
    doc: &serde_json::Value,
    index: bool,
) -> Result<Vec<&str>, &'static str> {
    use serde_json::Value;
    fn digest_of(v: &Value) -> &str {
        v.get("digest").and_then(Value::as_str).unwrap_or("")
    }
    if index {
        let list = doc
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or("an index needs a manifests array")?;
        return Ok(list.iter().map(digest_of).collect());
    }
    let config = doc
        .get("config")
        .and_then(|c| c.get("digest"))
        .and_then(Value::as_str)
        .ok_or("an image manifest needs config.digest")?;
    let layers = doc
        .get("layers")
        .and_then(Value::as_array)
        .ok_or("an image manifest needs a layers array")?;
    Ok(std::iter::once(config)
        .chain(layers.iter().map(digest_of))
        .collect())
}

/// Whether a manifest media type is an index (OCI or Docker list).
pub fn is_index(media_type: &str) -> bool {
    media_type.ends_with("index.v1+json") || media_type.ends_with("list.v2+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories() {
        for ok in ["a", "production/apps", "a-b/c.d/e__f", "x--y", "0/1"] {
            assert!(valid_repository(ok), "{ok}");
        }
        for bad in [
            "", "A", "a/", "/a", "a//b", "..", "a/../b", "a..b", "-a", "a-", "a___b", "a b",
            "a%2fb", "a\\b",
        ] {
            assert!(!valid_repository(bad), "{bad:?}");
        }
        assert!(!valid_repository(&"a".repeat(256)));
    }

    #[test]
    fn tags() {
        for ok in ["latest", "v1.2.3", "_x", "A-b_c.d"] {
            assert!(valid_tag(ok), "{ok}");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", "..", &"a".repeat(129)] {
            assert!(!valid_tag(bad), "{bad:?}");
        }
    }

    #[test]
    fn file_paths() {
        for ok in [
            "a",
            "dist/x-1.0.tar.zst",
            "iso/ubuntu.iso.sig.bin",
            "a/b/c/d",
            "v1.0+build~1",
        ] {
            assert!(valid_file_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            ".",
            "..",
            "a/../b",
            "../etc/passwd",
            "a/./b",
            "a b",
            "a\\b",
            "a%2e%2e",
            "a\u{0}b",
            "caf\u{e9}",
        ] {
            assert!(!valid_file_path(bad), "{bad:?}");
        }
        assert!(!valid_file_path(&"a".repeat(1025)));
    }

    proptest::proptest! {
        #[test]
        fn accepted_names_cannot_escape(s in "[a-z./\\\\%_~-]{0,12}") {
            if valid_file_path(&s) {
                let p = std::path::Path::new("/root").join(&s);
                proptest::prop_assert!(p.starts_with("/root"));
                proptest::prop_assert!(p.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::RootDir)));
            }
            if valid_repository(&s) {
                proptest::prop_assert!(!s.contains("..") && !s.starts_with('/') && !s.contains("//"));
            }
        }
    }

    #[test]
    fn digests() {
        let h = "a".repeat(64);
        assert_eq!(sha256_hex(&format!("sha256:{h}")), Some(h.as_str()));
        assert_eq!(sha256_hex(&format!("sha256:{}", "A".repeat(64))), None);
        assert_eq!(sha256_hex(&format!("sha512:{h}")), None);
        assert_eq!(sha256_hex("sha256:../../etc"), None);
    }
}
