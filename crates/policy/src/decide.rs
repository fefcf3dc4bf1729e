//! Evaluation: a pure function of (policies, artifact, verified evidence,
//! registered keys, time) to a decision that says why.

use serde::Serialize;

use crate::document::{ArtifactType, KeyRequirement, Mode, Policy, Rule, SignatureType};

/// The kind of a registered key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// A cosign public key (PEM).
    Cosign,
    /// An OpenPGP key.
    Gpg,
    /// An X.509 certificate's key.
    X509,
}

/// A registered verification key, as evaluation sees it.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: KeyKind,
    /// Repository globs it may sign for.
    pub repositories: Vec<String>,
    /// Unix seconds after which it is no longer trusted.
    pub expires_at: Option<i64>,
    /// Unix seconds it was revoked at: no signature by it counts any more.
    pub revoked_at: Option<i64>,
}

impl TrustedKey {
    /// Whether it is trusted for `repository` at `now`, or why not.
    pub fn trusted(&self, repository: &str, now: i64) -> Result<(), String> {
        if self.revoked_at.is_some_and(|t| t <= now) {
            return Err(format!("key {} is revoked", self.name));
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(format!("key {} has expired", self.name));
        }
        if !self
            .repositories
            .iter()
            .any(|g| crate::glob::repository(g, repository))
        {
            return Err(format!(
                "key {} is not registered for repository {repository}",
                self.name
            ));
        }
        Ok(())
    }
}

/// Who made a verified signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Signer {
    /// A registered key (by id).
    Key {
        /// The key's id.
        key_id: String,
    },
    /// A certificate from a trusted CA.
    Certificate {
        /// Its SAN.
        identity: String,
        /// Its OIDC issuer.
        issuer: String,
    },
}

/// What a piece of evidence is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Claim {
    /// A signature over the artifact.
    Signature {
        /// Its type.
        signature_type: SignatureType,
    },
    /// A signed in-toto statement about the artifact.
    Attestation {
        /// Its predicate type.
        predicate_type: String,
    },
}

/// A signature or attestation whose cryptography has been checked against
/// the artifact's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// What it is.
    #[serde(flatten)]
    pub claim: Claim,
    /// Who made it.
    pub signer: Signer,
    /// When, if a log or timestamp authority vouched for it (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// Where it was found (`tag sha256-….sig`, `referrer sha256:…`, `file x.sig`).
    pub source: String,
}

/// The artifact being decided on.
#[derive(Debug, Clone, Copy)]
pub struct Artifact<'a> {
    /// Repository.
    pub repository: &'a str,
    /// Its type.
    pub artifact_type: ArtifactType,
}

/// One rule's outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleResult {
    /// The rule.
    pub rule: String,
    /// Whether it holds.
    pub satisfied: bool,
    /// Whether it must.
    pub required: bool,
    /// Why (the signers counted, or what is missing).
    pub reason: String,
}

/// One policy's outcome.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PolicyResult {
    /// The policy.
    pub policy: String,
    /// Its mode.
    pub mode: Mode,
    /// Whether all its required rules hold.
    pub satisfied: bool,
    /// Each rule that applies to the artifact.
    pub rules: Vec<RuleResult>,
}

/// What to do with the operation.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// No policy protects the artifact.
    Unprotected,
    /// Every policy is met.
    Allow,
    /// A `warn` or `audit` policy is not met: allowed, recorded.
    AllowUnmet,
    /// An `enforce` policy is not met.
    Deny,
}

/// The decision and its reasons.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decision {
    /// The outcome.
    pub outcome: Outcome,
    /// Per policy that covers the repository.
    pub policies: Vec<PolicyResult>,
}

impl Decision {
    /// Whether the operation may go ahead.
    pub fn allowed(&self) -> bool {
        self.outcome != Outcome::Deny
    }

