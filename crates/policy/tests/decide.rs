//! Table tests of policy evaluation: each row is (policy, artifact,
//! evidence, keys, time) → outcome and the reason it gives.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use signet_policy::{
    Artifact, ArtifactType, Claim, Evidence, KeyKind, Outcome, Policy, SignatureType, Signer,
    TrustedKey, decide,
};

const NOW: i64 = 1_800_000_000;

fn key(id: &str, kind: KeyKind, repos: &[&str]) -> TrustedKey {
    TrustedKey {
        id: id.into(),
        name: format!("{id}-name"),
        kind,
        repositories: repos.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
        revoked_at: None,
    }
}

fn sig(key_id: &str) -> Evidence {
    Evidence {
        claim: Claim::Signature {
            signature_type: SignatureType::Cosign,
        },
        signer: Signer::Key {
            key_id: key_id.into(),
        },
        time: None,
        source: "test".into(),
    }
}

fn gpg(key_id: &str) -> Evidence {
    Evidence {
        claim: Claim::Signature {
            signature_type: SignatureType::Gpg,
        },
        ..sig(key_id)
    }
}

fn cert(identity: &str, issuer: &str) -> Evidence {
    Evidence {
        signer: Signer::Certificate {
            identity: identity.into(),
            issuer: issuer.into(),
        },
        ..sig("")
    }
}

fn att(key_id: &str, predicate: &str) -> Evidence {
    Evidence {
        claim: Claim::Attestation {
            predicate_type: predicate.into(),
        },
        ..sig(key_id)
    }
}

fn policy(mode: &str, rules: &str) -> Policy {
    Policy::parse(&format!(
        "name: p\nmode: {mode}\nrepositories: [\"production/*\"]\nrules:\n{rules}"
    ))
    .unwrap()
}

const ANY_COSIGN: &str = "  - name: r\n    artifact_types: [oci]\n";
const TWO_OF: &str = "  - name: r\n    trusted_keys: [k1, k2, k3]\n    threshold: 2\n";
const LISTED: &str = "  - name: r\n    trusted_keys: [k1-name]\n";
const KEYLESS: &str = "  - name: r\n    key_requirements:\n      - type: keyless\n        certificate_identity: \"*@example.com\"\n        certificate_oidc_issuer: https://accounts.google.com\n";
const GPG: &str = "  - name: r\n    artifact_types: [rpm, generic]\n    signature_type: gpg\n";
const PROVENANCE: &str =
    "  - name: r\n    attestations: [{predicate_type: \"https://slsa.dev/provenance/v1\"}]\n";
const OPTIONAL: &str = "  - name: r\n    required: false\n";

