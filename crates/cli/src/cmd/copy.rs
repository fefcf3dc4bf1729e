//! `signet copy SRC DST`: an image (every child of an index, every blob,
//! streamed) and everything attached to it (legacy `.sig`, `.att`, `.sbom`
//! tags and Sigstore bundle referrers) from one registry to another; the
//! digests stay the same, so the signatures stay valid.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use serde_json::Value;
use signet_oci::References;
use signet_oci::reference::{Reference, signature_tag};

use super::image::{bundle_referrers, index_referrer, resolve};
use crate::oci::{Registry, RegistryArgs};

/// Arguments of `signet copy`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Copy only the image, not its signatures and attestations.
    #[arg(long)]
    only_image: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Source image.
    src: String,
    /// Destination: registry/repository, optionally with :tag (else the source tag).
    dst: String,
}

struct Side<'a> {
    reg: &'a Registry,
    repo: &'a str,
}

/// Copies manifest `digest` and all it references (children of an index,
/// config and layers of an image) and stores it by digest.
fn copy_manifest(src: &Side<'_>, dst: &Side<'_>, digest: &str) -> Result<Vec<u8>> {
    let m = src.reg.manifest(src.repo, digest)?;
    match signet_oci::references(&m.bytes).map_err(|e| anyhow!("manifest {digest}: {e}"))? {
        References::Index(children) => {
            for c in &children {
                copy_manifest(src, dst, c)?;
            }
        }
        References::Image(blobs) => {
            for (d, size) in &blobs {
                dst.reg
                    .copy_blob_from(src.reg, src.repo, dst.repo, d, *size)?;
            }
        }
    }
    let media_type = signet_oci::media_type(&m.bytes).unwrap_or(m.media_type);
    dst.reg
        .put_manifest(dst.repo, digest, &media_type, &m.bytes)?;
    Ok(m.bytes)
}

/// Copies what is attached to `digest`: legacy tags and bundle referrers.
fn copy_attached(src: &Side<'_>, dst: &Side<'_>, digest: &str) -> Result<usize> {
    let mut n = 0;
    for suffix in ["sig", "att", "sbom"] {
        let tag = signature_tag(digest, suffix);
        if let Some(m) = src.reg.find_manifest(src.repo, &tag)? {
            let bytes = copy_manifest(src, dst, &m.digest)?;
            dst.reg.put_manifest(
                dst.repo,
                &tag,
                "application/vnd.oci.image.manifest.v1+json",
                &bytes,
            )?;
            n += 1;
        }
    }
    let bundles = bundle_referrers(src.reg, src.repo, digest)?;
    for b in &bundles {
        let bytes = copy_manifest(src, dst, b)?;
        index_referrer(dst.reg, dst.repo, digest, b, &bytes)?;
        n += 1;
    }
    Ok(n)
}

pub(crate) fn run(args: Args) -> Result<ExitCode> {
    let from = Reference::parse(&args.src)?;
    let to = Reference::parse(&args.dst)?;
    if to.digest.is_some() {
        return Err(anyhow!(
            "the destination names a repository (and tag), not a digest"
        ));
    }
    let src_reg = Registry::new(&from, &args.registry)?;
    let dst_reg = Registry::new(&to, &args.registry)?;
    let digest =
        resolve(&src_reg, &from)?.ok_or_else(|| anyhow!("image tag not found: {}", args.src))?;
    let src = Side {
        reg: &src_reg,
        repo: &from.repository,
    };
    let dst = Side {
        reg: &dst_reg,
        repo: &to.repository,
    };
    let bytes = copy_manifest(&src, &dst, &digest)?;
    // The destination tag: the one given, else the source's.
    let explicit = args
        .dst
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'));
    let tag = if explicit {
        to.tag.clone()
    } else {
        from.tag.clone()
    };
    if let Some(tag) = tag {
        let v: Value = serde_json::from_slice(&bytes)?;
        let media_type = v
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("application/vnd.oci.image.manifest.v1+json");
        dst_reg.put_manifest(&to.repository, &tag, media_type, &bytes)?;
    }
    let mut attached = 0;
    if !args.only_image {
        let mut digests = vec![digest.clone()];
        digests.extend(signet_oci::index_children(&bytes));
        for d in &digests {
            attached += copy_attached(&src, &dst, d)?;
        }
    }
    eprintln!(
        "Copied {} ({digest}) to {} with {attached} signature and attestation manifests",
        args.src,
        to.name()
    );
    Ok(ExitCode::SUCCESS)
}
