//! Signing policies enforced by `signet serve`, end to end with the CLI:
//! unsigned pushes are quarantined (refused by tag, by digest, as blobs,
//! through mounts and referrers, to any client), untrusted signatures do
//! not count, trusted ones do; warn mode allows and records; generic
//! files with `.sig`/`.sig.bin`; promotions that fail copy nothing; keys
//! rotated and revoked; replicas on one PostgreSQL never serve under a
//! policy they have not seen.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::Path;

use base64::Engine;
use common::api::*;
use common::*;
use serde_json::{Value, json};

const DENIED: &str = "Signature required for repository";

const PRODUCTION: &str = r#"name: production
description: Require signed artifacts for production
mode: enforce
repositories: ["production/**"]
rules:
  - name: images
    artifact_types: [docker, oci]
    signature_type: cosign
  - name: files
    artifact_types: [generic]
    signature_type: cosign
"#;

const WARN: &str = r#"name: rollout
mode: warn
repositories: ["canary/*"]
rules:
  - name: images
    artifact_types: [oci]
  - name: files
    artifact_types: [generic]
"#;

#[test]
fn policy_lint_reports_lines() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("good.yaml"), PRODUCTION).unwrap();
    let o = run(signet(t.path()).args(["policy", "lint", "good.yaml"]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout
            .contains("ok (policy production, mode enforce, 2 rules"),
        "{}",
        o.stdout
    );
    std::fs::write(
        t.path().join("bad.yaml"),
        PRODUCTION.replace(
            "signature_type: cosign\n  - name: files",
            "signature_typ: cosign\n  - name: files",
        ),
    )
    .unwrap();
    let o = run(signet(t.path()).args(["policy", "lint", "good.yaml", "bad.yaml"]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("bad.yaml:8: rules[0]: unknown field `signature_typ`"),
        "{}",
        o.stderr
    );
    std::fs::write(
        t.path().join("bad.json"),
        r#"{"name": "x", "mode": "block", "repositories": ["a"], "rules": []}"#,
    )
    .unwrap();
    let o = run(signet(t.path()).args(["policy", "lint", "bad.json"]));
    assert_eq!(o.code, 1);
    assert!(
        o.stderr
            .contains("bad.json:1: mode: unknown variant `block`"),
        "{}",
        o.stderr
    );
    let o = run(signet(t.path()).args(["policy", "lint", "missing.yaml"]));
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(o.stderr.contains("missing.yaml"), "{}", o.stderr);
}

#[test]
fn enforcement_end_to_end() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    keypair(d, "trusted");
    keypair(d, "stranger");
    let key = api.register_key(
        d,
        "release",
        "trusted.pub",
        &["production/**", "staging/*", "canary/*"],
    );
    let key_id = key["id"].as_str().unwrap().to_owned();
    assert!(key["fingerprint"].as_str().unwrap().starts_with("sha256:"));
    // The key list and the key.
    let (s, v) = api.json("GET", "/api/v1/signing/keys", &Value::Null);
    assert_eq!(s, 200);
    assert_eq!(v["keys"][0]["name"], "release");
    assert_eq!(
        v["keys"][0]["repositories"],
        json!(["production/**", "staging/*", "canary/*"])
    );
    assert!(v["keys"][0].get("public_key").is_none());
    let (s, v) = api.json(
        "GET",
        &format!("/api/v1/signing/keys/{key_id}"),
        &Value::Null,
    );
    assert_eq!(s, 200);
    assert!(v["public_key"].as_str().unwrap().contains("PUBLIC KEY"));
    // Malformed keys are 400s that say why; a duplicate name is a 409.
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "junk", "type": "cosign", "public_key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "repositories": ["**"]}));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("public_key"),
        "{v}"
    );
    let (s, _) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "release", "type": "cosign", "public_key": std::fs::read_to_string(d.join("trusted.pub")).unwrap(), "repositories": ["**"]}));
    assert_eq!(s, 409);

    // Before any policy, nothing is enforced.
    let (unprotected, _) = api.push_image("production/app", "v0", b"before the policy");
    assert_eq!(api.pull("production/app", &unprotected).0, 200);

    apply(&api, d, "production", PRODUCTION);
    // A policy with a mistake is refused with its line.
    let (s, v) = api.json("GET", "/api/v1/signing/policies", &Value::Null);
    assert_eq!(
        (s, v["policies"][0]["name"].as_str()),
        (200, Some("production"))
    );
    let r = api
        .req("POST", "/api/v1/signing/policies")
        .body(WARN.replace("mode: warn", "mode: loud"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().unwrap();
    assert_eq!(v["errors"][0]["detail"]["problems"][0]["line"], 2, "{v}");

    // 1. Unsigned push: quarantined for everyone, by every path.
    let (digest, layer) = api.push_image("production/app", "v1", b"release one");
    let (s, body) = api.pull("production/app", "v1");
    assert_eq!(s, 403, "{body}");
    let err: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["errors"][0]["code"], "DENIED");
    assert!(
        err["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature required for repository \"production/app\""),
        "{err}"
    );
    assert_eq!(api.pull("production/app", &digest).0, 403, "by digest");
    assert_eq!(
        api.pull("production/app", &unprotected).0,
        403,
        "older unsigned images too"
    );
    let forged = api
        .req("GET", "/v2/production/app/manifests/v1")
        .header("user-agent", "cosign/v2.4.1 (linux; amd64)")
        .send()
        .unwrap();
    assert_eq!(forged.status(), 403, "a cosign User-Agent is no exemption");
    assert_eq!(
        api.status("GET", &format!("/v2/production/app/blobs/{layer}")),
        403,
        "layer blob"
    );
    assert!(
        !api.tags("production/app").contains(&"v1".to_owned()),
        "quarantined tag listed"
    );
    // The pusher may HEAD it (to sign it); a reader may not even do that.
    assert_eq!(api.status("HEAD", "/v2/production/app/manifests/v1"), 200);
    let (s, _) = api.json(
        "POST",
        "/api/v1/users",
        &json!({"name": "reader", "password": "a long enough password", "grants": ["read:**"]}),
    );
    assert_eq!(s, 201);
    let reader = api.as_user("reader", "a long enough password");
    assert_eq!(
        reader.status("HEAD", "/v2/production/app/manifests/v1"),
        403
    );
    assert_eq!(reader.pull("production/app", "v1").0, 403);
    // Mounting the layer into an unprotected repository does not happen.
    let r = api
        .req(
            "POST",
            &format!("/v2/scratch/app/blobs/uploads/?mount={layer}&from=production/app"),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 202, "mount must fall back to an upload");
    assert_eq!(
        api.status("GET", &format!("/v2/scratch/app/blobs/{layer}")),
        404
    );
    // An image that names the quarantined one as its subject is no way round.
    let cfg = api.push_blob("production/app", b"{}");
    let smuggled = api.push_blob("production/app", b"smuggled bytes");
    let m = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": smuggled, "size": 14}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": 10}}))
    .unwrap();
    let r = api
        .req("PUT", "/v2/production/app/manifests/smuggle")
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(m.clone())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let smuggle_digest = signet_oci::sha256_digest(&m);
    let (_, refs) = api.json(
        "GET",
        &format!("/v2/production/app/referrers/{digest}"),
        &Value::Null,
    );
    assert!(
        !refs.to_string().contains(&smuggle_digest),
        "unsigned referrer listed: {refs}"
    );
    assert_eq!(api.pull("production/app", &smuggle_digest).0, 403);
    assert_eq!(
        api.status("GET", &format!("/v2/production/app/blobs/{smuggled}")),
        403
    );

    let catalog = |who: &Api| {
        let (s, v) = who.json("GET", "/v2/_catalog", &Value::Null);
        assert_eq!(s, 200, "{v}");
        v["repositories"].to_string()
    };
    assert!(
        !catalog(&reader).contains("\"production/app\""),
        "a repository of quarantined images is listed"
    );
    assert!(catalog(&reader).contains("\"scratch/app\""));

    // 2. Signed with a key the server does not trust: still refused.
    api.sign(d, "stranger.key", &format!("production/app@{digest}"));
    let (s, body) = api.pull("production/app", &digest);
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("no accepted cosign signature"), "{body}");
    // The signatures themselves stay readable, so clients can verify.
    let hex = digest.trim_start_matches("sha256:");
    assert_eq!(
        api.pull("production/app", &format!("sha256-{hex}.sig")).0,
        200
    );

    // 3. Signed with the trusted key: allowed, by tag, digest and blob.
    api.sign(d, "trusted.key", &format!("production/app@{digest}"));
    let (s, body) = api.pull("production/app", "v1");
    assert_eq!(s, 200, "{body}");
    assert_eq!(api.pull("production/app", &digest).0, 200);
    assert_eq!(reader.pull("production/app", "v1").0, 200);
    assert_eq!(
        api.status("GET", &format!("/v2/production/app/blobs/{layer}")),
        200
    );
    assert!(api.tags("production/app").contains(&"v1".to_owned()));
    assert!(catalog(&reader).contains("\"production/app\""));
    let o = api.signet(
        d,
        &[
            "verify",
            "--key",
            "trusted.pub",
            &format!("{}/production/app:v1", api.host()),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A tag moved to an unsigned image is refused again (decisions are per digest).
    api.push_image("production/app", "v1", b"swapped in later");
    assert_eq!(api.pull("production/app", "v1").0, 403);
    assert_eq!(api.pull("production/app", &digest).0, 200);

    // The verification API runs the same verifier.
    let (s, v) = api.json("POST", "/api/v1/signing/verify", &json!({"artifact": {"repository": "production/app", "digest": digest}, "signature_type": "cosign"}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signer"]["key_id"], key_id.as_str());
    assert_eq!(v["signer"]["identity"], "release");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["ok"] == false),
        "the stranger's signature is a failed check: {v}"
    );
    assert!(v.get("certificate").is_none());
    let (_, v) = api.json(
        "POST",
        "/api/v1/signing/verify",
        &json!({"artifact": {"repository": "production/app", "version": "v1"}}),
    );
    assert_eq!(v["valid"], false, "{v}");
    // Dry run with the CLI.
    std::fs::write(d.join("p.yaml"), PRODUCTION).unwrap();
    let test = |artifact: &str| {
        run(signet(d).args([
            "policy",
            "test",
            "p.yaml",
            "--artifact",
            artifact,
            "--server",
            &api.url,
            "--token",
            &api.pass,
        ]))
    };
    let o = test(&format!("{}/production/app@{digest}", api.host()));
    assert_eq!((o.code, o.stdout.trim()), (0, "allow"), "{}", o.stderr);
    let o = test("production/app:v1");
    assert_eq!((o.code, o.stdout.trim()), (1, "deny"), "{}", o.stderr);
    assert!(o.stderr.contains("NOT met"), "{}", o.stderr);

    // 4. Warn mode: allowed, with a warning, and recorded.
    apply(&api, d, "rollout", WARN);
    let (canary, _) = api.push_image("canary/app", "v1", b"canary");
    let r = api
        .req("GET", "/v2/canary/app/manifests/v1")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["warning"]
            .to_str()
            .unwrap()
            .contains("signing policy not met: rollout")
    );
    let events = api.audit("canary/app");
    assert!(
        events.iter().any(|e| e["action"] == "policy.decision"
            && e["outcome"] == "warn"
            && e["subject"] == canary.as_str()),
        "{events:?}"
    );
    // ... and for a file.
    let r = api
        .req("PUT", "/api/v1/repositories/canary/dist/files/pack.zst")
        .body(vec![1u8; 1 << 20])
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = api
        .req("GET", "/api/v1/repositories/canary/dist/files/pack.zst")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["warning"]
            .to_str()
            .unwrap()
            .contains("signing policy not met: rollout")
    );
    assert!(
        api.audit("canary/dist")
            .iter()
            .any(|e| e["action"] == "policy.decision"
                && e["outcome"] == "warn"
                && e["subject"] == "pack.zst"),
        "no warn event for the file"
    );
    let events = api.audit("production/app");
    for (action, outcome) in [
        ("push", "ok"),
        ("policy.decision", "deny"),
        ("policy.decision", "allow"),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e["action"] == action && e["outcome"] == outcome && e["actor"] == "admin"),
            "no {action}/{outcome} event: {events:?}"
        );
    }

    // 5. A generic .zst file with its .sig.bin.
    std::fs::write(d.join("pack.zst"), vec![7u8; 3 << 20]).unwrap();
    let put_file = |path: &str, file: &str, sig: Option<&str>| {
        let mut rb = api
            .req(
                "PUT",
                &format!("/api/v1/repositories/production/dist/files/{path}"),
            )
            .body(std::fs::read(d.join(file)).unwrap());
        if let Some(s) = sig {
            rb = rb.header("x-signet-signature", s);
        }
        rb.send().unwrap().status().as_u16()
    };
    let get_file = |who: &Api, path: &str| {
        who.status(
            "GET",
            &format!("/api/v1/repositories/production/dist/files/{path}"),
        )
    };
    assert_eq!(put_file("pack.zst", "pack.zst", None), 201);
    assert_eq!(get_file(&api, "pack.zst"), 403);
    let listed = |who: &Api| {
        let (s, v) = who.json(
            "GET",
            "/api/v1/repositories/production/dist/files/",
            &Value::Null,
        );
        assert_eq!(s, 200, "{v}");
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(
        !listed(&reader).contains(&"pack.zst".to_owned()),
        "a quarantined file is listed"
    );
    for (key, out) in [("stranger", "bad.sig.bin"), ("trusted", "good.sig.bin")] {
        let o = run(signet(d).env("SIGNET_PASSWORD", "pw").args([
            "sign-blob",
            "--key",
            &format!("{key}.key"),
            "--output-signature",
            out,
            "pack.zst",
        ]));
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    assert_eq!(put_file("pack.zst.sig.bin", "bad.sig.bin", None), 201);
    assert_eq!(get_file(&api, "pack.zst"), 403, "untrusted .sig.bin");
    assert_eq!(put_file("pack.zst.sig.bin", "good.sig.bin", None), 201);
    assert_eq!(get_file(&reader, "pack.zst"), 200, "trusted .sig.bin");
    assert!(listed(&reader).contains(&"pack.zst".to_owned()));
    // The signature in the same request as the file (base64, as cosign's .sig).
    std::fs::write(d.join("second.zst"), b"second file").unwrap();
    let o = run(signet(d).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "trusted.key",
        "second.zst",
    ]));
    let b64 = o.stdout.trim().to_owned();
    assert!(
        base64::engine::general_purpose::STANDARD
            .decode(&b64)
            .is_ok()
    );
    assert_eq!(
        put_file("second.zst", "second.zst", Some("not base64!")),
        400
    );
    assert_eq!(
        get_file(&api, "second.zst"),
        404,
        "a refused upload stores nothing"
    );
    assert_eq!(put_file("second.zst", "second.zst", Some(&b64)), 201);
    assert_eq!(get_file(&api, "second.zst"), 200);

    // 6. Promotion: an unsigned staging image is refused and nothing is copied.
    let (staged, _) = api.push_image("staging/app", "v2", b"release two");
    let promote = |tag: &str| {
        api.json(
            "POST",
            "/api/v1/promotions",
            &json!({"from": "staging/app", "to": "production/app", "artifact": tag}),
        )
    };
    let (s, v) = promote("v2");
    assert_eq!(s, 403, "{v}");
    assert!(
        v["errors"][0]["message"].as_str().unwrap().contains(DENIED),
        "{v}"
    );
    assert_eq!(
        api.status("HEAD", &format!("/v2/production/app/manifests/{staged}")),
        404,
        "nothing copied"
    );
    assert_eq!(api.status("HEAD", "/v2/production/app/manifests/v2"), 404);
    api.sign(d, "trusted.key", &format!("staging/app@{staged}"));
    let (s, v) = promote("v2");
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        api.pull("production/app", "v2").0,
        200,
        "promoted with its signatures"
    );
    assert!(
        api.audit("production/app")
            .iter()
            .any(|e| e["action"] == "promotion" && e["subject"] == staged.as_str())
    );

    // 7. Rotation: the new key counts; with no overlap the old one stops.
    keypair(d, "next");
    let (s, v) = api.json("POST", &format!("/api/v1/signing/keys/{key_id}/rotate"), &json!({"name": "release-2", "public_key": std::fs::read_to_string(d.join("next.pub")).unwrap(), "overlap_secs": 3600}));
    assert_eq!(s, 201, "{v}");
    let next_id = v["key"]["id"].as_str().unwrap().to_owned();
    assert!(v["previous"]["expires_at"].as_i64().is_some());
    assert_eq!(
        api.pull("production/app", &digest).0,
        200,
        "old key valid in the overlap"
    );
    let (v3, _) = api.push_image("production/app", "v3", b"release three");
    api.sign(d, "next.key", &format!("production/app@{v3}"));
    assert_eq!(api.pull("production/app", "v3").0, 200);
    // 8. Revocation is immediate (cached decisions are dropped).
    let (s, _) = api.json(
        "POST",
        &format!("/api/v1/signing/keys/{key_id}/revoke"),
        &Value::Null,
    );
    assert_eq!(s, 200);
    assert_eq!(api.pull("production/app", &digest).0, 403, "revoked key");
    assert_eq!(api.pull("production/app", "v3").0, 200);
    let (s, _) = api.json(
        "DELETE",
        &format!("/api/v1/signing/keys/{next_id}"),
        &Value::Null,
    );
    assert_eq!(s, 204);
    assert_eq!(api.pull("production/app", "v3").0, 403, "deleted key");
    // Only server admins manage keys and policies.
    let (s, _) = reader.json(
        "POST",
        &format!("/api/v1/signing/keys/{next_id}/revoke"),
        &Value::Null,
    );
    assert_eq!(s, 403);
    assert_eq!(
        reader.status("DELETE", "/api/v1/signing/policies/production"),
        403
    );
    // Deleting the policy lifts enforcement.
    assert_eq!(
        api.status("DELETE", "/api/v1/signing/policies/production"),
        204
    );
    assert_eq!(api.pull("production/app", "v3").0, 200);
    let events = api.audit("");
    let _ = events;
}

