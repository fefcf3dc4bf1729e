//! An admin client of `signet serve` for the tests: the REST and OCI
//! calls the policy and UI tests make (Basic auth with the admin token).

use std::path::Path;

use serde_json::{Value, json};

use super::{Out, Server, run, signet};

pub struct Api {
    pub url: String,
    pub user: String,
    pub pass: String,
}

impl Api {
    pub fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    pub fn req(&self, method: &str, path: &str) -> reqwest::blocking::RequestBuilder {
        reqwest::blocking::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.url))
            .basic_auth(&self.user, Some(&self.pass))
    }

    pub fn as_user(&self, user: &str, pass: &str) -> Api {
        Api {
            url: self.url.clone(),
            user: user.into(),
            pass: pass.into(),
        }
    }

    pub fn status(&self, method: &str, path: &str) -> u16 {
        self.req(method, path).send().unwrap().status().as_u16()
    }

    pub fn json(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self.req(method, path).json(body).send().unwrap();
        let s = r.status().as_u16();
        (s, r.json().unwrap_or(Value::Null))
    }

    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let d = signet_oci::sha256_digest(bytes);
        let r = self
            .req("POST", &format!("/v2/{repo}/blobs/uploads/?digest={d}"))
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        d
    }

    /// A one-layer image tagged `tag`: (manifest digest, layer digest).
    pub fn push_image(&self, repo: &str, tag: &str, content: &[u8]) -> (String, String) {
        let cfg = self.push_blob(repo, b"{}");
        let layer = self.push_blob(repo, content);
        let m = serde_json::to_vec(&json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": content.len()}]}))
        .unwrap();
        let r = self
            .req("PUT", &format!("/v2/{repo}/manifests/{tag}"))
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(m.clone())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().unwrap());
        (signet_oci::sha256_digest(&m), layer)
    }

    /// GET of a manifest: (status, body text).
    pub fn pull(&self, repo: &str, reference: &str) -> (u16, String) {
        let r = self
            .req("GET", &format!("/v2/{repo}/manifests/{reference}"))
            .header("accept", "application/vnd.oci.image.manifest.v1+json")
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    pub fn tags(&self, repo: &str) -> Vec<String> {
        let (_, v) = self.json("GET", &format!("/v2/{repo}/tags/list"), &Value::Null);
        v["tags"]
            .as_array()
            .map(|a| a.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    pub fn signet(&self, dir: &Path, args: &[&str]) -> Out {
        run(signet(dir).env("SIGNET_PASSWORD", "pw").args(args).args([
            "--allow-insecure-registry",
            "--registry-username",
            &self.user,
            "--registry-password",
            &self.pass,
        ]))
    }

    pub fn sign(&self, dir: &Path, key: &str, image: &str) {
        let o = self.signet(
            dir,
            &["sign", "--key", key, &format!("{}/{image}", self.host())],
        );
        assert_eq!(o.code, 0, "sign {image} with {key}: {}", o.stderr);
    }

    pub fn register_key(&self, dir: &Path, name: &str, file: &str, repos: &[&str]) -> Value {
        let pem = std::fs::read_to_string(dir.join(file)).unwrap();
        let (s, v) = self.json(
            "POST",
            "/api/v1/signing/keys",
            &json!({"name": name, "type": "cosign", "public_key": pem, "repositories": repos,
                    "metadata": {"team": "release"}}),
        );
        assert_eq!(s, 201, "{v}");
        v
    }

    pub fn audit(&self, repo: &str) -> Vec<Value> {
        let (s, v) = self.json(
            "GET",
            &format!("/api/v1/audit?repository={repo}&limit=1000"),
            &Value::Null,
        );
        assert_eq!(s, 200, "{v}");
        v["events"].as_array().unwrap().clone()
    }
}

pub fn admin(server: &Server, data: &Path) -> Api {
    Api {
        url: server.url.clone(),
        user: "admin".into(),
        pass: std::fs::read_to_string(data.join("admin-token"))
            .unwrap()
            .trim()
            .to_owned(),
    }
}

pub fn apply(api: &Api, dir: &Path, name: &str, text: &str) {
    let f = dir.join(format!("{name}.yaml"));
    std::fs::write(&f, text).unwrap();
    let o = run(signet(dir).args([
        "policy",
        "apply",
        f.to_str().unwrap(),
        "--server",
        &api.url,
        "--token",
        &api.pass,
    ]));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains(&format!("policy {name} version")),
        "{}",
        o.stdout
    );
}
