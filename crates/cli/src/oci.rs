//! A small OCI distribution client for signing and verifying images: HTTP
//! Basic or Docker's token flow (a `WWW-Authenticate: Bearer` challenge is
//! answered at its realm with the credentials), credentials from options or
//! the Docker config file, HTTPS unless `--allow-insecure-registry`,
//! retries with backoff on 429 and 5xx, and size limits on what it reads.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use reqwest::StatusCode;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use signet_oci::reference::Reference;
use zeroize::Zeroizing;

use crate::env;

/// Largest manifest read (as registries limit them).
const MAX_MANIFEST: u64 = 4 << 20;
/// Largest signature payload read.
const MAX_PAYLOAD: u64 = 1 << 20;

/// Manifest media types accepted when reading.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Registry options shared by the image commands.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct RegistryArgs {
    /// Registry user name (else the Docker config file).
    #[arg(long, env = "SIGNET_REGISTRY_USERNAME")]
    registry_username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "SIGNET_REGISTRY_PASSWORD", hide_env_values = true)]
    registry_password: Option<String>,
    /// Talk plain HTTP to the registry (and accept any TLS certificate).
    #[arg(long)]
    allow_insecure_registry: bool,
    /// Extra CA certificate (PEM) to trust for the registry.
    #[arg(long, value_name = "FILE")]
    registry_cacert: Option<PathBuf>,
    /// Give up on a registry request after this many seconds.
    #[arg(
        long,
        env = "SIGNET_REGISTRY_TIMEOUT",
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    registry_timeout: u64,
}

/// A manifest as fetched.
pub(crate) struct Manifest {
    pub(crate) bytes: Vec<u8>,
    pub(crate) media_type: String,
    /// `sha256:` of the bytes.
    pub(crate) digest: String,
}

/// What a HEAD of a manifest tells.
pub(crate) struct Head {
    pub(crate) media_type: String,
    /// `sha256:` of the bytes.
    pub(crate) digest: String,
    pub(crate) size: usize,
}

/// Why a fetch found nothing.
#[derive(Debug)]
pub(crate) struct NotFound;

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not found")
    }
}
impl std::error::Error for NotFound {}

/// A client for one registry.
pub(crate) struct Registry {
    http: Http,
    base: String,
    creds: Option<(String, Zeroizing<String>)>,
    bearer: std::cell::RefCell<Option<String>>,
}

fn docker_config_creds(registry: &str) -> Result<Option<(String, Zeroizing<String>)>> {
    let path = if let Some(f) = env::get(env::REGISTRY_AUTH_FILE) {
        PathBuf::from(f)
    } else if let Some(d) = env::get(env::DOCKER_CONFIG) {
        PathBuf::from(d).join("config.json")
    } else if let Some(h) = env::get(env::HOME) {
        PathBuf::from(h).join(".docker/config.json")
    } else {
        return Ok(None);
    };
    let Ok(text) = std::fs::read(&path) else {
        return Ok(None);
    };
    let v: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    // A credential helper for this registry (credHelpers), else the
    // default store (credsStore), as docker does.
    let helper = v
        .get("credHelpers")
        .and_then(|h| h.get(registry))
        .or_else(|| v.get("credsStore"))
        .and_then(|h| h.as_str());
    if let Some(helper) = helper {
        return helper_creds(helper, registry);
    }
    let Some(auths) = v.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let wanted = [
        registry.to_owned(),
        format!("https://{registry}"),
        format!("http://{registry}"),
        if registry == "index.docker.io" {
            "https://index.docker.io/v1/".to_owned()
        } else {
            String::new()
        },
    ];
    for (k, entry) in auths {
        if !wanted
            .iter()
            .any(|w| !w.is_empty() && k.trim_end_matches('/') == w.trim_end_matches('/'))
        {
            continue;
        }
        if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .with_context(|| {
                    format!(
                        "{}: the auth entry for {k} is not base64 user:password",
                        path.display()
                    )
                })?;
            let decoded = Zeroizing::new(decoded);
            if let Some((u, p)) = decoded.split_once(':') {
                return Ok(Some((u.to_owned(), Zeroizing::new(p.to_owned()))));
            }
        }
    }
    Ok(None)
}

/// Asks `docker-credential-<helper> get` for `registry`'s credentials (the
/// protocol ECR, GCR/GAR and ACR helpers speak: the server on stdin, JSON
/// `{Username, Secret}` on stdout).
fn helper_creds(helper: &str, registry: &str) -> Result<Option<(String, Zeroizing<String>)>> {
    use std::io::Write;
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        bail!("credential helper name {helper:?} in the Docker config is not a plain name");
    }
    let program = format!("docker-credential-{helper}");
    let mut child = std::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the credential helper {program} (is it on PATH?)"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(registry.as_bytes())
            .with_context(|| format!("cannot talk to {program}"))?;
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("{program} failed"))?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&stdout);
        // "credentials not found" means: go anonymous.
        if msg.contains("not found") {
            return Ok(None);
        }
        bail!(
            "{program} get failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&stdout)
        .with_context(|| format!("{program} did not answer with JSON"))?;
    let user = v.get("Username").and_then(|u| u.as_str()).unwrap_or("");
    let secret = v.get("Secret").and_then(|u| u.as_str()).unwrap_or("");
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some((user.to_owned(), Zeroizing::new(secret.to_owned()))))
}