#[test]
fn quarantine_expires() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    keypair(d, "trusted");
    api.register_key(d, "release", "trusted.pub", &["production/**"]);
    apply(&api, d, "production", PRODUCTION);
    let (unsigned, _) = api.push_image("production/app", "old", b"never signed");
    let (signed, _) = api.push_image("production/app", "good", b"signed");
    api.sign(d, "trusted.key", &format!("production/app@{signed}"));
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = run(signet(d)
        .args(["registry", "gc", "--grace", "0", "--quarantine-secs", "1"])
        .arg(&data));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("1 quarantined manifests deleted"),
        "{}",
        o.stdout
    );
    assert_eq!(
        api.status("HEAD", &format!("/v2/production/app/manifests/{unsigned}")),
        404
    );
    assert_eq!(api.pull("production/app", "good").0, 200);
    assert!(
        api.audit("production/app")
            .iter()
            .any(|e| e["action"] == "quarantine.expire" && e["subject"] == unsigned.as_str())
    );
}

#[test]
fn replicas_never_serve_under_a_policy_they_have_not_seen() {
    let Some(pg) = signet_testkit::Postgres::fresh() else {
        return signet_testkit::missing("PostgreSQL for the replica test");
    };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let env = vec![
        ("SIGNET_DB".to_owned(), pg.url.clone()),
        (
            "SIGNET_BLOBS".to_owned(),
            format!("file://{}", d.join("blobs").display()),
        ),
    ];
    let a_data = d.join("a");
    let a = Server::start_with(&a_data, free_port(), &env);
    let b = Server::start_with(&d.join("b"), free_port(), &env);
    let api_a = admin(&a, &a_data);
    let api_b = Api {
        url: b.url.clone(),
        ..admin(&a, &a_data)
    };
    keypair(d, "trusted");
    keypair(d, "second");
    let key = api_a.register_key(d, "release", "trusted.pub", &["production/**"]);
    api_b.register_key(d, "second", "second.pub", &["production/**"]);
    apply(&api_a, d, "production", PRODUCTION);
    let (digest, _) = api_a.push_image("production/app", "v1", b"replicated");
    api_a.sign(d, "trusted.key", &format!("production/app@{digest}"));
    // Both replicas allow it, and have cached that.
    for _ in 0..3 {
        assert_eq!(api_a.pull("production/app", "v1").0, 200);
        assert_eq!(api_b.pull("production/app", "v1").0, 200);
    }
    // B tightens the policy: two signers. A refuses on its very next request.
    apply(
        &api_b,
        d,
        "production",
        &PRODUCTION.replace(
            "signature_type: cosign\n  - name: files",
            "signature_type: cosign\n    threshold: 2\n  - name: files",
        ),
    );
    assert_eq!(api_a.pull("production/app", "v1").0, 403);
    api_b.sign(d, "second.key", &format!("production/app@{digest}"));
    assert_eq!(api_a.pull("production/app", "v1").0, 200);
    // B revokes a key: A refuses at once.
    let (s, _) = api_b.json(
        "POST",
        &format!(
            "/api/v1/signing/keys/{}/revoke",
            key["id"].as_str().unwrap()
        ),
        &Value::Null,
    );
    assert_eq!(s, 200);
    assert_eq!(api_a.pull("production/app", "v1").0, 403);
    assert_eq!(api_b.pull("production/app", "v1").0, 403);
}

