//! Shared flags and glue for verifying Sigstore bundles with keys or
//! certificate identities: which trusted root, who may have signed, and
//! the call into `signet_verify::bundle`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use signet_crypto::PublicKey;
use signet_crypto::digest::{Digest, DigestAlgorithm};
use signet_types::bundle::Bundle;
use signet_types::trust_root::{TrustedRoot, unix_to_rfc3339};
use signet_verify::bundle::{Artifact, Options, Policy, Verified, VerifiedSigner, verify};
use signet_verify::identity::{GithubField, IdentityPolicy, Matcher};

use crate::VerificationFailed;

/// The Sigstore public-good trusted root signet ships with.
pub(crate) const PUBLIC_GOOD_ROOT: &[u8] =
    include_bytes!("../../data/trust-roots/public-good/trusted_root.json");
/// The Sigstore staging trusted root.
pub(crate) const STAGING_ROOT: &[u8] =
    include_bytes!("../../data/trust-roots/staging/trusted_root.json");

/// Which trust material verifies bundles.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct TrustArgs {
    /// trusted_root.json to verify against (default: the root `signet
    /// trusted-root update` fetched, else the built-in Sigstore public-good root).
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,
    /// Use Sigstore's staging instance instead of public good.
    #[arg(long)]
    pub(crate) staging: bool,
    /// Accepted for cosign compatibility: signet never goes online to verify.
    #[arg(long)]
    pub(crate) offline: bool,
}

impl TrustArgs {
    /// The trusted root: `--trusted-root`, else the TUF-updated cache, else
    /// the built-in one.
    pub(crate) fn load(&self) -> Result<TrustedRoot> {
        if let Some(p) = &self.trusted_root {
            let bytes = std::fs::read(p)
                .with_context(|| format!("cannot read trusted root {}", p.display()))?;
            return TrustedRoot::from_json(&bytes)
                .with_context(|| format!("cannot use trusted root {}", p.display()));
        }
        let instance = if self.staging {
            "staging"
        } else {
            "public-good"
        };
        if let Some(cached) = super::trusted_root::cached_root(instance)? {
            return Ok(cached);
        }
        let builtin = if self.staging {
            STAGING_ROOT
        } else {
            PUBLIC_GOOD_ROOT
        };
        TrustedRoot::from_json(builtin).context("the built-in trusted root is unusable")
    }
}

/// Who may have signed, for certificate (keyless) bundles.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct IdentityArgs {
    /// The identity the certificate must name (email, URI), exactly.
    #[arg(long, value_name = "ID")]
    pub(crate) certificate_identity: Option<String>,
    /// A regular expression the certificate identity must match (unanchored).
    #[arg(long, value_name = "REGEX", conflicts_with = "certificate_identity")]
    pub(crate) certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the certificate must name, exactly.
    #[arg(long, value_name = "URL")]
    pub(crate) certificate_oidc_issuer: Option<String>,
    /// A regular expression the OIDC issuer must match (unanchored).
    #[arg(long, value_name = "REGEX", conflicts_with = "certificate_oidc_issuer")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
    /// Required GitHub workflow trigger (event name) in the certificate.
    #[arg(long, value_name = "EVENT")]
    pub(crate) certificate_github_workflow_trigger: Option<String>,
    /// Required GitHub workflow commit SHA.
    #[arg(long, value_name = "SHA")]
    pub(crate) certificate_github_workflow_sha: Option<String>,
    /// Required GitHub workflow name.
    #[arg(long, value_name = "NAME")]
    pub(crate) certificate_github_workflow_name: Option<String>,
    /// Required GitHub workflow repository (owner/name).
    #[arg(long, value_name = "REPO")]
    pub(crate) certificate_github_workflow_repository: Option<String>,
    /// Required GitHub workflow ref (e.g. refs/heads/main).
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_github_workflow_ref: Option<String>,
    /// Do not require a Signed Certificate Timestamp in the certificate.
    #[arg(long)]
    pub(crate) insecure_ignore_sct: bool,
}