#[test]
fn decisions() {
    let oci = ArtifactType::Oci;
    let all = ["**"];
    let keys = vec![
        key("k1", KeyKind::Cosign, &["production/*"]),
        key("k2", KeyKind::Cosign, &all),
        key("k3", KeyKind::Cosign, &["staging/*"]),
        key("g1", KeyKind::Gpg, &all),
        TrustedKey {
            expires_at: Some(NOW - 1),
            ..key("old", KeyKind::Cosign, &all)
        },
        TrustedKey {
            expires_at: Some(NOW + 3600),
            ..key("rotating", KeyKind::Cosign, &all)
        },
        TrustedKey {
            revoked_at: Some(NOW - 10),
            ..key("bad", KeyKind::Cosign, &all)
        },
    ];
    // (label, mode, rules, repository, type, evidence, outcome, reason fragment)
    #[allow(clippy::type_complexity)]
    let table: Vec<(
        &str,
        &str,
        &str,
        &str,
        ArtifactType,
        Vec<Evidence>,
        Outcome,
        &str,
    )> = vec![
        (
            "unprotected repo",
            "enforce",
            ANY_COSIGN,
            "dev/x",
            oci,
            vec![],
            Outcome::Unprotected,
            "",
        ),
        (
            "unsigned",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![],
            Outcome::Deny,
            "no accepted cosign signature",
        ),
        (
            "signed by a registered key",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("k1")],
            Outcome::Allow,
            "signed by key k1-name",
        ),
        (
            "docker covers oci",
            "enforce",
            ANY_COSIGN,
            "production/x",
            ArtifactType::Docker,
            vec![],
            Outcome::Deny,
            "no accepted",
        ),
        (
            "rule not for files",
            "enforce",
            ANY_COSIGN,
            "production/x",
            ArtifactType::Generic,
            vec![],
            Outcome::Allow,
            "",
        ),
        (
            "unregistered key",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("stranger")],
            Outcome::Deny,
            "key stranger is not registered",
        ),
        (
            "key for another repo",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("k3")],
            Outcome::Deny,
            "not registered for repository production/x",
        ),
        (
            "expired key",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("old")],
            Outcome::Deny,
            "expired",
        ),
        (
            "key in its rotation overlap",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("rotating")],
            Outcome::Allow,
            "",
        ),
        (
            "revoked key",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("bad")],
            Outcome::Deny,
            "revoked",
        ),
        (
            "gpg key for cosign rule",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("g1")],
            Outcome::Deny,
            "the rule wants cosign",
        ),
        (
            "warn mode",
            "warn",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![],
            Outcome::AllowUnmet,
            "no accepted",
        ),
        (
            "audit mode",
            "audit",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![sig("stranger")],
            Outcome::AllowUnmet,
            "not registered",
        ),
        (
            "threshold met",
            "enforce",
            TWO_OF,
            "production/x",
            oci,
            vec![sig("k1"), sig("k2")],
            Outcome::Allow,
            "k1-name, key k2-name",
        ),
        (
            "threshold: same key twice",
            "enforce",
            TWO_OF,
            "production/x",
            oci,
            vec![sig("k1"), sig("k1")],
            Outcome::Deny,
            "1 of 2 required signers",
        ),
        (
            "threshold: one out of scope",
            "enforce",
            TWO_OF,
            "production/x",
            oci,
            vec![sig("k1"), sig("k3")],
            Outcome::Deny,
            "1 of 2",
        ),
        (
            "listed by name",
            "enforce",
            LISTED,
            "production/x",
            oci,
            vec![sig("k1")],
            Outcome::Allow,
            "",
        ),
        (
            "registered but not listed",
            "enforce",
            LISTED,
            "production/x",
            oci,
            vec![sig("k2")],
            Outcome::Deny,
            "not one the rule lists",
        ),
        (
            "keyless match",
            "enforce",
            KEYLESS,
            "production/x",
            oci,
            vec![cert("alice@example.com", "https://accounts.google.com")],
            Outcome::Allow,
            "alice@example.com",
        ),
        (
            "keyless wrong domain",
            "enforce",
            KEYLESS,
            "production/x",
            oci,
            vec![cert("eve@example.com.evil", "https://accounts.google.com")],
            Outcome::Deny,
            "not one the rule accepts",
        ),
        (
            "keyless wrong issuer",
            "enforce",
            KEYLESS,
            "production/x",
            oci,
            vec![cert("alice@example.com", "https://evil.example")],
            Outcome::Deny,
            "issuer",
        ),
        (
            "keyless rule ignores keys",
            "enforce",
            KEYLESS,
            "production/x",
            oci,
            vec![sig("k1")],
            Outcome::Deny,
            "not one the rule lists",
        ),
        (
            "key rule ignores certificates",
            "enforce",
            ANY_COSIGN,
            "production/x",
            oci,
            vec![cert("alice@example.com", "https://accounts.google.com")],
            Outcome::Deny,
            "not one the rule accepts",
        ),
        (
            "gpg file signed",
            "enforce",
            GPG,
            "production/x",
            ArtifactType::Rpm,
            vec![gpg("g1")],
            Outcome::Allow,
            "",
        ),
        (
            "gpg rule, cosign signature",
            "enforce",
            GPG,
            "production/x",
            ArtifactType::Generic,
            vec![sig("k1")],
            Outcome::Deny,
            "no accepted gpg signature",
        ),
        (
            "provenance present",
            "enforce",
            PROVENANCE,
            "production/x",
            oci,
            vec![att("k1", "https://slsa.dev/provenance/v1")],
            Outcome::Allow,
            "",
        ),
        (
            "provenance absent, signature present",
            "enforce",
            PROVENANCE,
            "production/x",
            oci,
            vec![sig("k1")],
            Outcome::Deny,
            "no accepted https://slsa.dev/provenance/v1 attestation",
        ),
        (
            "other predicate",
            "enforce",
            PROVENANCE,
            "production/x",
            oci,
            vec![att("k1", "https://spdx.dev/Document")],
            Outcome::Deny,
            "provenance",
        ),
        (
            "provenance by unregistered key",
            "enforce",
            PROVENANCE,
            "production/x",
            oci,
            vec![att("stranger", "https://slsa.dev/provenance/v1")],
            Outcome::Deny,
            "not registered",
        ),
        (
            "optional rule",
            "enforce",
            OPTIONAL,
            "production/x",
            oci,
            vec![],
            Outcome::Allow,
            "no accepted",
        ),
    ];
    for (label, mode, rules, repo, ty, evidence, want, reason) in table {
        let p = policy(mode, rules);
        let d = decide(
            std::slice::from_ref(&p),
            Artifact {
                repository: repo,
                artifact_type: ty,
            },
            &evidence,
            &keys,
            NOW,
        );
        assert_eq!(d.outcome, want, "{label}: {d:?}");
        assert_eq!(d.allowed(), want != Outcome::Deny, "{label}");
        let all_reasons: String = d
            .policies
            .iter()
            .flat_map(|p| p.rules.iter().map(|r| r.reason.clone()))
            .collect::<Vec<_>>()
            .join(" | ");
        assert!(all_reasons.contains(reason), "{label}: {all_reasons}");
    }
}

#[test]
fn the_strictest_policy_wins() {
    let keys = vec![key("k1", KeyKind::Cosign, &["**"])];
    let enforce = policy("enforce", LISTED);
    let warn = Policy {
        name: "w".into(),
        ..policy("warn", TWO_OF)
    };
    let a = Artifact {
        repository: "production/x",
        artifact_type: ArtifactType::Oci,
    };
    let d = decide(
        &[enforce.clone(), warn.clone()],
        a,
        &[sig("k1")],
        &keys,
        NOW,
    );
    assert_eq!(d.outcome, Outcome::AllowUnmet);
    assert_eq!(d.warning().unwrap(), "signing policy not met: w");
    let d = decide(&[enforce, warn], a, &[], &keys, NOW);
    assert_eq!(d.outcome, Outcome::Deny);
    assert_eq!(d.reasons().len(), 2, "{:?}", d.reasons());
}