#[test]
fn custody_verifies_offline_and_detects_tampering() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    keypair(d, "trusted");
    api.register_key(d, "release", "trusted.pub", &["production/**", "staging/*"]);
    apply(&api, d, "production", PRODUCTION);
    let (digest, _) = api.push_image("staging/app", "v1", b"custody");
    api.sign(d, "trusted.key", &format!("staging/app@{digest}"));
    let (s, v) = api.json(
        "POST",
        "/api/v1/promotions",
        &json!({"from": "staging/app", "to": "production/app", "artifact": "v1"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.pull("production/app", "v1").0, 200);
    let key = api
        .req("GET", "/api/v1/log/publicKey")
        .send()
        .unwrap()
        .text()
        .unwrap();
    std::fs::write(d.join("log.pub"), key).unwrap();
    // Wait until every event is in the log and under a checkpoint.
    let path = format!("/api/v1/artifacts/production/app/{digest}/custody");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (s, rec) = api.json("GET", &path, &Value::Null);
        assert_eq!(s, 200, "{rec}");
        let events = rec["events"].as_array().unwrap();
        if events.len() >= 4 && events.iter().all(|e| !e["log_entry"].is_null()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events not logged: {rec}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let custody = |extra: &[&str]| {
        run(signet(d)
            .args(["custody", "--log-key", "log.pub"])
            .args(extra))
    };
    let image = format!("{}/production/app@{digest}", api.host());
    let o = custody(&[
        &image, "--server", &api.url, "--token", &api.pass, "--output", "rec.json",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for want in [
        "promotion",
        "sign ",
        "policy.decision",
        "by admin",
        "log index",
    ] {
        assert!(o.stdout.contains(want), "no {want:?} in {}", o.stdout);
    }
    assert!(o.stderr.contains("events proven"), "{}", o.stderr);
    // By tag too; and the saved record verifies offline.
    let o = custody(&[
        &format!("{}/production/app:v1", api.host()),
        "--server",
        &api.url,
        "--token",
        &api.pass,
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = custody(&["--record", "rec.json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // A record edited after the fact fails.
    let text = std::fs::read_to_string(d.join("rec.json")).unwrap();
    std::fs::write(
        d.join("edited.json"),
        text.replacen("\"actor\":\"admin\"", "\"actor\":\"mallory\"", 1),
    )
    .unwrap();
    let o = custody(&["--record", "edited.json"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("altered after it was logged"),
        "{}",
        o.stderr
    );
    // Another log key is refused.
    keypair(d, "other");
    let o = run(signet(d).args(["custody", "--log-key", "other.pub", "--record", "rec.json"]));
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("not signed by the given log key"),
        "{}",
        o.stderr
    );
    // A row changed in the database is detected.
    let db = data.join("registry.db");
    let script = format!(
        "import sqlite3; c = sqlite3.connect({:?}); c.execute(\"UPDATE audit_events SET actor = 'mallory' WHERE action = 'promotion' AND subject = ?\", ({digest:?},)); c.commit(); print(c.total_changes)",
        db.display().to_string()
    );
    let o = sh(d, "python3", &["-c", &script]);
    assert_eq!((o.code, o.stdout.trim()), (0, "1"), "{}", o.stderr);
    let o = custody(&[&image, "--server", &api.url, "--token", &api.pass]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("altered after it was logged"),
        "{}",
        o.stderr
    );
    assert!(o.stdout.contains("by mallory"), "{}", o.stdout);
}

#[test]
fn promotions_sign_with_server_held_keys() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    keypair(d, "dev");
    api.register_key(d, "dev", "dev.pub", &["staging/*"]);
    let (s, v) = api.json(
        "POST",
        "/api/v1/signing/server-keys",
        &json!({"name": "promoter", "repositories": ["production/**"]}),
    );
    assert_eq!(s, 201, "{v}");
    std::fs::write(d.join("promoter.pub"), v["public_key"].as_str().unwrap()).unwrap();
    assert_eq!(v["metadata"]["server_held"], true);
    // The key-encryption key is a 0600 file; the database holds only
    // cosign-encrypted private keys.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("signing-kek"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let dump = sh(
        d,
        "python3",
        &[
            "-c",
            &format!(
                "import sqlite3; print('\\n'.join(r[0] for r in sqlite3.connect({:?}).execute('select encrypted_pem from server_keys')))",
                data.join("registry.db").display().to_string()
            ),
        ],
    );
    assert!(
        dump.stdout.contains("BEGIN ENCRYPTED SIGSTORE PRIVATE KEY"),
        "{}",
        dump.stdout
    );
    assert!(!dump.stdout.contains("BEGIN PRIVATE KEY"));
    // Imports: cosign's encrypted format with its password; a wrong one is a 400.
    let pem = std::fs::read_to_string(d.join("dev.key")).unwrap();
    let (s, v) = api.json("POST", "/api/v1/signing/server-keys", &json!({"name": "imported", "repositories": ["x/*"], "private_key": pem, "password": "wrong"}));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("private_key"),
        "{v}"
    );
    let (s, v) = api.json(
        "POST",
        "/api/v1/signing/server-keys",
        &json!({"name": "imported", "repositories": ["x/*"], "private_key": pem, "password": "pw"}),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(
        v["public_key"].as_str().unwrap().trim(),
        std::fs::read_to_string(d.join("dev.pub")).unwrap().trim()
    );

    apply(
        &api,
        d,
        "production",
        "name: production\nrepositories: [\"production/**\"]\nrules:\n  - name: promoted\n    trusted_keys: [promoter]\n",
    );
    let (digest, _) = api.push_image("staging/app", "v1", b"to promote");
    api.sign(d, "dev.key", &format!("staging/app@{digest}"));
    let promote = |sign_with: Option<&str>| {
        api.json("POST", "/api/v1/promotions", &json!({"from": "staging/app", "to": "production/app", "artifact": "v1", "sign_with": sign_with}))
    };
    let (s, v) = promote(None);
    assert_eq!(s, 403, "the dev signature is not the promoter's: {v}");
    assert_eq!(
        api.status("HEAD", &format!("/v2/production/app/manifests/{digest}")),
        404
    );
    let (s, v) = promote(Some("imported"));
    assert_eq!(s, 403, "a server key the policy does not list: {v}");
    let (s, v) = promote(Some("promoter"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.pull("production/app", "v1").0, 200);
    let o = api.signet(
        d,
        &[
            "verify",
            "--key",
            "promoter.pub",
            &format!("{}/production/app:v1", api.host()),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = api.signet(
        d,
        &[
            "verify",
            "--key",
            "dev.pub",
            &format!("{}/production/app:v1", api.host()),
        ],
    );
    assert_eq!(o.code, 0, "the dev signature travelled too: {}", o.stderr);
    let (s, v) = promote(Some("no-such-key"));
    assert_eq!(s, 404, "{v}");
}

#[test]
fn racing_pulls_see_only_verified_images() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = std::sync::Arc::new(admin(&server, &data));
    keypair(d, "trusted");
    keypair(d, "stranger");
    api.register_key(d, "release", "trusted.pub", &["production/**"]);
    apply(&api, d, "production", PRODUCTION);
    let (digest, _) = api.push_image("production/app", "v1", b"raced");
    // Pullers hammer the image while signatures come and go; each records
    // (when it asked, status).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = std::time::Instant::now();
    let pullers: Vec<_> = (0..4)
        .map(|_| {
            let (api, stop, digest) = (api.clone(), stop.clone(), digest.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let asked = start.elapsed();
                    let s = api.pull("production/app", &digest).0;
                    seen.push((asked, start.elapsed(), s));
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    api.sign(d, "stranger.key", &format!("production/app@{digest}"));
    let trusted_from = start.elapsed();
    api.sign(d, "trusted.key", &format!("production/app@{digest}"));
    let trusted_done = start.elapsed();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let hex = digest.trim_start_matches("sha256:");
    // `signet sign` wrote both layouts: the legacy tag and a bundle referrer.
    let (_, refs) = api.json(
        "GET",
        &format!("/v2/production/app/referrers/{digest}"),
        &Value::Null,
    );
    let referrers: Vec<String> = refs["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(referrers.len(), 2, "{refs}");
    let removing = start.elapsed();
    assert_eq!(
        api.status(
            "DELETE",
            &format!("/v2/production/app/manifests/sha256-{hex}.sig")
        ),
        202
    );
    for r in &referrers {
        assert_eq!(
            api.status("DELETE", &format!("/v2/production/app/manifests/{r}")),
            202
        );
    }
    let removed = start.elapsed();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen: Vec<_> = pullers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(seen.len() > 40, "too few pulls: {}", seen.len());
    for (asked, answered, s) in &seen {
        // Before the trusted signature existed: refused.
        if *answered < trusted_from {
            assert_eq!(*s, 403, "allowed at {asked:?} before a trusted signature");
        }
        // Between the trusted signature and its removal: allowed.
        if *asked > trusted_done && *answered < removing {
            assert_eq!(*s, 200, "refused at {asked:?} with a trusted signature");
        }
        // After the removal: refused again, cached decisions or not.
        if *asked > removed {
            assert_eq!(
                *s, 403,
                "allowed at {asked:?} after the signature was deleted"
            );
        }
    }
    assert!(seen.iter().any(|(a, _, s)| *a > trusted_done && *s == 200));
    assert!(seen.iter().any(|(a, _, s)| *a > removed && *s == 403));
}

#[test]
fn x509_keys_sign_files_under_an_x509_rule() {
    if peer("openssl").is_none() {
        return signet_testkit::missing("openssl for the x509 key test");
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    for args in [
        vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "x.key",
        ],
        vec![
            "req",
            "-new",
            "-x509",
            "-key",
            "x.key",
            "-subj",
            "/CN=release",
            "-days",
            "30",
            "-out",
            "x.crt",
        ],
    ] {
        let o = sh(d, "openssl", &args);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    std::fs::write(d.join("tool.zst"), b"a tool").unwrap();
    let o = run(signet(d).args([
        "sign-blob",
        "--key",
        "x.key",
        "--output-signature",
        "tool.zst.sig.bin",
        "tool.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    apply(
        &api,
        d,
        "certified",
        "name: certified\nrepositories: [\"certified/**\"]\nrules:\n  - name: x509\n    signature_type: x509\n",
    );
    for (path, file) in [
        ("tool.zst", "tool.zst"),
        ("tool.zst.sig.bin", "tool.zst.sig.bin"),
    ] {
        let s = api
            .req(
                "PUT",
                &format!("/api/v1/repositories/certified/tools/files/{path}"),
            )
            .body(std::fs::read(d.join(file)).unwrap())
            .send()
            .unwrap()
            .status();
        assert_eq!(s, 201);
    }
    let get = || api.status("GET", "/api/v1/repositories/certified/tools/files/tool.zst");
    assert_eq!(get(), 403, "no key registered yet");
    // The same key uploaded as a cosign key does not satisfy an x509 rule.
    let pubkey = sh(d, "openssl", &["pkey", "-in", "x.key", "-pubout"]).stdout;
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "plain", "type": "cosign", "public_key": pubkey, "repositories": ["certified/**"]}));
    assert_eq!(s, 201, "{v}");
    assert_eq!(get(), 403, "a cosign key under an x509 rule");
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "cert", "type": "x509", "public_key": "-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n", "repositories": ["certified/**"]}));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("X.509"),
        "{v}"
    );
    let cert = std::fs::read_to_string(d.join("x.crt")).unwrap();
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "cert", "type": "x509", "public_key": cert, "repositories": ["certified/**"]}));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["type"], "x509");
    assert_eq!(get(), 200);
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "pgp", "type": "gpg", "public_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n", "repositories": ["**"]}));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("OpenPGP"),
        "{v}"
    );
}