impl IdentityArgs {
    /// Whether any identity flag was given.
    pub(crate) fn given(&self) -> bool {
        self.certificate_identity.is_some()
            || self.certificate_identity_regexp.is_some()
            || self.certificate_oidc_issuer.is_some()
            || self.certificate_oidc_issuer_regexp.is_some()
    }

    /// The identity policy; both an identity and an issuer are required.
    pub(crate) fn policy(&self) -> Result<IdentityPolicy> {
        let identity = match (
            &self.certificate_identity,
            &self.certificate_identity_regexp,
        ) {
            (Some(e), _) => Matcher::exact(e),
            (None, Some(r)) => {
                Matcher::regex(r).map_err(|e| anyhow!("--certificate-identity-regexp: {e}"))?
            }
            (None, None) => bail!(
                "--certificate-identity or --certificate-identity-regexp is required for verification in keyless mode (or give --key)"
            ),
        };
        let issuer = match (
            &self.certificate_oidc_issuer,
            &self.certificate_oidc_issuer_regexp,
        ) {
            (Some(e), _) => Matcher::exact(e),
            (None, Some(r)) => {
                Matcher::regex(r).map_err(|e| anyhow!("--certificate-oidc-issuer-regexp: {e}"))?
            }
            (None, None) => bail!(
                "--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required for verification in keyless mode"
            ),
        };
        let mut github = Vec::new();
        for (field, value) in [
            (
                GithubField::Trigger,
                &self.certificate_github_workflow_trigger,
            ),
            (GithubField::Sha, &self.certificate_github_workflow_sha),
            (GithubField::Name, &self.certificate_github_workflow_name),
            (
                GithubField::Repository,
                &self.certificate_github_workflow_repository,
            ),
            (GithubField::Ref, &self.certificate_github_workflow_ref),
        ] {
            if let Some(v) = value {
                github.push((field, v.clone()));
            }
        }
        Ok(IdentityPolicy {
            identity,
            issuer,
            github,
        })
    }
}

/// An artifact named on the command line: a path, or `sha256:<hex>` when
/// no such file exists (bundles only).
pub(crate) enum ArtifactArg {
    /// A file's SHA-256, streamed.
    Digest(Digest),
    /// A file's bytes (Ed25519 keys sign messages, not digests).
    Bytes(Vec<u8>),
}

impl ArtifactArg {
    /// Reads `arg` as the key and bundle need it: raw bytes for Ed25519,
    /// else a digest with the algorithm the bundle's message digest names
    /// (SHA-384 for a P-384 key's bundle), else the key's, else SHA-256;
    /// SHA-256 for DSSE bundles.
    pub(crate) fn load(arg: &Path, key: Option<&PublicKey>, bundle: &Bundle) -> Result<Self> {
        let s = arg.to_string_lossy();
        if !arg.exists()
            && let Some(hex) = s.strip_prefix("sha256:")
        {
            let bytes = signet_types::hex::decode(hex)
                .filter(|b| b.len() == 32)
                .ok_or_else(|| anyhow!("{s} is neither a file nor a sha256:<64 hex> digest"))?;
            let d = Digest::from_bytes(DigestAlgorithm::Sha256, &bytes)
                .ok_or_else(|| anyhow!("bad digest {s}"))?;
            return Ok(Self::Digest(d));
        }
        let raw = key.is_some_and(|k| k.algorithm().digest().is_none());
        let what = if arg == Path::new("-") {
            "standard input".to_owned()
        } else {
            arg.display().to_string()
        };
        if raw {
            crate::hash::read_all(arg)
                .map(Self::Bytes)
                .with_context(|| format!("cannot read {what}"))
        } else {
            // An in-toto statement names its subjects by SHA-256.
            let alg = match &bundle.message_signature {
                None => DigestAlgorithm::Sha256,
                Some(m) => m
                    .message_digest
                    .as_ref()
                    .and_then(|h| DigestAlgorithm::from_bundle_name(&h.algorithm))
                    .or_else(|| key.and_then(|k| k.algorithm().digest()))
                    .unwrap_or(DigestAlgorithm::Sha256),
            };
            crate::hash::hash_path(arg, alg)
                .map(Self::Digest)
                .with_context(|| format!("cannot read {what}"))
        }
    }

