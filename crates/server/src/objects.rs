//! Object stores by URL, shared by the log's tiles and the registry's blobs:
//! `s3://BUCKET[/PREFIX]` (any S3-compatible store; credentials and region
//! from the `AWS_*` environment, endpoint and extra options from the
//! config) and, for the registry, `file://DIR`.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use object_store::ObjectStore;

/// An opened store and the key prefix (empty, or ending in `/`) inside it.
pub struct Opened {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// Prefix for every key.
    pub prefix: String,
    /// For `file://`: the directory, so hot read paths can stream files
    /// with large reads instead of the store's small chunks.
    pub local_root: Option<std::path::PathBuf>,
}

/// Opens `s3://BUCKET[/PREFIX]`.
pub fn s3(url: &str, endpoint: Option<&str>, options: &[(String, String)]) -> Result<Opened> {
    let Some(rest) = url.strip_prefix("s3://") else {
        bail!("not an s3:// URL: {url:?}");
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("the storage URL {url:?} names no bucket");
    }
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
    if let Some(ep) = endpoint {
        builder = builder
            .with_endpoint(ep)
            .with_allow_http(ep.starts_with("http://"))
            .with_virtual_hosted_style_request(false);
    }
    for (k, v) in options {
        let key = k
            .parse()
            .with_context(|| format!("unknown S3 option {k:?}"))?;
        builder = builder.with_config(key, v);
    }
    let store = builder
        .build()
        .with_context(|| format!("cannot open {url}"))?;
    Ok(Opened {
        store: Arc::new(store),
        prefix: prefix_of(prefix),
        local_root: None,
    })
}

/// Opens `file://DIR` (created if missing) or `s3://...`.
pub fn open(url: &str, endpoint: Option<&str>, options: &[(String, String)]) -> Result<Opened> {
    if let Some(dir) = url.strip_prefix("file://") {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .with_context(|| format!("cannot open {dir}"))?
            .with_automatic_cleanup(true);
        return Ok(Opened {
            store: Arc::new(fs),
            prefix: String::new(),
            local_root: Some(
                std::fs::canonicalize(dir).with_context(|| format!("cannot open {dir}"))?,
            ),
        });
    }
    if url.starts_with("s3://") {
        return s3(url, endpoint, options);
    }
    bail!("unsupported storage URL {url:?}: use file://DIR or s3://BUCKET[/PREFIX]")
}

fn prefix_of(p: &str) -> String {
    let p = p.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}