/// The `key="value"` parameters of a `Bearer` challenge.
fn challenge_params(h: &str) -> Option<Vec<(String, String)>> {
    let rest = h.trim().strip_prefix("Bearer ")?;
    let mut out = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        let (k, after) = s.split_once('=')?;
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], q[end + 1..].trim_start_matches([',', ' ']))
        } else {
            match after.split_once(',') {
                Some((v, n)) => (v, n.trim_start()),
                None => (after, ""),
            }
        };
        out.push((k.trim().to_owned(), v.to_owned()));
        s = next;
    }
    Some(out)
}

impl Registry {
    pub(crate) fn new(reference: &Reference, args: &RegistryArgs) -> Result<Self> {
        let mut b = Http::builder()
            .timeout(Duration::from_secs(args.registry_timeout.max(1)))
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .user_agent(concat!("signet/", env!("CARGO_PKG_VERSION")));
        if args.allow_insecure_registry {
            b = b.danger_accept_invalid_certs(true);
        }
        if let Some(ca) = &args.registry_cacert {
            let pem = std::fs::read(ca).with_context(|| format!("cannot read {}", ca.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("{} is not a PEM certificate", ca.display()))?;
            b = b.add_root_certificate(cert);
        }
        let scheme = if args.allow_insecure_registry {
            "http"
        } else {
            "https"
        };
        let creds = match (&args.registry_username, &args.registry_password) {
            (Some(u), Some(p)) => Some((u.clone(), Zeroizing::new(p.clone()))),
            (None, None) => docker_config_creds(&reference.registry)?,
            _ => bail!("give both --registry-username and --registry-password, or neither"),
        };
        Ok(Self {
            http: b.build().context("cannot build the HTTP client")?,
            base: format!("{scheme}://{}", reference.registry),
            creds,
            bearer: std::cell::RefCell::new(None),
        })
    }

    fn authed(&self, rb: RequestBuilder) -> RequestBuilder {
        if let Some(t) = self.bearer.borrow().as_ref() {
            return rb.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        match &self.creds {
            Some((u, p)) => rb.basic_auth(u, Some(p.as_str())),
            None => rb,
        }
    }

    /// Sends a request built by `make` (called again for retries), answering
    /// a Bearer challenge once and retrying 429/5xx with backoff.
    fn send(&self, make: &dyn Fn() -> RequestBuilder) -> Result<Response> {
        let mut challenged = false;
        let mut delay = Duration::from_millis(200);
        for attempt in 0.. {
            let r = self
                .authed(make())
                .send()
                .with_context(|| format!("cannot reach the registry at {}", self.base))?;
            let status = r.status();
            if status == StatusCode::UNAUTHORIZED && !challenged {
                challenged = true;
                let h = r
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                if let Some(params) = challenge_params(&h) {
                    self.fetch_token(&params)?;
                    continue;
                }
                return Ok(r);
            }
            if (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) && attempt < 4
            {
                std::thread::sleep(delay);
                delay *= 2;
                continue;
            }
            return Ok(r);
        }
        unreachable!()
    }

    fn fetch_token(&self, params: &[(String, String)]) -> Result<()> {
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.clone())
            .context("the registry's Bearer challenge has no realm")?;
        let query: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| k == "service" || k == "scope")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let url = reqwest::Url::parse_with_params(&realm, &query)
            .with_context(|| format!("the registry's token realm {realm:?} is not a URL"))?;
        let mut rb = self.http.get(url);
        if let Some((u, p)) = &self.creds {
            rb = rb.basic_auth(u, Some(p.as_str()));
        }
        let r = rb
            .send()
            .with_context(|| format!("cannot reach the token service {realm}"))?;
        if !r.status().is_success() {
            bail!(
                "the registry refused the credentials ({} from {realm}); check --registry-username/--registry-password or the Docker config",
                r.status()
            );
        }
        let v: serde_json::Value = r
            .json()
            .context("the token service answered with something other than JSON")?;
        let t = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .context("the token service gave no token")?;
        *self.bearer.borrow_mut() = Some(t.to_owned());
        Ok(())
    }

    fn url(&self, repo: &str, tail: &str) -> String {
        format!("{}/v2/{repo}/{tail}", self.base)
    }