    pub(crate) fn artifact(&self) -> Artifact<'_> {
        match self {
            Self::Digest(d) => Artifact::Digest(d),
            Self::Bytes(b) => Artifact::Bytes(b),
        }
    }
}

/// Verifies a Sigstore bundle with `--key` or the identity flags; a
/// failed check is a `VerificationFailed` (exit 1) naming the check.
pub(crate) fn verify_bundle(
    bundle: &Bundle,
    artifact: &ArtifactArg,
    key: Option<&PublicKey>,
    identity: &IdentityArgs,
    root: &TrustedRoot,
    ignore_tlog: bool,
) -> Result<Verified> {
    let policy_holder;
    let policy = match key {
        Some(k) => Policy::Key(k),
        None => {
            policy_holder = identity.policy()?;
            Policy::Identity(&policy_holder)
        }
    };
    // A key proves who signed by itself, so a key bundle without log
    // entries verifies (entries present are always checked); a certificate
    // is short-lived and needs the log.
    let options = Options {
        check_tlog: !ignore_tlog,
        require_tlog: !ignore_tlog && key.is_none(),
        require_sct: !identity.insecure_ignore_sct,
    };
    verify(bundle, artifact.artifact(), policy, root, options)
        .map_err(|f| anyhow!(VerificationFailed).context(f.to_string()))
}

/// Verifies a parsed bundle for the file (or `sha256:<hex>`) named on the
/// command line, with `--key` or the identity flags and the trust flags:
/// what `verify-blob` and `verify-blob-attestation` share.
pub(crate) fn verify_bundle_for_file(
    bundle: &Bundle,
    file: &Path,
    key: Option<&PublicKey>,
    identity: &IdentityArgs,
    trust: &TrustArgs,
    ignore_tlog: bool,
) -> Result<Verified> {
    if key.is_none() && !identity.given() {
        bail!(
            "give --key, or --certificate-identity and --certificate-oidc-issuer for a certificate (keyless) bundle"
        );
    }
    let root = trust.load()?;
    let artifact = ArtifactArg::load(file, key, bundle)?;
    verify_bundle(bundle, &artifact, key, identity, &root, ignore_tlog)
}

/// Describes what verified, on stderr.
pub(crate) fn report(v: &Verified) {
    match &v.signer {
        VerifiedSigner::Key { fingerprint } => {
            eprintln!("Signed by key sha256:{fingerprint}");
        }
        VerifiedSigner::Certificate {
            identity,
            ca,
            not_before,
            not_after,
            ..
        } => {
            eprintln!(
                "Certificate identity: {} (issuer {}), from CA {ca}, valid {} to {}",
                identity.identity,
                identity.issuer.as_deref().unwrap_or("unknown"),
                unix_to_rfc3339(*not_before),
                unix_to_rfc3339(*not_after)
            );
        }
    }
    for e in &v.tlog {
        let what = match (e.proven, e.integrated_time.is_some()) {
            (true, true) => "inclusion proof, signed checkpoint and SET",
            (true, false) => "inclusion proof and signed checkpoint",
            _ => "SET only (no inclusion proof in this bundle)",
        };
        eprintln!(
            "tlog entry {} in {} verified offline: {what}",
            e.log_index, e.log_url
        );
    }
    for t in &v.timestamps {
        eprintln!(
            "RFC 3161 timestamp {} by {} verified",
            unix_to_rfc3339(t.time),
            t.authority
        );
    }
}

/// A certificate for the signing key, issued elsewhere (an enterprise CA,
/// or Fulcio): it goes into bundles and log entries in place of the key.
#[derive(clap::Args, Clone, Debug, Default)]
pub(crate) struct CertificateArgs {
    /// The signing key's certificate (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub(crate) certificate: Option<PathBuf>,
    /// Its issuing chain, PEM, issuer first (kept in the legacy image layout).
    #[arg(long, value_name = "FILE", requires = "certificate")]
    pub(crate) certificate_chain: Option<PathBuf>,
}

/// A loaded certificate (or none: sign with the bare key).
#[derive(Debug, Default)]
pub(crate) struct SigningCert {
    /// The leaf, DER.
    pub(crate) der: Option<Vec<u8>>,
    /// The chain PEM text, as given.
    pub(crate) chain_pem: Option<String>,
}