/// `type: gpg` keys: uploaded as `gpg --armor --export` writes them (the
/// API shows their OpenPGP fingerprint), counted for `signature_type: gpg`
/// rules through a file's `.asc`; the file is streamed through the
/// verifier. A signature by a key that is not registered does not count.
#[test]
fn gpg_keys_sign_packages_under_a_gpg_rule() {
    if peer("gpg").is_none() {
        return signet_testkit::missing("gpg for the OpenPGP key test");
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let home = d.join("gnupg");
    std::fs::create_dir(&home).unwrap();
    let gpg = |args: &[&str]| signet_testkit::gpg(&home, args);
    assert!(
        gpg(&[
            "--quick-gen-key",
            "Release <release@example.com>",
            "ed25519",
            "sign",
            "never"
        ])
        .status
        .success()
    );
    let cert =
        String::from_utf8(gpg(&["--armor", "--export", "release@example.com"]).stdout).unwrap();
    let colons =
        String::from_utf8(gpg(&["--with-colons", "--list-keys", "release@example.com"]).stdout)
            .unwrap();
    let fpr = colons
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .unwrap()
        .to_owned();
    // A package of 3 MiB (several chunks through the verifier).
    let pkg: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
    std::fs::write(d.join("tool_1.0_amd64.deb"), &pkg).unwrap();
    let o = gpg(&[
        "--local-user",
        "release@example.com",
        "--armor",
        "--output",
        d.join("good.asc").to_str().unwrap(),
        "--detach-sign",
        d.join("tool_1.0_amd64.deb").to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let o = run(signet(d)
        .args([
            "generate-key-pair",
            "--type",
            "pgp",
            "--output-key-prefix",
            "stranger",
        ])
        .env("SIGNET_PASSWORD", ""));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let o = run(signet(d)
        .args([
            "sign-blob",
            "--pgp-key",
            "stranger.key.asc",
            "--output-signature",
            "bad.asc",
            "tool_1.0_amd64.deb",
        ])
        .env("SIGNET_PASSWORD", ""));
    assert_eq!(o.code, 0, "{}", o.stderr);

    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    apply(
        &api,
        d,
        "packages",
        "name: packages\nmode: enforce\nrepositories: [\"debian/**\"]\nrules:\n  - name: deb\n    artifact_types: [deb]\n    signature_type: gpg\n    trusted_keys: [release]\n",
    );
    let put = |path: &str, file: &str| {
        api.req(
            "PUT",
            &format!("/api/v1/repositories/debian/main/files/{path}"),
        )
        .body(std::fs::read(d.join(file)).unwrap())
        .send()
        .unwrap()
        .status()
        .as_u16()
    };
    let get = || {
        let r = api
            .req(
                "GET",
                "/api/v1/repositories/debian/main/files/tool_1.0_amd64.deb",
            )
            .send()
            .unwrap();
        let s = r.status().as_u16();
        let body = r.bytes().unwrap();
        (s, body)
    };
    assert_eq!(put("tool_1.0_amd64.deb", "tool_1.0_amd64.deb"), 201);
    let (s, body) = get();
    assert_eq!(s, 403);
    assert!(String::from_utf8_lossy(&body).contains(DENIED));

    // Keys API: a gpg key shows its OpenPGP fingerprint; junk and
    // two-certificate uploads are refused with the reason.
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "release", "type": "gpg", "public_key": cert, "repositories": ["debian/**"]}));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["fingerprint"].as_str().unwrap(), fpr, "{v}");
    let (_, list) = api.json("GET", "/api/v1/signing/keys", &Value::Null);
    assert!(
        list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["type"] == "gpg" && k["fingerprint"] == fpr.as_str()),
        "{list}"
    );
    let two = format!(
        "{cert}{}",
        std::fs::read_to_string(d.join("stranger.pub.asc")).unwrap()
    );
    let (s, v) = api.json(
        "POST",
        "/api/v1/signing/keys",
        &json!({"name": "two", "type": "gpg", "public_key": two, "repositories": ["**"]}),
    );
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("one per key"),
        "{v}"
    );

    // A signature by a key not registered: still refused.
    assert_eq!(put("tool_1.0_amd64.deb.asc", "bad.asc"), 201);
    assert_eq!(get().0, 403, "stranger's .asc");
    // The registered key's signature (made by gpg): allowed, content intact.
    assert_eq!(put("tool_1.0_amd64.deb.asc", "good.asc"), 201);
    let (s, body) = get();
    assert_eq!(s, 200);
    assert_eq!(body.len(), pkg.len());
    // The decision names the key and the check.
    let events = api.audit("debian/main");
    let allow = events
        .iter()
        .find(|e| e["action"] == "policy.decision" && e["outcome"] == "allow")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert!(allow.to_string().contains("gpg"), "{allow}");
    // A tampered package under the same signature: refused again.
    let mut evil = pkg.clone();
    evil[12345] ^= 1;
    std::fs::write(d.join("evil.deb"), &evil).unwrap();
    assert_eq!(put("tool_1.0_amd64.deb", "evil.deb"), 201);
    assert_eq!(get().0, 403, "tampered package");

    // A key that expired (gpg made it in 2020, valid for a day): its
    // signature from that day does not count now, and the decision says
    // why.
    let old = "Old <old@example.com>";
    assert!(
        gpg(&[
            "--faked-system-time",
            "20200101T000000",
            "--quick-gen-key",
            old,
            "ed25519",
            "sign",
            "1d"
        ])
        .status
        .success()
    );
    std::fs::write(d.join("legacy_0.9_amd64.deb"), b"an old package").unwrap();
    let o = gpg(&[
        "--faked-system-time",
        "20200101T120000",
        "--local-user",
        old,
        "--armor",
        "--output",
        d.join("legacy.asc").to_str().unwrap(),
        "--detach-sign",
        d.join("legacy_0.9_amd64.deb").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let old_cert =
        String::from_utf8(gpg(&["--armor", "--export", "old@example.com"]).stdout).unwrap();
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "old", "type": "gpg", "public_key": old_cert, "repositories": ["debian/**"]}));
    assert_eq!(s, 201, "{v}");
    apply(
        &api,
        d,
        "packages",
        "name: packages\nmode: enforce\nrepositories: [\"debian/**\"]\nrules:\n  - name: deb\n    artifact_types: [deb]\n    signature_type: gpg\n    trusted_keys: [release, old]\n",
    );
    assert_eq!(put("legacy_0.9_amd64.deb", "legacy_0.9_amd64.deb"), 201);
    assert_eq!(put("legacy_0.9_amd64.deb.asc", "legacy.asc"), 201);
    let r = api
        .req(
            "GET",
            "/api/v1/repositories/debian/main/files/legacy_0.9_amd64.deb",
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 403, "a signature by an expired key");
    let events = api.audit("debian/main");
    assert!(
        events.iter().any(|e| e["action"] == "policy.decision"
            && e["subject"] == "legacy_0.9_amd64.deb"
            && e.to_string().contains("expired on 2020-01-02")),
        "{events:?}"
    );
}

