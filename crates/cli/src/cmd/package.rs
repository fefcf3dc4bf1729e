//! What the package commands (`rpm`, `deb`, `apk`) share: replacing a
//! package only once its signed copy is complete, and verifying a list of
//! packages with one line each.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};

use crate::VerificationFailed;

/// Writes the signed copy of `source` with `write` into a temporary file
/// beside `target`, gives it `source`'s mode (a temporary file is 0600),
/// and renames it over `target`: readers see the old or the new package,
/// never half of one.
pub(crate) fn replace(
    source: &Path,
    target: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    write(tmp.as_file_mut()).with_context(|| format!("writing the signed {}", source.display()))?;
    let perms = std::fs::metadata(source)
        .with_context(|| format!("cannot read {}", source.display()))?
        .permissions();
    tmp.as_file().set_permissions(perms)?;
    tmp.as_file().sync_all()?;
    tmp.persist(target)
        .with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(())
}

/// Runs `one` on every package and prints its line; a failed verification
/// counts (exit 1 at the end), any other error stops.
pub(crate) fn verify_each(
    packages: &[PathBuf],
    mut one: impl FnMut(&Path) -> Result<String>,
) -> Result<ExitCode> {
    let mut failed = 0usize;
    for pkg in packages {
        match one(pkg) {
            Ok(line) => eprintln!("{}: {line}", pkg.display()),
            Err(e) => {
                eprintln!("{}: {e:#}", pkg.display());
                if !e.chain().any(|c| c.is::<VerificationFailed>()) {
                    return Err(e);
                }
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(anyhow!(VerificationFailed).context(format!(
            "{failed} of {} packages failed verification",
            packages.len()
        )));
    }
    println!("Verified OK");
    Ok(ExitCode::SUCCESS)
}