/// PEM text of a DER certificate.
pub(crate) fn cert_pem(der: &[u8]) -> String {
    let b64 = signet_types::b64::encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

impl CertificateArgs {
    /// Reads the certificate; it must hold `key`.
    pub(crate) fn load(&self, key: &PublicKey) -> Result<SigningCert> {
        let Some(path) = &self.certificate else {
            return Ok(SigningCert::default());
        };
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read certificate {}", path.display()))?;
        let cert = if bytes.starts_with(b"-----") {
            signet_verify::x509::Cert::from_pem(&bytes)
        } else {
            signet_verify::x509::Cert::from_der(&bytes)
        }
        .map_err(|e| anyhow!("cannot use certificate {}: {e}", path.display()))?;
        let cert_key = cert
            .public_key()
            .map_err(|e| anyhow!("certificate {}: {e}", path.display()))?;
        if cert_key != key {
            bail!(
                "certificate {} is for another key than the signing key",
                path.display()
            );
        }
        let chain_pem = match &self.certificate_chain {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read certificate chain {}", p.display()))?,
            ),
            None => None,
        };
        Ok(SigningCert {
            der: Some(cert.der().to_vec()),
            chain_pem,
        })
    }
}

impl SigningCert {
    /// What a log entry names as verifier: the certificate, else the key.
    pub(crate) fn verifier_pem(&self, key: &PublicKey) -> Vec<u8> {
        match &self.der {
            Some(der) => cert_pem(der).into_bytes(),
            None => key.to_pem().into_bytes(),
        }
    }

    /// Bundle verification material: the certificate, else the key hint.
    pub(crate) fn material(&self, key: &PublicKey) -> signet_types::bundle::VerificationMaterial {
        use signet_types::bundle::{Certificate, PublicKeyIdentifier, VerificationMaterial};
        match &self.der {
            Some(der) => VerificationMaterial {
                certificate: Some(Certificate {
                    raw_bytes: der.clone(),
                }),
                ..Default::default()
            },
            None => VerificationMaterial {
                public_key: Some(PublicKeyIdentifier {
                    hint: key.key_hint(),
                }),
                ..Default::default()
            },
        }
    }
}

/// What image verification trusts: a key, or a certificate identity under
/// a trusted root; the same checks for bundle referrers and legacy layers.
pub(crate) struct Checker {
    key: Option<PublicKey>,
    identity: IdentityArgs,
    root: TrustedRoot,
    ignore_tlog: bool,
}

/// What a legacy `.sig` / `.att` layer signed.
pub(crate) enum LegacyContent<'a> {
    /// A Simple Signing payload and the signature over it.
    Message {
        /// The payload bytes.
        payload: &'a [u8],
        /// The signature.
        signature: &'a [u8],
    },
    /// A DSSE envelope (attestations).
    Dsse(&'a signet_types::bundle::Envelope),
}

/// cosign's legacy-layer annotations for certificates and log entries.
pub(crate) const CERT_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub(crate) const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
pub(crate) const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

fn image_digest(digest: &str) -> Result<Digest> {
    digest
        .strip_prefix("sha256:")
        .and_then(signet_types::hex::decode)
        .and_then(|b| Digest::from_bytes(DigestAlgorithm::Sha256, &b))
        .ok_or_else(|| anyhow!("{digest} is not a sha256 digest"))
}

impl Checker {
    /// `--key`, or the identity flags (both an identity and an issuer).
    pub(crate) fn new(
        key: Option<&str>,
        identity: &IdentityArgs,
        trust: &TrustArgs,
        ignore_tlog: bool,
    ) -> Result<Self> {
        let key = key.map(crate::keyref::load_verifier).transpose()?;
        if key.is_none() {
            identity.policy()?;
        }
        Ok(Self {
            key,
            identity: identity.clone(),
            root: trust.load()?,
            ignore_tlog,
        })
    }

