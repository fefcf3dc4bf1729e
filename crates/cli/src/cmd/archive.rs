//! `signet save IMAGE... -o images.tar.zst` and `signet load ARCHIVE --to
//! REGISTRY`: images carried to air-gapped sites with everything attached
//! to them. The archive is a zstd-compressed tar of an OCI image layout
//! (`oci-layout`, `index.json`, `blobs/sha256/...`) holding each image, its
//! legacy `.sig`/`.att`/`.sbom` manifests and its bundle referrers; with
//! `--key`, `save` also writes a detached signature `ARCHIVE.sig.bin`
//! (DER, what `openssl dgst -verify` reads). `load --key` checks that
//! signature, every blob's digest and a valid image signature for every
//! image before it pushes anything.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use signet_crypto::digest::{DigestAlgorithm, Hasher};
use signet_oci::reference::{Reference, signature_tag};
use signet_oci::{References, legacy, referrer, simple_signing};

use super::image::{bundle_referrers, index_referrer, resolve};
use super::message_for;
use crate::keyref::{load_signer, load_verifier};
use crate::oci::{Registry, RegistryArgs};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Annotation on index entries of attached artifacts: which image digest
/// they belong to.
const SUBJECT: &str = "dev.signet.subject";
/// Annotation naming the legacy tag an attached manifest goes under.
const LEGACY_TAG: &str = "dev.signet.tag";

/// Arguments of `signet save`.
#[derive(clap::Args)]
pub(crate) struct SaveArgs {
    /// The archive to write (`.tar.zst`).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    /// Sign the archive: writes FILE.sig.bin beside it.
    #[arg(long)]
    key: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Images to save.
    #[arg(required = true)]
    images: Vec<String>,
}

/// Arguments of `signet load`.
#[derive(clap::Args)]
pub(crate) struct LoadArgs {
    /// Where to push: `registry[/prefix]` (repositories keep their paths).
    #[arg(long, value_name = "REGISTRY")]
    to: String,
    /// Key that must have signed the archive (ARCHIVE.sig.bin) and every image.
    #[arg(long)]
    key: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The archive from `signet save`.
    archive: PathBuf,
}

/// Writes into the tar: blobs once each, streamed and digest-checked.
struct Writer<W: std::io::Write> {
    tar: tar::Builder<W>,
    written: HashSet<String>,
}

impl<W: std::io::Write> Writer<W> {
    fn add(&mut self, digest: &str, size: u64, reader: impl Read) -> Result<()> {
        if !self.written.insert(digest.to_owned()) {
            return Ok(());
        }
        let mut h = Hasher::new(DigestAlgorithm::Sha256);
        let mut hashing = HashingReader {
            inner: reader,
            h: &mut h,
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        let path = format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"));
        self.tar
            .append_data(&mut header, &path, &mut hashing)
            .with_context(|| format!("cannot write {path} into the archive"))?;
        if format!("sha256:{}", h.finish().to_hex()) != digest {
            bail!(
                "blob {digest} from the registry does not have that digest (or its size is not {size})"
            );
        }
        Ok(())
    }

    fn add_bytes(&mut self, digest: &str, bytes: &[u8]) -> Result<()> {
        self.add(digest, bytes.len() as u64, bytes)
    }

    /// A manifest and everything it references.
    fn add_manifest(
        &mut self,
        reg: &Registry,
        repo: &str,
        digest: &str,
    ) -> Result<(Vec<u8>, String)> {
        let m = reg.manifest(repo, digest)?;
        match signet_oci::references(&m.bytes).map_err(|e| anyhow!("manifest {digest}: {e}"))? {
            References::Index(children) => {
                for c in children {
                    self.add_manifest(reg, repo, &c)?;
                }
            }
            References::Image(blobs) => {
                for (d, size) in blobs {
                    if !self.written.contains(&d) {
                        let r = reg.blob_reader(repo, &d)?;
                        self.add(&d, size, r)?;
                    }
                }
            }
        }
        self.add_bytes(digest, &m.bytes)?;
        let media_type = signet_oci::media_type(&m.bytes).unwrap_or(m.media_type);
        Ok((m.bytes, media_type))
    }
}

struct HashingReader<'a, R> {
    inner: R,
    h: &'a mut Hasher,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.h.update(&buf[..n]);
        Ok(n)
    }
}

fn entry(media_type: &str, digest: &str, size: usize, annotations: Value) -> Value {
    json!({"mediaType": media_type, "digest": digest, "size": size, "annotations": annotations})
}