    /// Whether a client should be warned (a `warn` policy is unmet).
    pub fn warning(&self) -> Option<String> {
        let unmet: Vec<&str> = self
            .policies
            .iter()
            .filter(|p| !p.satisfied && p.mode == Mode::Warn)
            .map(|p| p.policy.as_str())
            .collect();
        (!unmet.is_empty()).then(|| format!("signing policy not met: {}", unmet.join(", ")))
    }

    /// Why it is not allowed, one line per unmet required rule.
    pub fn reasons(&self) -> Vec<String> {
        self.policies
            .iter()
            .filter(|p| !p.satisfied)
            .flat_map(|p| {
                p.rules
                    .iter()
                    .filter(|r| r.required && !r.satisfied)
                    .map(move |r| format!("{}/{}: {}", p.policy, r.rule, r.reason))
            })
            .collect()
    }
}

/// Decides on `artifact` under every policy in `policies` that covers its
/// repository, counting only `evidence` (already verified) whose signer is
/// accepted: registered keys must be trusted for the repository at `now`.
pub fn decide(
    policies: &[Policy],
    artifact: Artifact<'_>,
    evidence: &[Evidence],
    keys: &[TrustedKey],
    now: i64,
) -> Decision {
    let mut results = Vec::new();
    for p in policies.iter().filter(|p| p.covers(artifact.repository)) {
        let rules: Vec<RuleResult> = p
            .rules
            .iter()
            .filter(|r| {
                r.artifact_types.is_empty()
                    || r.artifact_types
                        .iter()
                        .any(|t| t.covers(artifact.artifact_type))
            })
            .map(|r| rule(r, artifact, evidence, keys, now))
            .collect();
        let satisfied = rules.iter().all(|r| r.satisfied || !r.required);
        results.push(PolicyResult {
            policy: p.name.clone(),
            mode: p.mode,
            satisfied,
            rules,
        });
    }
    let outcome = if results.is_empty() {
        Outcome::Unprotected
    } else if results
        .iter()
        .any(|p| !p.satisfied && p.mode == Mode::Enforce)
    {
        Outcome::Deny
    } else if results.iter().any(|p| !p.satisfied) {
        Outcome::AllowUnmet
    } else {
        Outcome::Allow
    };
    Decision {
        outcome,
        policies: results,
    }
}

/// Whether `rule` accepts `signer` (and why not).
fn accepts(
    r: &Rule,
    signer: &Signer,
    artifact: Artifact<'_>,
    keys: &[TrustedKey],
    now: i64,
) -> Result<(), String> {
    match signer {
        Signer::Key { key_id } => {
            let key = keys
                .iter()
                .find(|k| &k.id == key_id)
                .ok_or_else(|| format!("key {key_id} is not registered"))?;
            key.trusted(artifact.repository, now)?;
            let kind_ok = match r.signature_type {
                SignatureType::Cosign => matches!(key.kind, KeyKind::Cosign | KeyKind::X509),
                SignatureType::X509 => key.kind == KeyKind::X509,
                SignatureType::Gpg => key.kind == KeyKind::Gpg,
            };
            if !kind_ok {
                return Err(format!(
                    "key {} is a {:?} key, the rule wants {} signatures",
                    key.name,
                    key.kind,
                    r.signature_type.as_str()
                ));
            }
            let named = |n: &str| n == key.id || n == key.name;
            let listed = r.trusted_keys.iter().any(|n| named(n))
                || r.key_requirements
                    .iter()
                    .any(|k| matches!(k, KeyRequirement::Key { key } if named(key)));
            let open = r.trusted_keys.is_empty() && r.key_requirements.is_empty();
            if listed || open {
                Ok(())
            } else {
                Err(format!("key {} is not one the rule lists", key.name))
            }
        }
        Signer::Certificate { identity, issuer } => {
            if r.signature_type != SignatureType::Cosign {
                return Err("certificates make cosign signatures".into());
            }
            let ok = r.key_requirements.iter().any(|k| match k {
                KeyRequirement::Keyless {
                    certificate_identity,
                    certificate_oidc_issuer,
                } => {
                    crate::glob::wildcard(certificate_identity, identity)
                        && crate::glob::wildcard(certificate_oidc_issuer, issuer)
                }
                KeyRequirement::Key { .. } => false,
            });
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "certificate identity {identity} (issuer {issuer}) is not one the rule accepts"
                ))
            }
        }
    }
}

