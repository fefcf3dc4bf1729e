//! `signet`: sign and verify blobs, keys and folders of downloads,
//! compatible with cosign and openssl.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod env;
mod fulcio;
mod hash;
mod keyref;
mod oci;
mod output;
mod pkcs11;
mod tlog;

/// Sign and verify artifacts: cosign-compatible keys and signatures.
#[derive(Parser)]
#[command(name = "signet", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a key pair: P.key (cosign's encrypted PEM) and P.pub.
    GenerateKeyPair(cmd::generate_key_pair::Args),
    /// Convert a PEM private key (PKCS#8, SEC1, PKCS#1, encrypted) to signet/cosign format.
    ImportKeyPair(cmd::import_key_pair::Args),
    /// Print the public key (PEM) of a private key, public key or HSM key.
    PublicKey(cmd::public_key::Args),
    /// Sign a file (detached signature, base64 or DER, and optionally a bundle).
    SignBlob(cmd::sign_blob::Args),
    /// Verify a file against a detached signature or a bundle.
    VerifyBlob(cmd::verify_blob::Args),
    /// Sign a container image (cosign's `sha256-<digest>.sig` layout).
    Sign(cmd::image::SignArgs),
    /// Verify a container image's signatures (exit 10 none, 11 no image, 12 none match).
    Verify(cmd::image::VerifyArgs),
    /// Attest to an image: sign an in-toto statement with a predicate (SLSA, SBOM, ...).
    Attest(cmd::image::AttestArgs),
    /// Verify an image's attestations; prints each verified DSSE envelope.
    VerifyAttestation(cmd::image::VerifyAttestationArgs),
    /// Attest to a file: a signed in-toto statement (DSSE envelope or bundle).
    AttestBlob(cmd::blob_attestation::AttestArgs),
    /// Verify a file's attestation (DSSE envelope or bundle).
    VerifyBlobAttestation(cmd::blob_attestation::VerifyArgs),
    /// Copy an image and its signatures and attestations to another registry.
    Copy(cmd::copy::Args),
    /// Save images with their signatures and attestations to a .tar.zst (signed with --key).
    Save(cmd::archive::SaveArgs),
    /// Load a saved archive into a registry, verifying it (and every image with --key) first.
    Load(cmd::archive::LoadArgs),
    /// Print the reference of an image's signature (or attestation, SBOM) tag.
    Triangulate(cmd::image::TriangulateArgs),
    /// Show the signatures, attestations and referrers attached to an image.
    Tree(cmd::image::TreeArgs),
    /// Attach a signature made elsewhere to an image.
    #[command(subcommand)]
    Attach(Attach),
    /// Download an image's signatures or attestations.
    #[command(subcommand)]
    Download(Download),
    /// Print a SLSA v1 provenance predicate for the CI run (GitHub Actions, GitLab CI).
    Provenance(cmd::blob_attestation::ProvenanceArgs),
    /// Verify every signature in a folder of downloads.
    VerifyDir(cmd::verify_dir::Args),
    /// Run the server: the OCI registry, file repositories and the
    /// transparency log (SQLite + local disk by default).
    Serve(Box<cmd::serve::Args>),
    /// Transparency logs: show, fetch, monitor, check storage.
    #[command(subcommand)]
    Log(cmd::log::Command),
    /// Registry storage: garbage collection and consistency checks.
    #[command(subcommand)]
    Registry(cmd::registry::Command),
    /// An artifact's chain of custody from signet serve, verified against its log.
    Custody(cmd::custody::Args),
    /// Debian repositories: write, sign (InRelease, Release.gpg) and verify Release files.
    #[command(subcommand)]
    Apt(cmd::apt::Command),
    /// Alpine APK packages: sign (abuild's .SIGN segment) and verify.
    #[command(subcommand)]
    Apk(cmd::apk::Command),
    /// Debian packages: sign and verify debsigs signatures (_gpgorigin).
    #[command(subcommand)]
    Deb(cmd::deb::Command),
    /// RPM packages: sign (header signature, as rpmsign) and verify.
    #[command(subcommand)]
    Rpm(cmd::rpm::Command),
    /// Signing policies: lint, apply to a server, dry-run against an artifact.
    #[command(subcommand)]
    Policy(cmd::policy::Command),
    /// Trusted roots: save the one a signet log publishes.
    #[command(subcommand)]
    TrustedRoot(cmd::trusted_root::Command),
    /// The sigstore-conformance client protocol (verify-bundle, sign-bundle).
    #[command(subcommand)]
    Conformance(cmd::conformance::Command),
    /// Print version and crypto provider facts (FIPS mode).
    Version(cmd::version::Args),
    /// List the environment variables signet reads.
    Env,
}