    /// Who is expected, for error messages.
    pub(crate) fn expected(&self) -> String {
        match &self.key {
            Some(k) => format!("the key with SHA-256 fingerprint {}", k.fingerprint()),
            None => format!(
                "certificate identity {} from issuer {}",
                self.identity
                    .certificate_identity
                    .clone()
                    .or_else(|| self
                        .identity
                        .certificate_identity_regexp
                        .clone()
                        .map(|r| format!("/{r}/")))
                    .unwrap_or_default(),
                self.identity
                    .certificate_oidc_issuer
                    .clone()
                    .or_else(|| self
                        .identity
                        .certificate_oidc_issuer_regexp
                        .clone()
                        .map(|r| format!("/{r}/")))
                    .unwrap_or_default()
            ),
        }
    }

    /// The line cosign prints for the signature check.
    pub(crate) fn check_line(&self) -> &'static str {
        if self.key.is_some() {
            "  - The signatures were verified against the specified public key"
        } else {
            "  - The code-signing certificate was verified using trusted certificate authority certificates"
        }
    }

    /// A bundle referrer about image `digest`: the whole-bundle verifier.
    pub(crate) fn bundle(&self, bundle: &Bundle, digest: &str) -> Result<Verified> {
        let artifact = ArtifactArg::Digest(image_digest(digest)?);
        verify_bundle(
            bundle,
            &artifact,
            self.key.as_ref(),
            &self.identity,
            &self.root,
            self.ignore_tlog,
        )
    }

    /// A legacy layer, read as the v0.1 bundle its annotations amount to:
    /// the certificate annotation (leaf; chains come from the trusted
    /// root), cosign's `rekorBundle` annotation (SET), and the signature.
    pub(crate) fn legacy(
        &self,
        annotations: &std::collections::BTreeMap<String, String>,
        content: LegacyContent<'_>,
        digest: &str,
    ) -> Result<Verified> {
        use signet_types::bundle::{
            Certificate, CertificateChain, MessageSignature, PublicKeyIdentifier,
            VerificationMaterial,
        };
        let mut vm = VerificationMaterial::default();
        match annotations.get(CERT_ANNOTATION) {
            Some(pem) => {
                let cert = signet_verify::x509::Cert::from_pem(pem.as_bytes())
                    .map_err(|e| anyhow!("the certificate annotation: {e}"))?;
                vm.x509_certificate_chain = Some(CertificateChain {
                    certificates: vec![Certificate {
                        raw_bytes: cert.der().to_vec(),
                    }],
                });
            }
            None if self.key.is_none() => {
                bail!("the signature carries no certificate (signed with a bare key)")
            }
            None => vm.public_key = Some(PublicKeyIdentifier::default()),
        }
        if let Some(rb) = annotations.get(REKOR_BUNDLE_ANNOTATION) {
            let v: serde_json::Value = serde_json::from_str(rb).map_err(|e| {
                anyhow!("the {REKOR_BUNDLE_ANNOTATION} annotation is not JSON: {e}")
            })?;
            vm.tlog_entries = vec![signet_types::rekor::entry_from_legacy(&v)?];
        }
        let (message_signature, dsse_envelope, artifact) = match content {
            LegacyContent::Message { payload, signature } => (
                Some(MessageSignature {
                    message_digest: None,
                    signature: signature.to_vec(),
                }),
                None,
                if self
                    .key
                    .as_ref()
                    .is_some_and(|k| k.algorithm().digest().is_none())
                {
                    ArtifactArg::Bytes(payload.to_vec())
                } else {
                    let alg = self
                        .key
                        .as_ref()
                        .and_then(|k| k.algorithm().digest())
                        .unwrap_or(DigestAlgorithm::Sha256);
                    ArtifactArg::Digest(Digest::of(alg, payload))
                },
            ),
            LegacyContent::Dsse(env) => (
                None,
                Some(env.clone()),
                ArtifactArg::Digest(image_digest(digest)?),
            ),
        };
        let bundle = Bundle {
            media_type: "application/vnd.dev.sigstore.bundle+json;version=0.1".into(),
            verification_material: vm,
            message_signature,
            dsse_envelope,
        };
        verify_bundle(
            &bundle,
            &artifact,
            self.key.as_ref(),
            &self.identity,
            &self.root,
            self.ignore_tlog,
        )
    }
}
