//! The policy document: YAML or JSON, parsed strictly (unknown fields are
//! errors, so a misspelt `requred:` never silently turns a rule off) and
//! checked; every problem carries the line it is on.

use serde::{Deserialize, Serialize};

/// What a policy does when a rule is not met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Refuse the operation.
    #[default]
    Enforce,
    /// Allow it, warn the client and record the decision.
    Warn,
    /// Allow it silently and record the decision.
    Audit,
}

impl Mode {
    /// Its name in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// The kinds of artifact a rule can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactType {
    /// An image with Docker media types.
    Docker,
    /// An OCI image or artifact.
    Oci,
    /// A file in a generic repository.
    Generic,
    /// An RPM package.
    Rpm,
    /// A Debian package.
    Deb,
    /// An Alpine package.
    Apk,
}

impl ArtifactType {
    /// Whether a rule listing `self` covers an artifact of type `other`:
    /// `docker` and `oci` name the same images (a registry cannot tell a
    /// client's intent from media types), the rest only themselves.
    pub fn covers(self, other: ArtifactType) -> bool {
        use ArtifactType::*;
        self == other || matches!((self, other), (Docker, Oci) | (Oci, Docker))
    }

    /// The type of a file in a generic repository, from its extension.
    pub fn of_file(path: &str) -> ArtifactType {
        if path.ends_with(".rpm") {
            ArtifactType::Rpm
        } else if path.ends_with(".deb") {
            ArtifactType::Deb
        } else if path.ends_with(".apk") {
            ArtifactType::Apk
        } else {
            ArtifactType::Generic
        }
    }
}

/// Which signatures a rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SignatureType {
    /// cosign signatures (a key, or a certificate for keyless signing).
    #[default]
    Cosign,
    /// OpenPGP signatures.
    Gpg,
    /// Signatures by a key whose X.509 certificate was registered.
    X509,
}

impl SignatureType {
    /// Its name in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureType::Cosign => "cosign",
            SignatureType::Gpg => "gpg",
            SignatureType::X509 => "x509",
        }
    }
}

/// A signer a rule accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum KeyRequirement {
    /// A registered key, by id or name.
    Key {
        /// The key's id or name.
        key: String,
    },
    /// A Fulcio-style certificate whose identity and issuer match.
    Keyless {
        /// The SAN (email, URI); `*` matches any run of characters.
        certificate_identity: String,
        /// The OIDC issuer; `*` as above.
        certificate_oidc_issuer: String,
    },
}

/// An attestation a rule requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationRequirement {
    /// The in-toto predicate type (`https://slsa.dev/provenance/v1`).
    pub predicate_type: String,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Its name, in decisions and errors.
    pub name: String,
    /// The artifacts it is about; empty means all.
    #[serde(default)]
    pub artifact_types: Vec<ArtifactType>,
    /// Which signatures count.
    #[serde(default)]
    pub signature_type: SignatureType,
    /// Whether an unmet rule fails the policy (false: reported only).
    #[serde(default = "yes")]
    pub required: bool,
    /// How many distinct accepted signers must have signed.
    #[serde(default = "one")]
    pub threshold: u32,
    /// Accepted signers; with `trusted_keys`, either list admits.
    #[serde(default)]
    pub key_requirements: Vec<KeyRequirement>,
    /// Accepted registered keys, by id or name.
    #[serde(default)]
    pub trusted_keys: Vec<String>,
    /// Attestations an accepted signer must have made about the artifact.
    #[serde(default)]
    pub attestations: Vec<AttestationRequirement>,
}

/// A signing policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Unique name.
    pub name: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What happens when it is not met.
    #[serde(default)]
    pub mode: Mode,
    /// Repository globs it protects.
    pub repositories: Vec<String>,
    /// Its rules; all required ones must hold.
    pub rules: Vec<Rule>,
}

/// A problem in a policy document, at a line (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

/// Largest policy document accepted.
pub const MAX_DOCUMENT: usize = 256 * 1024;