/// `signet attach` subcommands.
#[derive(Subcommand)]
enum Attach {
    /// Attach a signature made elsewhere (payload + signature files).
    Signature(cmd::image::AttachArgs),
}

/// `signet download` subcommands.
#[derive(Subcommand)]
enum Download {
    /// The legacy signature layers, one JSON line each.
    Signature(cmd::image::DownloadArgs),
    /// The legacy attestation layers, one JSON line each.
    Attestation(cmd::image::DownloadArgs),
}

/// An error meaning "the check ran and said no": exit code 1, not 2.
/// Invalid and malformed signatures map to 1 as well; everything else
/// (unreadable files, bad keys, bad arguments) is 2.
#[derive(Debug)]
pub(crate) struct VerificationFailed;

impl std::fmt::Display for VerificationFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("verification failed")
    }
}

impl std::error::Error for VerificationFailed {}

fn main() -> ExitCode {
    use clap::CommandFactory;
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let command = Cli::command();
    let matches = command.clone().get_matches_from(&argv);
    let argv = match cmd::serve::with_config_file(&argv, &matches, &command) {
        Ok(Some(with_file)) => with_file,
        Ok(None) => argv,
        Err(err) => {
            eprintln!("signet: {err:#}");
            return ExitCode::from(2);
        }
    };
    let cli = Cli::parse_from(argv);
    let result = match cli.command {
        Command::GenerateKeyPair(a) => cmd::generate_key_pair::run(a),
        Command::ImportKeyPair(a) => cmd::import_key_pair::run(a),
        Command::PublicKey(a) => cmd::public_key::run(a),
        Command::SignBlob(a) => cmd::sign_blob::run(a),
        Command::VerifyBlob(a) => cmd::verify_blob::run(a),
        Command::VerifyDir(a) => cmd::verify_dir::run(a),
        Command::Sign(a) => cmd::image::sign(a),
        Command::Verify(a) => cmd::image::verify(a),
        Command::Attest(a) => cmd::image::attest(a),
        Command::Triangulate(a) => cmd::image::triangulate(a),
        Command::Copy(a) => cmd::copy::run(a),
        Command::Attach(Attach::Signature(a)) => cmd::image::attach_signature(a),
        Command::Save(a) => cmd::archive::save(a),
        Command::Load(a) => cmd::archive::load(a),
        Command::Tree(a) => cmd::image::tree(a),
        Command::Download(Download::Signature(a)) => {
            cmd::image::download(a, cmd::image::Kind::Signature)
        }
        Command::Download(Download::Attestation(a)) => {
            cmd::image::download(a, cmd::image::Kind::Attestation)
        }
        Command::AttestBlob(a) => cmd::blob_attestation::attest(a),
        Command::Provenance(a) => cmd::blob_attestation::provenance(a),
        Command::VerifyBlobAttestation(a) => cmd::blob_attestation::verify(a),
        Command::VerifyAttestation(a) => cmd::image::verify_attestation(a),
        Command::Serve(a) => cmd::serve::run(*a),
        Command::Log(c) => cmd::log::run(c),
        Command::Registry(c) => cmd::registry::run(c),
        Command::Policy(c) => cmd::policy::run(c),
        Command::Apt(c) => cmd::apt::run(c),
        Command::Rpm(c) => cmd::rpm::run(c),
        Command::Deb(c) => cmd::deb::run(c),
        Command::Apk(c) => cmd::apk::run(c),
        Command::Custody(a) => cmd::custody::run(a),
        Command::TrustedRoot(c) => cmd::trusted_root::run(c),
        Command::Conformance(c) => cmd::conformance::run(c),
        Command::Version(a) => cmd::version::run(a),
        Command::Env => {
            env::print_table();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("signet: {err:#}");
            if err.chain().any(|e| e.is::<VerificationFailed>())
                || err.chain().any(|e| {
                    matches!(
                        e.downcast_ref(),
                        Some(
                            signet_crypto::Error::InvalidSignature
                                | signet_crypto::Error::SignatureFormat(_)
                        )
                    )
                })
            {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