fn describe(s: &Signer, keys: &[TrustedKey]) -> String {
    match s {
        Signer::Key { key_id } => match keys.iter().find(|k| &k.id == key_id) {
            Some(k) => format!("key {}", k.name),
            None => format!("key {key_id}"),
        },
        Signer::Certificate { identity, .. } => identity.clone(),
    }
}

/// A rule with `attestations` needs, for each predicate type, `threshold`
/// distinct accepted signers of such an attestation; a rule without needs
/// `threshold` distinct accepted signers of a signature.
fn rule(
    r: &Rule,
    artifact: Artifact<'_>,
    evidence: &[Evidence],
    keys: &[TrustedKey],
    now: i64,
) -> RuleResult {
    let need = r.threshold.max(1) as usize;
    let mut missing = Vec::new();
    let mut counted: Vec<&Signer> = Vec::new();
    let wants: Vec<Option<&str>> = if r.attestations.is_empty() {
        vec![None]
    } else {
        r.attestations
            .iter()
            .map(|a| Some(a.predicate_type.as_str()))
            .collect()
    };
    for want in wants {
        let mut signers: Vec<&Signer> = Vec::new();
        let mut refused: Vec<String> = Vec::new();
        for e in evidence {
            let verdict = match (&e.claim, want) {
                (Claim::Signature { signature_type }, None) => {
                    let type_ok = *signature_type == r.signature_type
                        || (r.signature_type == SignatureType::X509
                            && *signature_type == SignatureType::Cosign);
                    if !type_ok {
                        continue;
                    }
                    accepts(r, &e.signer, artifact, keys, now)
                }
                (Claim::Attestation { predicate_type }, Some(p)) if predicate_type == p => {
                    accepts_attester(r, &e.signer, artifact, keys, now)
                }
                _ => continue,
            };
            match verdict {
                Ok(()) if !signers.contains(&&e.signer) => signers.push(&e.signer),
                Ok(()) => {}
                Err(why) => refused.push(why),
            }
        }
        let what = match want {
            None => format!("{} signature", r.signature_type.as_str()),
            Some(p) => format!("{p} attestation"),
        };
        if signers.len() < need {
            let mut m = if signers.is_empty() {
                format!("no accepted {what}")
            } else {
                format!(
                    "{what}: {} of {need} required signers ({})",
                    signers.len(),
                    signers
                        .iter()
                        .map(|s| describe(s, keys))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            refused.sort();
            refused.dedup();
            if !refused.is_empty() {
                m.push_str(&format!(" ({})", refused.join("; ")));
            }
            missing.push(m);
        }
        for s in signers {
            if !counted.contains(&s) {
                counted.push(s);
            }
        }
    }
    let satisfied = missing.is_empty();
    let reason = if satisfied {
        format!(
            "signed by {}",
            counted
                .iter()
                .map(|s| describe(s, keys))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        missing.join("; ")
    };
    RuleResult {
        rule: r.name.clone(),
        satisfied,
        required: r.required,
        reason,
    }
}

/// Attestations are DSSE envelopes signed the cosign way whatever the
/// rule's signature type; the signer must be one the rule accepts.
fn accepts_attester(
    r: &Rule,
    signer: &Signer,
    artifact: Artifact<'_>,
    keys: &[TrustedKey],
    now: i64,
) -> Result<(), String> {
    let mut as_cosign = r.clone();
    if as_cosign.signature_type == SignatureType::Gpg {
        as_cosign.signature_type = SignatureType::Cosign;
    }
    accepts(&as_cosign, signer, artifact, keys, now)
}
