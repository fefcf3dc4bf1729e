//! Reading files once, in constant memory: a reader thread fills a few
//! fixed buffers while this thread hashes, so disk or page-cache reads
//! overlap with SHA-256.

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::sync::mpsc::sync_channel;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use signet_crypto::digest::{Digest, DigestAlgorithm, Hasher};

/// Chunk size for reads. Three of these are in flight at most.
const CHUNK: usize = 1 << 20;
/// Below this size a file is hashed on the calling thread.
const SMALL: u64 = 4 << 20;
/// Show a progress bar for inputs at least this large (stderr a terminal).
const PROGRESS_MIN: u64 = 256 << 20;

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Hashes everything `reader` yields with a pipelined reader thread.
pub(crate) fn hash_stream<R: Read + Send>(
    mut reader: R,
    algorithm: DigestAlgorithm,
    progress: Option<&ProgressBar>,
) -> io::Result<Digest> {
    let mut hasher = Hasher::new(algorithm);
    let (full_tx, full_rx) = sync_channel::<(Vec<u8>, usize)>(2);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(3);
    for _ in 0..3 {
        // The channel has room for all three buffers.
        let _ = empty_tx.send(vec![0u8; CHUNK]);
    }
    std::thread::scope(|s| {
        let producer = s.spawn(move || -> io::Result<()> {
            while let Ok(mut buf) = empty_rx.recv() {
                let n = read_full(&mut reader, &mut buf)?;
                if n == 0 || full_tx.send((buf, n)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for (buf, n) in full_rx {
            hasher.update(&buf[..n]);
            if let Some(pb) = progress {
                pb.inc(n as u64);
            }
            let _ = empty_tx.send(buf);
        }
        producer
            .join()
            .map_err(|_| io::Error::other("reader thread panicked"))?
    })?;
    Ok(hasher.finish())
}

/// Hashes a small input on this thread with a caller-owned buffer.
pub(crate) fn hash_simple(
    reader: &mut impl Read,
    algorithm: DigestAlgorithm,
    buf: &mut [u8],
) -> io::Result<Digest> {
    let mut hasher = Hasher::new(algorithm);
    loop {
        let n = read_full(reader, buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish())
}

fn progress_bar(len: u64, label: &str) -> Option<ProgressBar> {
    if len < PROGRESS_MIN || !io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(label.to_owned());
    Some(pb)
}

/// Hashes a file (or stdin for `-`), with a progress bar when interactive.
pub(crate) fn hash_path(path: &Path, algorithm: DigestAlgorithm) -> io::Result<Digest> {
    if path == Path::new("-") {
        return hash_stream(io::stdin(), algorithm, None);
    }
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < SMALL {
        let mut buf = vec![0u8; 64 << 10];
        let mut file = file;
        return hash_simple(&mut file, algorithm, &mut buf);
    }
    let pb = progress_bar(len, "hashing");
    let digest = hash_stream(file, algorithm, pb.as_ref());
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    digest
}

/// Reads a whole input (for schemes that sign the message, like Ed25519).
pub(crate) fn read_all(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut out = Vec::new();
        io::stdin().read_to_end(&mut out)?;
        return Ok(out);
    }
    std::fs::read(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelined_equals_simple() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345)).map(|i| (i % 251) as u8).collect();
        let a = hash_stream(&data[..], DigestAlgorithm::Sha256, None).unwrap();
        let mut buf = vec![0u8; 4096];
        let b = hash_simple(&mut &data[..], DigestAlgorithm::Sha256, &mut buf).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, Digest::of(DigestAlgorithm::Sha256, &data));
        let empty = hash_stream(&b""[..], DigestAlgorithm::Sha256, None).unwrap();
        assert_eq!(empty, Digest::of(DigestAlgorithm::Sha256, b""));
    }

    #[test]
    fn read_errors_surface() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let err = hash_stream(Failing, DigestAlgorithm::Sha256, None).unwrap_err();
        assert!(err.to_string().contains("disk on fire"));
    }
}