pub(crate) fn save(args: SaveArgs) -> Result<ExitCode> {
    let signer = args.key.as_deref().map(load_signer).transpose()?;
    let dir = match args.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".signet-tmp-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let enc = zstd::Encoder::new(tmp.as_file().try_clone()?, 3)?;
    let mut w = Writer {
        tar: tar::Builder::new(enc),
        written: HashSet::new(),
    };
    let mut index = Vec::new();
    for image in &args.images {
        let r = Reference::parse(image)?;
        let reg = Registry::new(&r, &args.registry)?;
        let digest = resolve(&reg, &r)?.ok_or_else(|| anyhow!("image tag not found: {image}"))?;
        let (bytes, media_type) = w.add_manifest(&reg, &r.repository, &digest)?;
        let name = match &r.tag {
            Some(t) => format!("{}:{t}", r.repository),
            None => r.repository.clone(),
        };
        index.push(entry(
            &media_type,
            &digest,
            bytes.len(),
            json!({REF_NAME: name}),
        ));
        let mut digests = vec![digest.clone()];
        digests.extend(signet_oci::index_children(&bytes));
        for d in &digests {
            for suffix in ["sig", "att", "sbom"] {
                let tag = signature_tag(d, suffix);
                if let Some(m) = reg.find_manifest(&r.repository, &tag)? {
                    let (b, mt) = w.add_manifest(&reg, &r.repository, &m.digest)?;
                    index.push(entry(&mt, &m.digest, b.len(), json!({
                            REF_NAME: format!("{}:{tag}", r.repository), SUBJECT: d, LEGACY_TAG: tag,
                        })));
                }
            }
            for b in bundle_referrers(&reg, &r.repository, d)? {
                let (bytes, mt) = w.add_manifest(&reg, &r.repository, &b)?;
                let mut e = entry(
                    &mt,
                    &b,
                    bytes.len(),
                    json!({
                        REF_NAME: r.repository.clone(), SUBJECT: d,
                    }),
                );
                e["artifactType"] = json!(referrer::BUNDLE_V03);
                index.push(e);
            }
        }
    }
    let index_json = serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": index}))?;
    for (path, bytes) in [
        (
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#.as_slice(),
        ),
        ("index.json", index_json.as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        w.tar.append_data(&mut header, path, bytes)?;
    }
    let enc = w.tar.into_inner().context("cannot finish the archive")?;
    enc.finish()
        .context("cannot finish the archive")?
        .sync_all()?;
    let digest = crate::hash::hash_path(tmp.path(), DigestAlgorithm::Sha256)?;
    tmp.persist(&args.output)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if let Some(signer) = &signer {
        let sig = signer.sign(&signet_crypto::Message::Digest(digest))?;
        let path = sig_path(&args.output);
        crate::output::write_atomic(&path, &sig, 0o644, true)?;
        eprintln!("Signed the archive: {}", path.display());
    }
    eprintln!(
        "Saved {} images ({} blobs) to {} (sha256:{})",
        args.images.len(),
        w.written.len(),
        args.output.display(),
        digest.to_hex()
    );
    Ok(ExitCode::SUCCESS)
}

fn sig_path(archive: &Path) -> PathBuf {
    let mut p = archive.as_os_str().to_owned();
    p.push(".sig.bin");
    PathBuf::from(p)
}

/// An extracted layout.
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir
            .path()
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }

    fn read(&self, digest: &str) -> Result<Vec<u8>> {
        std::fs::read(self.blob_path(digest))
            .with_context(|| format!("the archive lacks blob {digest}"))
    }
}

