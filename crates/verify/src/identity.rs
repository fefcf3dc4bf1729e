//! Who may have signed: certificate identity and OIDC issuer, exact or by
//! regular expression (RE2 semantics, unanchored like cosign's), plus the
//! GitHub workflow extensions Fulcio records.

use regex::Regex;

use crate::x509::Cert;

/// Matches one string.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Exact equality.
    Exact(String),
    /// `regex::Regex::is_match` (unanchored: write `^…$` to anchor).
    Regex(Regex),
}

impl Matcher {
    /// An exact matcher.
    pub fn exact(s: impl Into<String>) -> Self {
        Self::Exact(s.into())
    }

    /// A regular-expression matcher; the error says what is wrong.
    pub fn regex(pattern: &str) -> Result<Self, String> {
        Regex::new(pattern)
            .map(Self::Regex)
            .map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
    }

    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Self::Exact(e) => e == s,
            Self::Regex(r) => r.is_match(s),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(e) => write!(f, "{e:?}"),
            Self::Regex(r) => write!(f, "/{}/", r.as_str()),
        }
    }
}

/// The GitHub workflow extensions (`1.3.6.1.4.1.57264.1.2`–`.6`) cosign's
/// `--certificate-github-workflow-*` flags compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GithubField {
    /// `.1.2` trigger (event name).
    Trigger,
    /// `.1.3` commit SHA.
    Sha,
    /// `.1.4` workflow name.
    Name,
    /// `.1.5` repository (`owner/name`).
    Repository,
    /// `.1.6` ref.
    Ref,
}

impl GithubField {
    fn extension(self) -> u32 {
        match self {
            Self::Trigger => 2,
            Self::Sha => 3,
            Self::Name => 4,
            Self::Repository => 5,
            Self::Ref => 6,
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Self::Trigger => "github-workflow-trigger",
            Self::Sha => "github-workflow-sha",
            Self::Name => "github-workflow-name",
            Self::Repository => "github-workflow-repository",
            Self::Ref => "github-workflow-ref",
        }
    }
}

/// Who may have signed.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    /// The certificate identity (SAN).
    pub identity: Matcher,
    /// The OIDC issuer.
    pub issuer: Matcher,
    /// Exact values required of GitHub workflow extensions.
    pub github: Vec<(GithubField, String)>,
}

/// The identity a certificate proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdentity {
    /// The SAN Sigstore matches (URI, else email, else otherName).
    pub identity: String,
    /// The OIDC issuer, if recorded.
    pub issuer: Option<String>,
}

impl IdentityPolicy {
    /// Checks `cert` against the policy; the error names what differed.
    pub fn check(&self, cert: &Cert) -> Result<CertIdentity, String> {
        let san = cert
            .identity()
            .ok_or("the certificate names no identity (no URI, email or otherName SAN)")?;
        let issuer = cert.oidc_issuer();
        if !self.identity.matches(san.value()) {
            return Err(format!(
                "certificate identity {:?} does not match the expected {}",
                san.value(),
                self.identity
            ));
        }
        match &issuer {
            Some(i) if self.issuer.matches(i) => {}
            Some(i) => {
                return Err(format!(
                    "certificate OIDC issuer {i:?} does not match the expected {}",
                    self.issuer
                ));
            }
            None => return Err("the certificate records no OIDC issuer".into()),
        }
        for (field, want) in &self.github {
            let got = cert.fulcio_extension(field.extension());
            if got.as_deref() != Some(want.as_str()) {
                return Err(format!(
                    "certificate {} is {:?}, expected {want:?}",
                    field.flag(),
                    got.unwrap_or_default()
                ));
            }
        }
        Ok(CertIdentity {
            identity: san.value().to_owned(),
            issuer,
        })
    }
}
