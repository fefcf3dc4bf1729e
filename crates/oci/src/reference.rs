//! Image references: `[registry/]repository[:tag][@digest]`.
//!
//! As Docker and cosign: a first component with a `.` or `:` or equal to
//! `localhost` is a registry, otherwise the registry is Docker Hub
//! (`index.docker.io`, and one-component names get `library/`).

use std::fmt;

/// Why a reference was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an image reference ([registry/]repository[:tag][@sha256:digest]): {1}")]
pub struct Invalid(pub String, pub &'static str);

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Host and optional port, e.g. `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// Repository path, e.g. `org/app`.
    pub repository: String,
    /// Tag, when given.
    pub tag: Option<String>,
    /// Digest, when given (`sha256:...`).
    pub digest: Option<String>,
}

impl Reference {
    /// Parses a reference.
    pub fn parse(s: &str) -> Result<Self, Invalid> {
        let bad = |why| Invalid(s.to_owned(), why);
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if !crate::is_sha256_digest(d) {
                    return Err(bad("the digest must be sha256:<64 lowercase hex>"));
                }
                (r, Some(d.to_owned()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_owned()),
            ),
            None => (rest, None),
        };
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && (t.as_bytes()[0].is_ascii_alphanumeric() || t.starts_with('_'))
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !ok {
                return Err(bad("a tag is [A-Za-z0-9_][A-Za-z0-9._-]{0,127}"));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ if !name.contains('/') => ("index.docker.io".to_owned(), format!("library/{name}")),
            _ => ("index.docker.io".to_owned(), name.to_owned()),
        };
        let registry = if registry == "docker.io" {
            "index.docker.io".to_owned()
        } else {
            registry
        };
        let repo_ok = !repository.is_empty()
            && repository.len() <= 255
            && repository.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase()
                            || b.is_ascii_digit()
                            || matches!(b, b'.' | b'_' | b'-')
                    })
                    && c.as_bytes()[0].is_ascii_alphanumeric()
                    && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
            });
        if !repo_ok {
            return Err(bad(
                "the repository is lowercase path components (a-z 0-9 . _ -)",
            ));
        }
        if registry.is_empty() || registry.contains(|c: char| c.is_whitespace() || c == '@') {
            return Err(bad("bad registry host"));
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_owned())
        } else {
            tag
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The repository with its registry (`docker-reference` in payloads).
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The digest if given, else the tag.
    pub fn identifier(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The legacy signature tag of an image digest: `sha256-<hex>.sig`
/// (`.att` for attestations).
pub fn signature_tag(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replace(':', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_docker() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(r.name(), "index.docker.io/library/alpine");
        assert_eq!(r.tag.as_deref(), Some("latest"));
        let r = Reference::parse("127.0.0.1:5000/prod/app:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "prod/app", Some("1.0"))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/org/app@{d}")).unwrap();
        assert_eq!((r.tag, r.digest.as_deref()), (None, Some(d.as_str())));
        let r = Reference::parse(&format!("localhost/app:v1@{d}")).unwrap();
        assert_eq!(r.to_string(), format!("localhost/app:v1@{d}"));
        assert_eq!(
            Reference::parse("docker.io/org/x").unwrap().registry,
            "index.docker.io"
        );
        assert_eq!(
            Reference::parse("org/x").unwrap().name(),
            "index.docker.io/org/x"
        );
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            "UPPER/case",
            "a@sha256:xyz",
            "a:",
            "a:-x",
            "host:5000/",
            "a//b",
            "a b",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn signature_tags() {
        let d = format!("sha256:{}", "b".repeat(64));
        assert_eq!(
            signature_tag(&d, "sig"),
            format!("sha256-{}.sig", "b".repeat(64))
        );
    }
}