    fn fail(&self, what: &str, r: Response) -> anyhow::Error {
        let status = r.status();
        let body = r.text().unwrap_or_default();
        let body: String = body.chars().take(300).collect();
        anyhow!("{what}: the registry answered {status}: {body}")
    }

    /// A manifest by tag or digest; `NotFound` in the chain when absent.
    pub(crate) fn manifest(&self, repo: &str, reference: &str) -> Result<Manifest> {
        let url = self.url(repo, &format!("manifests/{reference}"));
        let r = self.send(&|| self.http.get(&url).header(ACCEPT, ACCEPT_MANIFESTS))?;
        if r.status() == StatusCode::NOT_FOUND {
            return Err(anyhow!(NotFound).context(format!("{repo}:{reference}")));
        }
        if !r.status().is_success() {
            return Err(self.fail(&format!("cannot read manifest {repo}:{reference}"), r));
        }
        let media_type = r
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        let bytes = read_limited(r, MAX_MANIFEST, "manifest")?;
        let digest = signet_oci::sha256_digest(&bytes);
        if signet_oci::is_sha256_digest(reference) && digest != reference {
            bail!("the registry returned a manifest with digest {digest} for {reference}");
        }
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// The referrers index of `digest` filtered to `artifact_type`, or
    /// `None` when the registry has no referrers API (a 404).
    pub(crate) fn referrers(
        &self,
        repo: &str,
        digest: &str,
        artifact_type: &str,
    ) -> Result<Option<Vec<u8>>> {
        let url = reqwest::Url::parse_with_params(
            &self.url(repo, &format!("referrers/{digest}")),
            [("artifactType", artifact_type)],
        )
        .context("bad referrers URL")?;
        let r = self.send(&|| {
            self.http
                .get(url.clone())
                .header(ACCEPT, "application/vnd.oci.image.index.v1+json")
        })?;
        if r.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status().is_success() {
            return Err(self.fail("cannot list referrers", r));
        }
        Ok(Some(read_limited(r, MAX_MANIFEST, "referrers index")?))
    }

    /// A manifest's digest, media type and size by HEAD (what signing
    /// needs: a registry that enforces signing policies lets pushers HEAD
    /// what they have not yet signed, but not GET it); falls back to GET
    /// where a registry's HEAD omits the digest.
    pub(crate) fn head_manifest(&self, repo: &str, reference: &str) -> Result<Option<Head>> {
        let url = self.url(repo, &format!("manifests/{reference}"));
        let r = self.send(&|| self.http.head(&url).header(ACCEPT, ACCEPT_MANIFESTS))?;
        if r.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let header = |name| {
            r.headers()
                .get(name)
                .and_then(|h| h.to_str().ok())
                .map(|s| s.split(';').next().unwrap_or("").trim().to_owned())
        };
        let digest = header("docker-content-digest").filter(|d| signet_oci::is_sha256_digest(d));
        let size = header("content-length").and_then(|s| s.parse::<usize>().ok());
        match (r.status().is_success(), digest, size) {
            (true, Some(digest), Some(size)) => {
                if signet_oci::is_sha256_digest(reference) && digest != reference {
                    bail!("the registry answered digest {digest} for {reference}");
                }
                Ok(Some(Head {
                    media_type: header("content-type").unwrap_or_default(),
                    digest,
                    size,
                }))
            }
            _ => Ok(self.find_manifest(repo, reference)?.map(|m| Head {
                size: m.bytes.len(),
                digest: m.digest,
                media_type: m.media_type,
            })),
        }
    }

    /// A manifest by tag or digest, or `None` when the registry has none.
    pub(crate) fn find_manifest(&self, repo: &str, reference: &str) -> Result<Option<Manifest>> {
        match self.manifest(repo, reference) {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.chain().any(|c| c.is::<NotFound>()) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A blob, checked against its digest.
    pub(crate) fn blob(&self, repo: &str, digest: &str) -> Result<Vec<u8>> {
        let url = self.url(repo, &format!("blobs/{digest}"));
        let r = self.send(&|| self.http.get(&url))?;
        if !r.status().is_success() {
            return Err(self.fail(&format!("cannot read blob {digest}"), r));
        }
        let bytes = read_limited(r, MAX_PAYLOAD, "blob")?;
        if signet_oci::sha256_digest(&bytes) != digest {
            bail!("blob {digest} from the registry does not have that digest");
        }
        Ok(bytes)
    }

    /// Whether `repo` has blob `digest`.
    pub(crate) fn has_blob(&self, repo: &str, digest: &str) -> Result<bool> {
        let url = self.url(repo, &format!("blobs/{digest}"));
        Ok(self.send(&|| self.http.head(&url))?.status().is_success())
    }

    /// Starts an upload; returns the URL to PUT the whole blob to.
    fn start_upload(&self, repo: &str, digest: &str) -> Result<String> {
        let start = self.url(repo, "blobs/uploads/");
        let r = self.send(&|| self.http.post(&start))?;
        if r.status() != StatusCode::ACCEPTED {
            return Err(self.fail("cannot start a blob upload", r));
        }
        let loc = r
            .headers()
            .get(LOCATION)
            .and_then(|h| h.to_str().ok())
            .context("the registry gave no upload location")?
            .to_owned();
        let loc = if loc.starts_with("http") {
            loc
        } else {
            format!("{}{loc}", self.base)
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        Ok(format!("{loc}{sep}digest={digest}"))
    }

    /// Uploads a blob (POST, then PUT with the bytes) unless it is there.
    pub(crate) fn put_blob(&self, repo: &str, bytes: &[u8]) -> Result<String> {
        let digest = signet_oci::sha256_digest(bytes);
        if self.has_blob(repo, &digest)? {
            return Ok(digest);
        }
        let put = self.start_upload(repo, &digest)?;
        let body = bytes.to_vec();
        let r = self.send(&|| {
            self.http
                .put(&put)
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(body.clone())
        })?;
        if r.status() != StatusCode::CREATED {
            return Err(self.fail("cannot upload a blob", r));
        }
        Ok(digest)
    }

    /// A blob as a stream (checked by the caller).
    pub(crate) fn blob_reader(&self, repo: &str, digest: &str) -> Result<Response> {
        let url = self.url(repo, &format!("blobs/{digest}"));
        let r = self.send(&|| self.http.get(&url))?;
        if !r.status().is_success() {
            return Err(self.fail(&format!("cannot read blob {digest}"), r));
        }
        Ok(r)
    }

    /// Uploads a blob from a file (streamed) unless it is there.
    pub(crate) fn put_blob_file(
        &self,
        repo: &str,
        digest: &str,
        path: &std::path::Path,
    ) -> Result<()> {
        if self.has_blob(repo, digest)? {
            return Ok(());
        }
        let f =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let size = f.metadata()?.len();
        self.put_stream(repo, digest, reqwest::blocking::Body::sized(f, size))
    }

    /// Uploads a blob from a stream (one PUT: a stream cannot be retried);
    /// the registry checks the digest.
    fn put_stream(&self, repo: &str, digest: &str, body: reqwest::blocking::Body) -> Result<()> {
        let put = self.start_upload(repo, digest)?;
        let r = self
            .authed(
                self.http
                    .put(&put)
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .body(body),
            )
            .send()
            .with_context(|| format!("cannot upload blob {digest}"))?;
        if r.status() != StatusCode::CREATED {
            return Err(self.fail(&format!("cannot upload blob {digest}"), r));
        }
        Ok(())
    }

    /// Copies blob `digest` (`size` bytes) from `src` into `repo` here,
    /// streamed (layers may be large); the receiving registry checks the
    /// digest.
    pub(crate) fn copy_blob_from(
        &self,
        src: &Registry,
        src_repo: &str,
        repo: &str,
        digest: &str,
        size: u64,
    ) -> Result<()> {
        if self.has_blob(repo, digest)? {
            return Ok(());
        }
        let from = src.blob_reader(src_repo, digest)?;
        self.put_stream(repo, digest, reqwest::blocking::Body::sized(from, size))
    }

    /// Deletes a manifest by digest; false when the registry refuses (many
    /// do not allow deletes).
    pub(crate) fn delete_manifest(&self, repo: &str, digest: &str) -> Result<bool> {
        let url = self.url(repo, &format!("manifests/{digest}"));
        Ok(self.send(&|| self.http.delete(&url))?.status().is_success())
    }

    /// Stores a manifest under `reference` (tag or digest).
    pub(crate) fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let url = self.url(repo, &format!("manifests/{reference}"));
        let body = bytes.to_vec();
        let r = self.send(&|| {
            self.http
                .put(&url)
                .header(CONTENT_TYPE, media_type)
                .body(body.clone())
        })?;
        if r.status() != StatusCode::CREATED {
            return Err(self.fail(&format!("cannot store manifest {repo}:{reference}"), r));
        }
        Ok(())
    }
}

fn read_limited(r: Response, max: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    if r.content_length().is_some_and(|n| n > max) {
        bail!("the {what} is larger than {max} bytes; refusing it");
    }
    let mut buf = Vec::new();
    r.take(max + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("the registry cut off the {what}"))?;
    if buf.len() as u64 > max {
        bail!("the {what} is larger than {max} bytes; refusing it");
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::challenge_params;

    #[test]
    fn challenges() {
        let p = challenge_params(
            r#"Bearer realm="http://h/v2/token",service="signet",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(p[0], ("realm".into(), "http://h/v2/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull,push".into()));
        assert!(challenge_params("Basic realm=x").is_none());
        assert!(challenge_params("Bearer realm=\"unterminated").is_none());
    }
}
