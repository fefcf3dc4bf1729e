//! The web UI of `signet serve`: the artifacts API (paging, search, sort,
//! status per artifact, timing for 10,000 artifacts), cross-site request
//! protection, and the end-to-end browser test (`web/e2e/ui.mjs` in
//! headless Chromium with playwright-core), whose screenshots land in
//! `target/ui-screenshots/`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Instant;

use common::api::*;
use common::*;
use serde_json::{Value, json};

const POLICY: &str = r#"name: dist
description: Release files must be signed (packages carry their own signatures)
mode: enforce
repositories: ["dist/*", "shop/*"]
rules:
  - name: files
    artifact_types: [generic, oci]
    signature_type: cosign
    trusted_keys: [release-key]
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// 10,000 small images sharing one config and layer, tagged v00000…,
/// pushed by four clients.
fn push_many(api: &Api, repo: &str, n: usize) {
    let cfg = api.push_blob(repo, b"{}");
    let layer = api.push_blob(repo, b"shared layer");
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let (url, user, pass) = (api.url.clone(), api.user.clone(), api.pass.clone());
            let (repo, cfg, layer) = (repo.to_owned(), cfg.clone(), layer.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::new();
                for i in (w..n).step_by(4) {
                    let m = serde_json::to_vec(&json!({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": 12}],
                        "annotations": {"n": i.to_string()}}))
                    .unwrap();
                    let r = c
                        .put(format!("{url}/v2/{repo}/manifests/v{i:05}"))
                        .basic_auth(&user, Some(&pass))
                        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                        .body(m)
                        .send()
                        .unwrap();
                    assert_eq!(r.status(), 201);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn page(api: &Api, repo: &str, query: &str) -> (Value, f64) {
    let started = Instant::now();
    let (s, v) = api.json(
        "GET",
        &format!("/api/v1/repositories/{repo}/artifacts?{query}"),
        &Value::Null,
    );
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(s, 200, "{v}");
    (v, ms)
}

fn statuses(v: &Value) -> Vec<(String, String)> {
    v["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

struct Fixture {
    _t: tempfile::TempDir,
    server: Server,
    api: Api,
    image_digest: String,
}

/// A server with: `dist/releases` (files: one signed by release-key, one
/// unsigned under the enforced policy, one package the rule does not
/// cover), `shop/app` (a signed image and a quarantined one) and, when
/// `big`, `bulk/app` with 10,000 images.
fn fixture(big: bool, env: &[(String, String)]) -> Fixture {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().to_path_buf();
    let data = d.join("srv");
    let server = Server::start_with(&data, free_port(), env);
    let api = admin(&server, &data);
    keypair(&d, "release");
    keypair(&d, "stranger");
    api.register_key(&d, "release-key", "release.pub", &["dist/*", "shop/*"]);
    apply(&api, &d, "dist", POLICY);
    // Files.
    let put = |path: &str, bytes: &[u8]| {
        let r = api
            .req(
                "PUT",
                &format!("/api/v1/repositories/dist/releases/files/{path}"),
            )
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{path}");
    };
    std::fs::write(d.join("app-1.0.tar.zst"), b"release bits").unwrap();
    let o = run(signet(&d).env("SIGNET_PASSWORD", "pw").args([
        "sign-blob",
        "--key",
        "release.key",
        "--output-signature",
        "app.sig",
        "app-1.0.tar.zst",
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    put("app-1.0.tar.zst", b"release bits");
    put(
        "app-1.0.tar.zst.sig",
        &std::fs::read(d.join("app.sig")).unwrap(),
    );
    put("app-1.1-rc.tar.zst", b"unsigned candidate");
    put(
        "tool_1.0_amd64.deb",
        b"a package checked by apt, not by this rule",
    );
    // Images.
    let (signed, _) = api.push_image("shop/app", "v1", b"signed image");
    api.sign(&d, "release.key", &format!("shop/app@{signed}"));
    let (_held, _) = api.push_image("shop/app", "v2", b"not signed yet");
    let (_other, _) = api.push_image("shop/app", "v3", b"signed by a stranger");
    api.sign(&d, "stranger.key", "shop/app:v3");
    if big {
        push_many(&api, "bulk/app", 10_000);
    }
    Fixture {
        _t: t,
        server,
        api,
        image_digest: signed,
    }
}

#[test]
fn artifacts_api_reports_status_and_pages() {
    artifacts_api(&[]);
}

/// The same on the scaled-out database (its SQL differs in types and
/// collation from SQLite's).
#[test]
fn artifacts_api_on_postgres() {
    let Some(pg) = signet_testkit::Postgres::fresh() else {
        return signet_testkit::missing("PostgreSQL for the artifacts API");
    };
    artifacts_api(&[("SIGNET_DB".to_owned(), pg.url.clone())]);
}

fn artifacts_api(env: &[(String, String)]) {
    let f = fixture(false, env);
    let api = &f.api;
    // Files: signed, quarantined, and a package the rule does not cover;
    // detached signatures are not listed as artifacts.
    let (v, _) = page(api, "dist/releases", "sort=name");
    assert_eq!(v["type"], "generic");
    assert_eq!(v["total"], 3, "{v}");
    assert_eq!(
        statuses(&v),
        [
            ("app-1.0.tar.zst".into(), "signed".into()),
            ("app-1.1-rc.tar.zst".into(), "quarantined".into()),
            ("tool_1.0_amd64.deb".into(), "unsigned".into()),
        ]
    );
    let a = &v["artifacts"][0];
    assert_eq!(a["signers"], json!(["release-key"]));
    assert_eq!(a["policy"], "allow");
    assert!(
        v["artifacts"][1]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("dist/files"),
        "{v}"
    );
    // Images: signed, quarantined (no signature), quarantined (a stranger's
    // signature verifies against no registered key); signatures are not
    // artifacts.
    let (v, _) = page(api, "shop/app", "sort=name&order=asc");
    assert_eq!(v["total"], 3, "{v}");
    assert_eq!(
        statuses(&v),
        [
            ("v1".into(), "signed".into()),
            ("v2".into(), "quarantined".into()),
            ("v3".into(), "quarantined".into()),
        ]
    );
    assert_eq!(v["artifacts"][0]["digest"], f.image_digest);
    assert!(v["artifacts"][0]["size"].as_u64().unwrap() > 12);
    assert!(v["artifacts"][2]["checked"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["artifacts"][2]["signers"], json!([]), "{v}");
    // A reader sees that something is held, not its tags.
    let (s, _) = api.json(
        "POST",
        "/api/v1/users",
        &json!({"name": "viewer", "password": "a long enough password", "grants": ["read:**"]}),
    );
    assert_eq!(s, 201);
    let viewer = api.as_user("viewer", "a long enough password");
    let (v, _) = page(&viewer, "shop/app", "sort=digest");
    for a in v["artifacts"].as_array().unwrap() {
        if a["status"] == "quarantined" {
            assert_eq!((&a["name"], &a["tags"]), (&json!(""), &json!([])), "{a}");
        } else {
            assert_eq!(a["tags"], json!(["v1"]), "{a}");
        }
    }
    // Sorting and search.
    let (v, _) = page(api, "shop/app", "sort=name&order=desc&limit=1");
    assert_eq!(statuses(&v)[0].0, "v3");
    assert_eq!(v["total"], 3);
    let (v, _) = page(api, "shop/app", "q=V2");
    assert_eq!(statuses(&v), [("v2".into(), "quarantined".into())]);
    let (v, _) = page(api, "shop/app", "q=%25");
    assert_eq!(v["total"], 0, "a % searches for itself: {v}");
    let (v, _) = page(api, "shop/app", "sort=name&offset=2&limit=2");
    assert_eq!(statuses(&v).len(), 1);
    let (v, _) = page(api, "shop/app", "offset=50");
    assert_eq!((v["total"].as_u64(), statuses(&v).len()), (Some(3), 0));
    // Signing v2 now: the summary follows at once on this replica.
    let d = f._t.path();
    api.sign(d, "release.key", "shop/app:v2");
    let (v, _) = page(api, "shop/app", "q=v2");
    assert_eq!(statuses(&v), [("v2".into(), "signed".into())]);
    // Taking its signatures away again (the legacy `.sig` tag, then the
    // bundle referrer) quarantines it again at once.
    let v2 = v["artifacts"][0]["digest"].as_str().unwrap().to_owned();
    let sig_tag = format!("sha256-{}.sig", &v2["sha256:".len()..]);
    assert!(api.tags("shop/app").contains(&sig_tag));
    assert_eq!(
        api.status("DELETE", &format!("/v2/shop/app/manifests/{sig_tag}")),
        202
    );
    let (v, _) = page(api, "shop/app", "q=v2");
    assert_eq!(
        statuses(&v),
        [("v2".into(), "signed".into())],
        "the bundle still signs it: {v}"
    );
    let (s, index) = api.json("GET", &format!("/v2/shop/app/referrers/{v2}"), &Value::Null);
    assert_eq!(s, 200, "{index}");
    let referrers = index["manifests"].as_array().unwrap();
    assert!(!referrers.is_empty(), "{index}");
    for r in referrers {
        let d = r["digest"].as_str().unwrap();
        assert_eq!(
            api.status("DELETE", &format!("/v2/shop/app/manifests/{d}")),
            202
        );
    }
    let (v, _) = page(api, "shop/app", "q=v2");
    assert_eq!(statuses(&v), [("v2".into(), "quarantined".into())], "{v}");
    listing_follows_tags_and_indexes(api);
    // One image with its manifest.
    let (s, v) = api.json(
        "GET",
        &format!("/api/v1/repositories/shop/app/artifacts/{}", f.image_digest),
        &Value::Null,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["artifact"]["status"], "signed");
    assert_eq!(v["manifest"]["layers"][0]["size"], 12);
    // Bad requests say what is wrong.
    for (q, needle) in [
        ("sort=status", "cannot sort"),
        ("order=up", "asc nor desc"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
    ] {
        let (s, v) = api.json(
            "GET",
            &format!("/api/v1/repositories/shop/app/artifacts?{q}"),
            &Value::Null,
        );
        assert_eq!(s, 400, "{q}: {v}");
        assert!(
            v["errors"][0]["message"].as_str().unwrap().contains(needle),
            "{q}: {v}"
        );
    }
    // Readers need read access; anonymous callers are refused.
    let r = reqwest::blocking::get(format!(
        "{}/api/v1/repositories/shop/app/artifacts",
        f.server.url
    ))
    .unwrap();
    assert_eq!(r.status(), 401);
    // Policy lint (what the policy editor shows inline).
    let r = api
        .req("POST", "/api/v1/signing/policies/lint")
        .body("name: x\nmode: loud\nrepositories: [\"a/*\"]\nrules: []\n")
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"][0]["line"], 2, "{v}");
}

/// Every change to tags and indexes shows in the next page: tag moves,
/// tag deletes, an index taking its images out of the listing and giving
/// them back when it goes.
fn listing_follows_tags_and_indexes(api: &Api) {
    let repo = "lab/app";
    let (a, _) = api.push_image(repo, "alpha", b"image a");
    let (b, _) = api.push_image(repo, "bravo", b"image b");
    let rows = |q: &str| -> Vec<(String, Value)> {
        let (v, _) = page(api, repo, q);
        assert_eq!(v["total"], v["artifacts"].as_array().unwrap().len(), "{v}");
        v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["digest"].as_str().unwrap().to_owned(), r["tags"].clone()))
            .collect()
    };
    let mut want = vec![(a.clone(), json!(["alpha"])), (b.clone(), json!(["bravo"]))];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(rows("sort=digest"), want);
    let body = |d: &str| {
        api.req("GET", &format!("/v2/{repo}/manifests/{d}"))
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .unwrap()
            .bytes()
            .unwrap()
            .to_vec()
    };
    let tag = |t: &str, d: &str| {
        let r = api
            .req("PUT", &format!("/v2/{repo}/manifests/{t}"))
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(body(d))
            .send()
            .unwrap();
        assert_eq!(r.status(), 201);
    };
    // Moving alpha to b leaves a listed, untagged (it is no index's image).
    tag("alpha", &b);
    let mut want = vec![
        (a.clone(), json!([])),
        (b.clone(), json!(["alpha", "bravo"])),
    ];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(rows("sort=digest"), want);
    assert_eq!(rows("q=alpha"), [(b.clone(), json!(["alpha", "bravo"]))]);
    // An index of both: a (untagged) is now one of its images, not an
    // artifact of its own; b keeps its tags.
    let child = |d: &str| {
        json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d,
                                 "size": body(d).len(), "platform": {"architecture": "amd64", "os": "linux"}})
    };
    let index = serde_json::to_vec(&json!({"schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [child(&a), child(&b)]}))
    .unwrap();
    let i = signet_oci::sha256_digest(&index);
    let r = api
        .req("PUT", &format!("/v2/{repo}/manifests/multi"))
        .header("content-type", "application/vnd.oci.image.index.v1+json")
        .body(index)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    let mut want = vec![
        (b.clone(), json!(["alpha", "bravo"])),
        (i.clone(), json!(["multi"])),
    ];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(rows("sort=digest"), want);
    assert_eq!(
        api.status("DELETE", &format!("/v2/{repo}/manifests/alpha")),
        202
    );
    // The index gone, a is listed again.
    assert_eq!(
        api.status("DELETE", &format!("/v2/{repo}/manifests/{i}")),
        202
    );
    let mut want = vec![(a.clone(), json!([])), (b.clone(), json!(["bravo"]))];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(rows("sort=digest"), want);
    assert_eq!(
        rows("sort=name&order=desc")[0],
        (b.clone(), json!(["bravo"]))
    );
    // A search with a comma never matches across two tags.
    tag("charlie", &b);
    assert_eq!(rows("q=bravo"), [(b.clone(), json!(["bravo", "charlie"]))]);
    assert_eq!(rows("q=bravo%2Ccharlie"), []);
    assert_eq!(
        api.status("DELETE", &format!("/v2/{repo}/manifests/{b}")),
        202
    );
    assert_eq!(rows("sort=pushed"), [(a, json!([]))]);
}

/// A database from before the overview kept its rows is filled in when
/// the server starts on it.
#[test]
fn artifacts_rows_are_filled_in_for_older_databases() {
    let Some(python) = peer("python3") else {
        return;
    };
    let f = fixture(false, &[]);
    let before = page(&f.api, "shop/app", "sort=name").0["artifacts"].clone();
    assert_eq!(before.as_array().unwrap().len(), 3, "{before}");
    let Fixture { _t, server, .. } = f;
    let data = _t.path().join("srv");
    server.terminate();
    server.wait(20);
    let o = sh(
        _t.path(),
        python.to_str().unwrap(),
        &[
            "-c",
            &format!(
                "import sqlite3; c = sqlite3.connect({:?}); c.execute('DELETE FROM artifact_rows'); c.execute('DELETE FROM schema_marks'); c.commit()",
                data.join("registry.db")
            ),
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let server = Server::start_with(&data, free_port(), &[]);
    let api = admin(&server, &data);
    let after = page(&api, "shop/app", "sort=name").0["artifacts"].clone();
    assert_eq!(after, before);
}

#[test]
fn cross_site_writes_are_refused() {
    let f = fixture(false, &[]);
    let api = &f.api;
    let host = api.url.trim_start_matches("http://").to_owned();
    let key = json!({"name": "csrf", "type": "cosign",
        "public_key": std::fs::read_to_string(f._t.path().join("stranger.pub")).unwrap(),
        "repositories": ["**"]});
    // A page on another site posting with the browser's credentials.
    for (origin, site) in [
        (Some("http://evil.example"), None),
        (None, Some("cross-site")),
        (Some("http://evil.example"), Some("cross-site")),
        (Some("null"), None),
    ] {
        let mut rb = api.req("POST", "/api/v1/signing/keys").json(&key);
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        if let Some(s) = site {
            rb = rb.header("sec-fetch-site", s);
        }
        let r = rb.send().unwrap();
        assert_eq!(r.status(), 403, "{origin:?} {site:?}");
        let v: Value = r.json().unwrap();
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("cross-site"),
            "{v}"
        );
        let r = api
            .req("DELETE", "/v2/shop/app/manifests/v1")
            .header("origin", origin.unwrap_or("http://evil.example"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 403);
    }
    let (_, v) = api.json("GET", "/api/v1/signing/keys", &Value::Null);
    assert!(
        !v.to_string().contains("\"csrf\""),
        "a cross-site request changed something"
    );
    // The same request from the UI's own origin, and from a CLI, works.
    let r = api
        .req("POST", "/api/v1/signing/keys")
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .json(&key)
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    // Every write needs the token: without it, 401.
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/signing/policies", api.url))
        .body(POLICY)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    // The page itself: no secret, a strict content security policy, no
    // framing.
    let token = &api.pass;
    for path in ["/", "/ui/app.js", "/ui/app.css"] {
        let r = reqwest::blocking::get(format!("{}{path}", api.url)).unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(r.headers()["x-frame-options"], "DENY");
        let body = r.text().unwrap();
        assert!(!body.contains(token.as_str()), "{path} holds the token");
        assert!(
            !body.contains("sgn_0") && !body.contains("BEGIN ENCRYPTED"),
            "{path}"
        );
    }
}

#[test]
fn browser_end_to_end() {
    let root = workspace();
    let Some(chromium) = peer("chromium") else {
        return;
    };
    let Some(node) = peer("node") else {
        return;
    };
    if !root.join("web/node_modules/playwright-core").is_dir() {
        signet_testkit::missing("playwright-core (npm ci --prefix web)");
        return;
    }
    let started = Instant::now();
    let f = fixture(true, &[]);
    eprintln!(
        "fixture with 10,000 images: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The API page request for 10,000 artifacts, measured here as well
    // (one kept-alive client, as the browser has): the first request of
    // each sort right after a push to the repository, then pages further
    // on, then a search. Nothing is kept between changes but the rows'
    // summaries: every page is a query of its own.
    let client = reqwest::blocking::Client::new();
    let timed = |q: &str| {
        let started = Instant::now();
        let r = client
            .get(format!(
                "{}/api/v1/repositories/bulk/app/artifacts?{q}",
                f.api.url
            ))
            .basic_auth(&f.api.user, Some(&f.api.pass))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().unwrap();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        eprintln!(
            "GET artifacts?{q}: {ms:.1} ms (server {:.1} ms)",
            v["elapsed_ms"].as_f64().unwrap()
        );
        (v, ms)
    };
    let mut after_push = Vec::new();
    let mut paging = Vec::new();
    let mut total = 10_000;
    let mut pushed = Vec::new();
    for sort in [
        "sort=pushed&order=desc",
        "sort=name",
        "sort=size&order=desc",
        "sort=digest",
        "sort=pushed&order=desc",
    ] {
        total += 1;
        let (digest, _) = f.api.push_image(
            "bulk/app",
            &format!("w{total}"),
            total.to_string().as_bytes(),
        );
        let (v, ms) = timed(sort);
        assert_eq!(v["total"], total, "{sort}");
        after_push.push(ms);
        if sort.starts_with("sort=pushed") {
            // The image just pushed is listed with its tag, among the
            // newest (pushed times are in seconds).
            let (s, found) = f.api.json(
                "GET",
                &format!("/api/v1/repositories/bulk/app/artifacts?q=w{total}"),
                &Value::Null,
            );
            assert_eq!(s, 200);
            let row = &found["artifacts"][0];
            assert_eq!(row["digest"], digest.as_str(), "{found}");
            assert_eq!(row["tags"], json!([format!("w{total}")]));
            assert_eq!(row["pushed_at"], v["artifacts"][0]["pushed_at"], "{v}");
        }
        pushed.push(digest);
        for offset in [50, 5000, total - 50] {
            let (v, ms) = timed(&format!("{sort}&offset={offset}"));
            assert_eq!(v["artifacts"].as_array().unwrap().len(), 50);
            paging.push(ms);
        }
    }
    let (v, ms) = timed("q=v0999");
    assert_eq!(v["total"], 10, "{v}");
    after_push.push(ms);
    // Deleting them takes them out of the listing at once.
    for d in &pushed {
        assert_eq!(
            f.api
                .status("DELETE", &format!("/v2/bulk/app/manifests/{d}")),
            202
        );
    }
    let (v, _) = timed("sort=pushed&order=desc");
    assert_eq!(v["total"], 10_000, "{v}");
    assert!(
        v["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !pushed.contains(&a["digest"].as_str().unwrap().to_owned())),
        "{v}"
    );
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (first_median, paging_median) = (median(&mut after_push), median(&mut paging));
    eprintln!(
        "artifacts API over 10,000 images: first request after a push median {first_median:.1} ms, max {:.1} ms; further pages median {paging_median:.1} ms, max {:.1} ms",
        after_push.last().unwrap(),
        paging.last().unwrap(),
    );
    for (what, median, max) in [
        (
            "first page after a push",
            first_median,
            *after_push.last().unwrap(),
        ),
        ("further page", paging_median, *paging.last().unwrap()),
    ] {
        assert!(median <= 50.0, "{what}: median {median:.1} ms > 50 ms");
        assert!(max <= 150.0, "{what}: one took {max:.1} ms");
    }
    let shots = root.join("target/ui-screenshots");
    let o = std::process::Command::new(node)
        .current_dir(root.join("web"))
        .arg("e2e/ui.mjs")
        .env("SIGNET_URL", &f.server.url)
        .env("SIGNET_TOKEN", &f.api.pass)
        .env("SIGNET_MIXED", "dist/releases")
        .env("SIGNET_IMAGE_REPO", "shop/app")
        .env("SIGNET_IMAGE_DIGEST", &f.image_digest)
        .env("SIGNET_BIG", "bulk/app")
        .env("SIGNET_SHOTS", &shots)
        .env(
            "SIGNET_KEY_PEM",
            std::fs::read_to_string(f._t.path().join("stranger.pub")).unwrap(),
        )
        .env("CHROMIUM", chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "browser test failed:\n{stdout}\n{stderr}"
    );
    let m: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    eprintln!("browser: {m}");
    let render: Vec<f64> = m["render_ms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(render.len() >= 6);
    let worst = render.iter().copied().fold(0.0, f64::max);
    assert!(
        worst <= 300.0,
        "the 10,000-artifact page took {worst:.1} ms to render"
    );
    for s in m["shots"].as_array().unwrap() {
        let p = Path::new(s.as_str().unwrap());
        assert!(
            std::fs::metadata(p).unwrap().len() > 5_000,
            "{} is empty",
            p.display()
        );
    }
}