/// Packages carry their own OpenPGP signatures: an RPM's header signature
/// (and the payload digest it covers) and a .deb's debsigs `_gpgorigin`
/// count for `signature_type: gpg` rules, verified by the server from the
/// stored blob; a stranger's signature or an altered payload does not.
#[test]
fn packages_carry_their_own_signatures() {
    for tool in ["rpmbuild", "dpkg-deb"] {
        if peer(tool).is_none() {
            return signet_testkit::missing(
                "rpmbuild (rpm) and dpkg-deb for the package policy test",
            );
        }
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let rpm = build_rpm(d);
    let deb = build_deb(d, "tool_1.0_all.deb");
    for prefix in ["packager", "stranger"] {
        let o = run(signet(d)
            .args([
                "generate-key-pair",
                "--type",
                "pgp",
                "--output-key-prefix",
                prefix,
            ])
            .env("SIGNET_PASSWORD", ""));
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    let signed = |key: &str, src: &Path, name: &str| {
        let out = d.join(name);
        std::fs::copy(src, &out).unwrap();
        let kind = if name.ends_with(".rpm") { "rpm" } else { "deb" };
        let o = run(signet(d)
            .args([
                kind,
                "sign",
                "--key",
                &format!("{key}.key.asc"),
                out.to_str().unwrap(),
            ])
            .env("SIGNET_PASSWORD", ""));
        assert_eq!(o.code, 0, "{}", o.stderr);
        out
    };
    let rpm_good = signed("packager", &rpm, "good.rpm");
    let rpm_bad = signed("stranger", &rpm, "bad.rpm");
    let deb_good = signed("packager", &deb, "good.deb");
    let deb_bad = signed("stranger", &deb, "bad.deb");
    let mut evil = std::fs::read(&rpm_good).unwrap();
    let n = evil.len();
    evil[n - 20] ^= 0x11;
    std::fs::write(d.join("evil.rpm"), &evil).unwrap();

    let data = d.join("srv");
    let server = Server::start(&data, free_port());
    let api = admin(&server, &data);
    apply(
        &api,
        d,
        "linux",
        "name: linux\nmode: enforce\nrepositories: [\"linux/**\"]\nrules:\n  - name: packages\n    artifact_types: [rpm, deb]\n    signature_type: gpg\n    trusted_keys: [packager]\n",
    );
    let cert = std::fs::read_to_string(d.join("packager.pub.asc")).unwrap();
    let (s, v) = api.json("POST", "/api/v1/signing/keys", &json!({"name": "packager", "type": "gpg", "public_key": cert, "repositories": ["linux/**"]}));
    assert_eq!(s, 201, "{v}");
    let put = |path: &str, file: &Path| {
        api.req(
            "PUT",
            &format!("/api/v1/repositories/linux/pool/files/{path}"),
        )
        .body(std::fs::read(file).unwrap())
        .send()
        .unwrap()
        .status()
        .as_u16()
    };
    let get = |path: &str| {
        api.status(
            "GET",
            &format!("/api/v1/repositories/linux/pool/files/{path}"),
        )
    };
    for (path, file, want) in [
        ("el9/tool.rpm", &rpm, 403),
        ("el9/tool.rpm", &rpm_bad, 403),
        ("el9/tool.rpm", &d.join("evil.rpm"), 403),
        ("el9/tool.rpm", &rpm_good, 200),
        ("deb/tool.deb", &deb, 403),
        ("deb/tool.deb", &deb_bad, 403),
        ("deb/tool.deb", &deb_good, 200),
    ] {
        assert_eq!(put(path, file), 201);
        assert_eq!(get(path), want, "{path} from {}", file.display());
    }
    // The decision records the check that passed.
    let events = api.audit("linux/pool");
    let text = serde_json::to_string(&events).unwrap();
    assert!(text.contains("header signature"), "{text}");
    assert!(text.contains("_gpgorigin"), "{text}");
    assert!(text.contains("does not match the signed header"), "{text}");
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn keyless_rules_match_certificate_identities() {
    use signet_testkit::fulcio::{TestCa, pem};
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let data = d.join("srv");
    let port = free_port();
    // First start: learn the server's log key for the trusted root.
    let server = Server::start(&data, port);
    let o = run(signet(d).args([
        "trusted-root",
        "create",
        "--tlog-url",
        &server.url,
        "-o",
        "log.json",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    drop(server);
    let ca = TestCa::new();
    let mut root: Value =
        serde_json::from_slice(&std::fs::read(d.join("log.json")).unwrap()).unwrap();
    ca.add_to(&mut root);
    std::fs::write(d.join("root.json"), serde_json::to_vec(&root).unwrap()).unwrap();
    let server = Server::start_with(
        &data,
        port,
        &[(
            "SIGNET_TRUSTED_ROOT".into(),
            d.join("root.json").display().to_string(),
        )],
    );
    let api = admin(&server, &data);
    apply(
        &api,
        d,
        "keyless",
        "name: keyless\nrepositories: [\"production/**\"]\nrules:\n  - name: release-bot\n    key_requirements:\n      - type: keyless\n        certificate_identity: \"*@acme.example\"\n        certificate_oidc_issuer: https://accounts.google.com\n",
    );
    let sign_as = |who: &str, image: &str, layout: &str| {
        if !d.join(format!("{who}.key")).exists() {
            keypair(d, who);
        }
        let key = signet_crypto::PublicKey::from_pem(
            &std::fs::read(d.join(format!("{who}.pub"))).unwrap(),
        )
        .unwrap();
        let identity = format!(
            "{who}@{}",
            if who == "eve" {
                "evil.example"
            } else {
                "acme.example"
            }
        );
        let leaf = ca.issue(
            key.spki_der(),
            &identity,
            "https://accounts.google.com",
            unix_now() - 60,
            unix_now() + 600,
            true,
        );
        std::fs::write(d.join(format!("{who}.crt")), pem(&leaf)).unwrap();
        let chain: String = ca.chain().iter().map(|c| pem(c)).collect();
        std::fs::write(d.join("chain.pem"), chain).unwrap();
        let o = api.signet(
            d,
            &[
                "sign",
                "--key",
                &format!("{who}.key"),
                "--certificate",
                &format!("{who}.crt"),
                "--certificate-chain",
                "chain.pem",
                "--tlog-url",
                &api.url,
                "--layout",
                layout,
                &format!("{}/{image}", api.host()),
            ],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
    };
    let (good, _) = api.push_image("production/app", "v1", b"keyless good");
    let (bad, _) = api.push_image("production/app", "v2", b"keyless bad");
    assert_eq!(api.pull("production/app", &good).0, 403);
    sign_as("releasebot", &format!("production/app@{good}"), "both");
    sign_as("eve", &format!("production/app@{bad}"), "both");
    // The legacy layout alone (cosign 2's `.sig` tag, the certificate and
    // rekorBundle annotations on its layer) counts too: verified offline,
    // the log's promise (SET) standing for the time of signing.
    let (legacy, _) = api.push_image("production/app", "v3", b"keyless legacy");
    sign_as("releasebot", &format!("production/app@{legacy}"), "legacy");
    let (s, body) = api.pull("production/app", &legacy);
    assert_eq!(s, 200, "{body}");
    let (legacy_eve, _) = api.push_image("production/app", "v4", b"keyless legacy eve");
    sign_as("eve", &format!("production/app@{legacy_eve}"), "legacy");
    let (s, body) = api.pull("production/app", &legacy_eve);
    assert_eq!(s, 403);
    assert!(body.contains("eve@evil.example"), "{body}");
    let (s, body) = api.pull("production/app", &good);
    assert_eq!(s, 200, "{body}");
    let (s, body) = api.pull("production/app", &bad);
    assert_eq!(s, 403);
    assert!(body.contains("eve@evil.example"), "{body}");
    let (s, v) = api.json(
        "POST",
        "/api/v1/signing/verify",
        &json!({"artifact": {"repository": "production/app", "digest": good}}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["signer"]["identity"], "releasebot@acme.example");
    assert!(
        v["signer"]["timestamp"].as_i64().is_some(),
        "the log's time: {v}"
    );
    assert!(
        v["certificate"]["valid_to"].as_i64().unwrap()
            > v["certificate"]["valid_from"].as_i64().unwrap()
    );
    assert!(
        v["certificate"]["issuer"].as_str().unwrap().len() > 3,
        "{v}"
    );
}

#[test]
fn promotions_sign_with_an_hsm_key() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let Some((module, conf)) = softhsm_token(d, "promoter") else {
        return signet_testkit::missing("SoftHSM2 and pkcs11-tool (apt softhsm2 opensc)");
    };
    let data = d.join("srv");
    let server = Server::start_with(
        &data,
        free_port(),
        &[
            ("SOFTHSM2_CONF".into(), conf.display().to_string()),
            ("SIGNET_PKCS11_MODULE_PATH".into(), module.into()),
            ("SIGNET_PKCS11_PIN".into(), "1234".into()),
        ],
    );
    let api = admin(&server, &data);
    let uri = "pkcs11:token=signet;object=promoter";
    let (s, v) = api.json("POST", "/api/v1/signing/server-keys", &json!({"name": "hsm", "repositories": ["production/**"], "pkcs11_uri": format!("{uri}?pin-value=1234")}));
    assert_eq!(s, 400, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pin-value"),
        "{v}"
    );
    let (s, v) = api.json("POST", "/api/v1/signing/server-keys", &json!({"name": "hsm", "repositories": ["production/**"], "pkcs11_uri": "pkcs11:token=signet;object=nothing"}));
    assert_eq!(s, 400, "{v}");
    let (s, v) = api.json(
        "POST",
        "/api/v1/signing/server-keys",
        &json!({"name": "hsm", "repositories": ["production/**"], "pkcs11_uri": uri}),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["metadata"]["hsm"], true);
    std::fs::write(d.join("hsm.pub"), v["public_key"].as_str().unwrap()).unwrap();
    // The token's key, as the CLI reads it.
    let o = run(signet(d).env("SOFTHSM2_CONF", &conf).args([
        "public-key",
        "--key",
        &format!("{uri}?module-path={module}"),
        "--output-file",
        "cli.pub",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("cli.pub")).unwrap().trim(),
        v["public_key"].as_str().unwrap().trim()
    );
    apply(
        &api,
        d,
        "production",
        "name: production\nrepositories: [\"production/**\"]\nrules:\n  - name: promoted\n    trusted_keys: [hsm]\n",
    );
    let (digest, _) = api.push_image("staging/app", "v1", b"through the hsm");
    let (s, v) = api.json("POST", "/api/v1/promotions", &json!({"from": "staging/app", "to": "production/app", "artifact": "v1", "sign_with": "hsm"}));
    assert_eq!(s, 200, "{v}");
    assert_eq!(api.pull("production/app", &digest).0, 200);
    let o = api.signet(
        d,
        &[
            "verify",
            "--key",
            "hsm.pub",
            &format!("{}/production/app@{digest}", api.host()),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
}
