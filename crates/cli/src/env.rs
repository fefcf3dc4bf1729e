//! Every environment variable signet reads, in one table (`signet env`).
#![allow(clippy::disallowed_methods)] // the one place that reads the environment

use std::ffi::OsString;

/// One environment variable signet reads.
pub(crate) struct Var {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) sensitive: bool,
}

pub(crate) const SIGNET_PASSWORD: &str = "SIGNET_PASSWORD";
pub(crate) const COSIGN_PASSWORD: &str = "COSIGN_PASSWORD";
pub(crate) const SIGNET_IMPORT_PASSWORD: &str = "SIGNET_IMPORT_PASSWORD";
pub(crate) const SIGNET_PKCS11_MODULE_PATH: &str = "SIGNET_PKCS11_MODULE_PATH";
pub(crate) const COSIGN_PKCS11_MODULE_PATH: &str = "COSIGN_PKCS11_MODULE_PATH";
pub(crate) const SIGNET_PKCS11_PIN: &str = "SIGNET_PKCS11_PIN";
pub(crate) const COSIGN_PKCS11_PIN: &str = "COSIGN_PKCS11_PIN";

pub(crate) const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
pub(crate) const REGISTRY_AUTH_FILE: &str = "REGISTRY_AUTH_FILE";
pub(crate) const HOME: &str = "HOME";
pub(crate) const SIGNET_TUF_CACHE: &str = "SIGNET_TUF_CACHE";

/// Reads one of the CI variables `signet provenance` describes
/// (`signet_oci::predicate::PROVENANCE_ENV`); others read as unset.
pub(crate) fn ci(name: &str) -> Option<String> {
    if !signet_oci::predicate::PROVENANCE_ENV.contains(&name) {
        return None;
    }
    get(name).map(|v| v.to_string_lossy().into_owned())
}

pub(crate) const TABLE: &[Var] = &[
    Var {
        name: "GITHUB_*, GITLAB_CI, CI_*",
        description: "the CI run `signet provenance` describes (repository, commit, workflow, run)",
        sensitive: false,
    },
    Var {
        name: REGISTRY_AUTH_FILE,
        description: "registry credentials file (Docker config.json format), read first",
        sensitive: false,
    },
    Var {
        name: DOCKER_CONFIG,
        description: "directory of Docker's config.json (default ~/.docker)",
        sensitive: false,
    },
    Var {
        name: HOME,
        description: "for ~/.docker/config.json and ~/.signet/tuf",
        sensitive: false,
    },
    Var {
        name: SIGNET_TUF_CACHE,
        description: "where `trusted-root update` keeps TUF state and trusted roots (default ~/.signet/tuf)",
        sensitive: false,
    },
    Var {
        name: SIGNET_PASSWORD,
        description: "password of the private key (set but empty means an empty password)",
        sensitive: true,
    },
    Var {
        name: COSIGN_PASSWORD,
        description: "used when SIGNET_PASSWORD is unset, as cosign does",
        sensitive: true,
    },
    Var {
        name: SIGNET_IMPORT_PASSWORD,
        description: "password of an encrypted key given to import-key-pair",
        sensitive: true,
    },
    Var {
        name: SIGNET_PKCS11_MODULE_PATH,
        description: "PKCS#11 module for pkcs11: keys without module-path",
        sensitive: false,
    },
    Var {
        name: COSIGN_PKCS11_MODULE_PATH,
        description: "used when SIGNET_PKCS11_MODULE_PATH is unset",
        sensitive: false,
    },
    Var {
        name: SIGNET_PKCS11_PIN,
        description: "user PIN for pkcs11: keys without pin-value",
        sensitive: true,
    },
    Var {
        name: COSIGN_PKCS11_PIN,
        description: "used when SIGNET_PKCS11_PIN is unset",
        sensitive: true,
    },
];

/// Reads a variable; `None` when unset. Values that are not UTF-8 are kept as-is.
pub(crate) fn get(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// Reads the first set variable of `names`.
pub(crate) fn first(names: &[&str]) -> Option<(String, OsString)> {
    names
        .iter()
        .find_map(|n| get(n).map(|v| ((*n).to_owned(), v)))
}

/// Prints the table with current values (sensitive ones masked).
pub(crate) fn print_table() {
    for var in TABLE {
        let value = match get(var.name) {
            None => "(unset)".to_owned(),
            Some(_) if var.sensitive => "(set, hidden)".to_owned(),
            Some(v) => format!("{:?}", v.to_string_lossy()),
        };
        println!("{:<28} {:<16} {}", var.name, value, var.description);
    }
}