/// Checks a legacy signature or a bundle for `digest` with `key`, reading
/// from the layout; true when one verifies.
fn signed_in_layout(
    layout: &Layout,
    index: &[Value],
    digest: &str,
    key: &signet_crypto::PublicKey,
) -> Result<bool> {
    for e in index.iter().filter(|e| e["annotations"][SUBJECT] == digest) {
        let m = layout.read(e["digest"].as_str().unwrap_or(""))?;
        if e["annotations"][LEGACY_TAG]
            .as_str()
            .is_some_and(|t| t.ends_with(".sig"))
        {
            for l in legacy::parse(&m)? {
                let (Some(sig), Ok(payload)) = (l.signature(), layout.read(&l.digest)) else {
                    continue;
                };
                let Ok(sig) =
                    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sig)
                else {
                    continue;
                };
                if key.verify(&message_for(key, &payload), &sig).is_ok()
                    && simple_signing::parse(&payload).is_ok_and(|c| c.digest == digest)
                {
                    return Ok(true);
                }
            }
        } else if e["artifactType"] == referrer::BUNDLE_V03 {
            let Ok((layer, _)) = referrer::bundle_layer(&m) else {
                continue;
            };
            let Ok(bundle) = signet_types::bundle::Bundle::from_json(&layout.read(&layer)?) else {
                continue;
            };
            let Some(env) = bundle.dsse_envelope else {
                continue;
            };
            let pae = signet_types::dsse::pae(&env.payload_type, &env.payload);
            let ok_sig = env
                .signatures
                .iter()
                .any(|s| key.verify(&message_for(key, &pae), &s.sig).is_ok());
            let st = referrer::parse_statement(&env.payload);
            if ok_sig
                && st.is_ok_and(|s| {
                    s.predicate_type == referrer::SIGN_PREDICATE
                        && s.subjects
                            .iter()
                            .any(|x| x == digest.trim_start_matches("sha256:"))
                })
            {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Pushes manifest `digest` from the layout, children and blobs first.
fn push_manifest(
    layout: &Layout,
    reg: &Registry,
    repo: &str,
    digest: &str,
) -> Result<(Vec<u8>, String)> {
    let bytes = layout.read(digest)?;
    match signet_oci::references(&bytes).map_err(|e| anyhow!("manifest {digest}: {e}"))? {
        References::Index(children) => {
            for c in children {
                push_manifest(layout, reg, repo, &c)?;
            }
        }
        References::Image(blobs) => {
            for (d, _) in blobs {
                reg.put_blob_file(repo, &d, &layout.blob_path(&d))?;
            }
        }
    }
    let mt = signet_oci::media_type(&bytes).unwrap_or_else(|| referrer::OCI_MANIFEST.to_owned());
    reg.put_manifest(repo, digest, &mt, &bytes)?;
    Ok((bytes, mt))
}

pub(crate) fn load(args: LoadArgs) -> Result<ExitCode> {
    let key = args.key.as_deref().map(load_verifier).transpose()?;
    let digest = crate::hash::hash_path(&args.archive, DigestAlgorithm::Sha256)
        .with_context(|| format!("cannot read {}", args.archive.display()))?;
    if let Some(key) = &key {
        let sp = sig_path(&args.archive);
        let sig = std::fs::read(&sp).with_context(|| {
            format!(
                "--key given but the archive's signature {} cannot be read",
                sp.display()
            )
        })?;
        if key
            .verify(&signet_crypto::Message::Digest(digest), &sig)
            .is_err()
        {
            eprintln!(
                "Error: {} is not signed by this key (or was changed); nothing was pushed",
                args.archive.display()
            );
            return Ok(ExitCode::from(1));
        }
    }
    let layout = Layout {
        dir: tempfile::tempdir().context("cannot create a temporary directory")?,
    };
    let f = std::fs::File::open(&args.archive)?;
    let dec = zstd::Decoder::new(f).context("not a zstd archive")?;
    tar::Archive::new(dec)
        .unpack(layout.dir.path())
        .with_context(|| format!("{} is not a signet save archive", args.archive.display()))?;
    // Every blob must have its digest.
    let blobs = layout.dir.path().join("blobs/sha256");
    for e in std::fs::read_dir(&blobs).with_context(|| "the archive has no blobs/sha256")? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let got = crate::hash::hash_path(&e.path(), DigestAlgorithm::Sha256)?.to_hex();
        if got != name {
            eprintln!(
                "Error: blob {name} in the archive has digest {got}: the archive was changed; nothing was pushed"
            );
            return Ok(ExitCode::from(1));
        }
    }
    let index: Value = serde_json::from_slice(
        &std::fs::read(layout.dir.path().join("index.json"))
            .context("the archive has no index.json")?,
    )
    .context("index.json is not JSON")?;
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let images: Vec<&Value> = entries
        .iter()
        .filter(|e| e["annotations"][SUBJECT].is_null())
        .collect();
    if let Some(key) = &key {
        for img in &images {
            let d = img["digest"].as_str().unwrap_or("");
            if !signed_in_layout(&layout, &entries, d, key)? {
                eprintln!(
                    "Error: image {} ({d}) carries no signature by this key; nothing was pushed",
                    img["annotations"][REF_NAME].as_str().unwrap_or("?")
                );
                return Ok(ExitCode::from(12));
            }
        }
    }
    let prefix = args.to.trim_end_matches('/');
    let (host, path_prefix) = prefix.split_once('/').unwrap_or((prefix, ""));
    let repo_of = |name: &str| -> String {
        let repo = name.split(':').next().unwrap_or(name);
        if path_prefix.is_empty() {
            repo.to_owned()
        } else {
            format!("{path_prefix}/{repo}")
        }
    };
    let probe = Reference::parse(&format!(
        "{host}/{}",
        repo_of(
            images
                .first()
                .and_then(|i| i["annotations"][REF_NAME].as_str())
                .unwrap_or("x")
        )
    ))?;
    let reg = Registry::new(&probe, &args.registry)?;
    let mut pushed = 0;
    // Images first (so subjects exist), then what is attached.
    for e in images.iter().copied().chain(
        entries
            .iter()
            .filter(|e| !e["annotations"][SUBJECT].is_null()),
    ) {
        let name = e["annotations"][REF_NAME].as_str().unwrap_or("");
        let repo = repo_of(name);
        let d = e["digest"].as_str().unwrap_or("");
        let (bytes, mt) = push_manifest(&layout, &reg, &repo, d)?;
        if let Some(tag) = e["annotations"][LEGACY_TAG].as_str() {
            reg.put_manifest(&repo, tag, &mt, &bytes)?;
        } else if e["annotations"][SUBJECT].is_null() {
            if let Some((_, tag)) = name.split_once(':') {
                reg.put_manifest(&repo, tag, &mt, &bytes)?;
            }
        } else if let Some(subject) = e["annotations"][SUBJECT].as_str() {
            index_referrer(&reg, &repo, subject, d, &bytes)?;
        }
        pushed += 1;
    }
    eprintln!(
        "Loaded {} images ({pushed} manifests) into {}",
        images.len(),
        args.to
    );
    Ok(ExitCode::SUCCESS)
}