impl Policy {
    /// Parses and checks a YAML or JSON document (JSON is YAML); every
    /// problem found, or the policy.
    pub fn parse(text: &str) -> Result<Policy, Vec<Problem>> {
        if text.len() > MAX_DOCUMENT {
            return Err(vec![Problem {
                line: 0,
                message: format!(
                    "the document is {} bytes; policies are limited to {MAX_DOCUMENT}",
                    text.len()
                ),
            }]);
        }
        let policy: Policy = serde_yaml_ng::from_str(text).map_err(|e| {
            vec![Problem {
                line: e.location().map(|l| l.line()).unwrap_or(0),
                message: clean(&e.to_string()),
            }]
        })?;
        let problems = policy.check(text);
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    /// Semantic checks, located in `text` where it can be.
    fn check(&self, text: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        let at = |needle: &str, from: usize| line_of(text, needle, from);
        if !valid_name(&self.name) {
            out.push(Problem {
                line: at("name:", 0),
                message: format!(
                    "policy name {:?} must be 1 to 128 letters, digits, '-', '_' or '.'",
                    self.name
                ),
            });
        }
        if self.repositories.is_empty() {
            out.push(Problem {
                line: at("repositories:", 0),
                message: "repositories is empty: list the repository globs this policy protects (\"production/*\")".into(),
            });
        }
        for g in &self.repositories {
            if g.is_empty() || g.starts_with('/') || g.ends_with('/') || g.contains("//") {
                out.push(Problem {
                    line: at(g, 0),
                    message: format!("repository glob {g:?} is not a repository path"),
                });
            }
        }
        if self.rules.is_empty() {
            out.push(Problem {
                line: at("rules:", 0),
                message: "rules is empty: a policy needs at least one rule".into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            let start = rule_line(text, &r.name);
            let here = |needle: &str| {
                let l = line_of(text, needle, start);
                if l == 0 { start } else { l }
            };
            if !seen.insert(r.name.as_str()) {
                out.push(Problem {
                    line: start,
                    message: format!("rule name {:?} is used twice", r.name),
                });
            }
            if r.name.trim().is_empty() {
                out.push(Problem {
                    line: start,
                    message: "a rule needs a name".into(),
                });
            }
            if r.threshold == 0 {
                out.push(Problem {
                    line: here("threshold:"),
                    message: format!(
                        "rule {:?}: threshold 0 would accept unsigned artifacts; use 1 or more, or required: false",
                        r.name
                    ),
                });
            }
            let named = r.trusted_keys.len()
                + r.key_requirements
                    .iter()
                    .filter(|k| matches!(k, KeyRequirement::Key { .. }))
                    .count();
            let any_keyless = r
                .key_requirements
                .iter()
                .any(|k| matches!(k, KeyRequirement::Keyless { .. }));
            if named > 0 && !any_keyless && (r.threshold as usize) > named {
                out.push(Problem {
                    line: here("threshold:"),
                    message: format!(
                        "rule {:?}: threshold {} is more than the {named} keys it accepts, so it can never be met",
                        r.name, r.threshold
                    ),
                });
            }
            for k in &r.key_requirements {
                match k {
                    KeyRequirement::Keyless {
                        certificate_identity,
                        certificate_oidc_issuer,
                    } => {
                        if certificate_identity.trim_matches('*').is_empty() {
                            out.push(Problem {
                                line: here("certificate_identity:"),
                                message: format!(
                                    "rule {:?}: certificate_identity {certificate_identity:?} would accept anyone with a certificate; name the signer (\"*@example.com\")",
                                    r.name
                                ),
                            });
                        }
                        if certificate_oidc_issuer.trim_matches('*').is_empty() {
                            out.push(Problem {
                                line: here("certificate_oidc_issuer:"),
                                message: format!(
                                    "rule {:?}: certificate_oidc_issuer must name the issuer (\"https://accounts.google.com\")",
                                    r.name
                                ),
                            });
                        }
                        if r.signature_type != SignatureType::Cosign {
                            out.push(Problem {
                                line: here("type: keyless"),
                                message: format!(
                                    "rule {:?}: keyless signers make cosign signatures, but the rule counts {} signatures",
                                    r.name,
                                    r.signature_type.as_str()
                                ),
                            });
                        }
                    }
                    KeyRequirement::Key { key } if key.trim().is_empty() => {
                        out.push(Problem {
                            line: here("type: key"),
                            message: format!("rule {:?}: a key requirement names no key", r.name),
                        });
                    }
                    KeyRequirement::Key { .. } => {}
                }
            }
            for a in &r.attestations {
                if a.predicate_type.trim().is_empty() {
                    out.push(Problem {
                        line: here("predicate_type:"),
                        message: format!(
                            "rule {:?}: an attestation requirement needs a predicate_type",
                            r.name
                        ),
                    });
                }
            }
        }
        out
    }

    /// Whether the policy protects `repository`.
    pub fn covers(&self, repository: &str) -> bool {
        self.repositories
            .iter()
            .any(|g| crate::glob::repository(g, repository))
    }
}

/// Policy and key names: what may go in a URL path segment.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && s != ".."
}

/// serde_yaml_ng puts " at line L column C" in its messages; the line is
/// reported separately.
fn clean(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The 1-based line where `needle` first occurs at or after line `from`
/// (0 when it does not).
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
        .unwrap_or(0)
}

/// The line of the rule named `name` (`- name: x` in YAML, `"name": "x"`
/// in JSON), after the `rules` key.
fn rule_line(text: &str, name: &str) -> usize {
    let rules = line_of(text, "rules", 0);
    text.lines()
        .enumerate()
        .skip(rules.saturating_sub(1))
        .find(|(_, l)| {
            let l = l.trim_start_matches([' ', '-', '{', '\t']);
            (l.starts_with("name:") || l.starts_with("\"name\"")) && l.contains(name)
        })
        .map(|(i, _)| i + 1)
        .unwrap_or(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const EXAMPLE: &str = r#"name: require-signatures
description: Require signed artifacts for production
mode: enforce
repositories: ["production/*", "stable/*"]
rules:
  - name: require-cosign-signature
    artifact_types: [docker, oci]
    signature_type: cosign
    required: true
    threshold: 1
    key_requirements:
      - type: keyless
        certificate_identity: "*@example.com"
        certificate_oidc_issuer: "https://accounts.google.com"
  - name: require-gpg-signature
    artifact_types: [rpm, deb, apk, generic]
    signature_type: gpg
    required: true
    trusted_keys: [key-123, key-456]
  - name: require-provenance
    artifact_types: [oci]
    attestations: [{predicate_type: "https://slsa.dev/provenance/v1"}]
"#;

    #[test]
    fn the_documented_example_parses() {
        let p = Policy::parse(EXAMPLE).unwrap();
        assert_eq!(p.mode, Mode::Enforce);
        assert_eq!(p.rules.len(), 3);
        assert_eq!(p.rules[0].threshold, 1);
        assert!(p.rules[2].required, "required defaults to true");
        assert_eq!(p.rules[2].signature_type, SignatureType::Cosign);
        assert!(p.covers("production/web"));
        assert!(!p.covers("staging/web"));
        // The same policy as JSON.
        let json = serde_json::to_string_pretty(&p).unwrap();
        assert_eq!(Policy::parse(&json).unwrap(), p);
    }

    #[test]
    fn problems_carry_lines() {
        let cases: &[(&str, &str, usize, &str)] = &[
            ("typo", "    requred: true\n", 9, "unknown field `requred`"),
            ("mode", "", 3, "unknown variant `block`"),
            ("threshold", "", 10, "threshold 0"),
        ];
        for (what, _, line, msg) in cases {
            let doc = match *what {
                "typo" => EXAMPLE.replace(
                    "    required: true\n    threshold",
                    "    requred: true\n    threshold",
                ),
                "mode" => EXAMPLE.replace("mode: enforce", "mode: block"),
                "threshold" => EXAMPLE.replace("threshold: 1", "threshold: 0"),
                _ => unreachable!(),
            };
            let e = Policy::parse(&doc).unwrap_err();
            assert_eq!(e[0].line, *line, "{what}: {e:?}");
            assert!(e[0].message.contains(msg), "{what}: {e:?}");
        }
        let e = Policy::parse("name: x\nrepositories: []\nrules: []\n").unwrap_err();
        assert_eq!(
            e.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![2, 3],
            "{e:?}"
        );
        let e = Policy::parse(&EXAMPLE.replace("\"*@example.com\"", "\"*\"")).unwrap_err();
        assert_eq!(e[0].line, 13, "{e:?}");
        assert!(e[0].message.contains("anyone"), "{e:?}");
        let e = Policy::parse(&EXAMPLE.replace(
            "trusted_keys: [key-123, key-456]",
            "trusted_keys: [key-123]\n    threshold: 2",
        ))
        .unwrap_err();
        assert_eq!(e[0].line, 20, "{e:?}");
        assert!(e[0].message.contains("never be met"), "{e:?}");
        let e = Policy::parse("name: [\n").unwrap_err();
        assert!(e[0].line >= 1, "{e:?}");
        let e = Policy::parse(&"#".repeat(MAX_DOCUMENT + 1)).unwrap_err();
        assert!(e[0].message.contains("limited"), "{e:?}");
        let e = Policy::parse(&EXAMPLE.replace("require-signatures", "bad name/x")).unwrap_err();
        assert_eq!(e[0].line, 1, "{e:?}");
    }
}
