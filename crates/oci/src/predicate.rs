//! `--type` shortcuts of `cosign attest` and the predicates they build
//! (`cmd/cosign/cli/options/predicate.go`).

use serde_json::{Value, json};

/// The predicate type URI a `--type` names (a URI stands for itself).
pub fn type_uri(t: &str) -> Option<&str> {
    Some(match t {
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "link" => "https://in-toto.io/Link/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        uri if uri.contains("://") => uri,
        _ => return None,
    })
}

/// The predicate for `--type t` from the file's bytes; `now` (RFC 3339)
/// stamps `custom` predicates.
pub fn build(t: &str, file: &[u8], now: &str) -> Result<Value, String> {
    match t {
        "custom" => Ok(json!({
            "Data": String::from_utf8_lossy(file),
            "Timestamp": now,
        })),
        // cosign's legacy SPDX predicate is the document as a JSON string.
        "spdx" => Ok(Value::String(String::from_utf8_lossy(file).into_owned())),
        _ => {
            if type_uri(t).is_none() {
                return Err(format!(
                    "unknown --type {t:?}: use custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, vuln, openvex, link, or a predicate type URI"
                ));
            }
            let v: Value = serde_json::from_slice(file)
                .map_err(|e| format!("the predicate file is not JSON: {e}"))?;
            if !v.is_object() {
                return Err("the predicate must be a JSON object".into());
            }
            Ok(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts() {
        assert_eq!(
            type_uri("slsaprovenance1"),
            Some("https://slsa.dev/provenance/v1")
        );
        assert_eq!(
            type_uri("https://example.com/p"),
            Some("https://example.com/p")
        );
        assert_eq!(type_uri("nope"), None);
        let c = build("custom", b"hello", "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(c["Data"], "hello");
        assert_eq!(build("spdx", b"{\"a\":1}", "").unwrap(), json!("{\"a\":1}"));
        assert_eq!(build("spdxjson", b"{\"a\":1}", "").unwrap()["a"], 1);
        assert!(build("cyclonedx", b"[1]", "").is_err());
        assert!(build("openvex", b"nope", "").is_err());
        assert!(build("bogus", b"{}", "").is_err());
    }
}

/// Environment variables `provenance` reads (GitHub Actions, GitLab CI).
pub const PROVENANCE_ENV: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_EVENT_NAME",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "RUNNER_ENVIRONMENT",
    "GITLAB_CI",
    "CI_SERVER_URL",
    "CI_PROJECT_URL",
    "CI_PROJECT_PATH",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_CONFIG_PATH",
    "CI_PIPELINE_ID",
    "CI_JOB_ID",
    "CI_PIPELINE_SOURCE",
];

/// A SLSA v1 provenance predicate for the CI run described by `env`
/// (GitHub Actions or GitLab CI); `started` is RFC 3339.
pub fn provenance(env: &dyn Fn(&str) -> Option<String>, started: &str) -> Result<Value, String> {
    let need = |k: &str| {
        env(k)
            .filter(|v| !v.is_empty())
            .ok_or(format!("{k} is not set"))
    };
    if env("GITHUB_ACTIONS").as_deref() == Some("true") {
        let server = env("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let repo = need("GITHUB_REPOSITORY")?;
        let sha = need("GITHUB_SHA")?;
        let git_ref = need("GITHUB_REF")?;
        let workflow_ref = need("GITHUB_WORKFLOW_REF")?;
        let path = workflow_ref
            .strip_prefix(&format!("{repo}/"))
            .and_then(|p| p.split('@').next())
            .unwrap_or("")
            .to_owned();
        let run = need("GITHUB_RUN_ID")?;
        let attempt = env("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into());
        return Ok(json!({
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": git_ref, "repository": format!("{server}/{repo}"), "path": path}},
                "internalParameters": {"github": {
                    "event_name": env("GITHUB_EVENT_NAME").unwrap_or_default(),
                    "runner_environment": env("RUNNER_ENVIRONMENT").unwrap_or_default(),
                }},
                "resolvedDependencies": [{"uri": format!("git+{server}/{repo}@{git_ref}"), "digest": {"gitCommit": sha}}],
            },
            "runDetails": {
                "builder": {"id": format!("{server}/{workflow_ref}")},
                "metadata": {"invocationId": format!("{server}/{repo}/actions/runs/{run}/attempts/{attempt}"), "startedOn": started},
            },
        }));
    }
    if env("GITLAB_CI").as_deref() == Some("true") {
        let project = need("CI_PROJECT_URL")?;
        let sha = need("CI_COMMIT_SHA")?;
        let git_ref = need("CI_COMMIT_REF_NAME")?;
        let config = env("CI_CONFIG_PATH").unwrap_or_else(|| ".gitlab-ci.yml".into());
        let job = need("CI_JOB_ID")?;
        return Ok(json!({
            "buildDefinition": {
                "buildType": "https://gitlab.com/gitlab-org/gitlab/-/blob/master/ee/lib/ee/gitlab/ci/slsa/README.md",
                "externalParameters": {"source": project, "entryPoint": config, "ref": git_ref},
                "internalParameters": {"pipeline_source": env("CI_PIPELINE_SOURCE").unwrap_or_default()},
                "resolvedDependencies": [{"uri": format!("git+{project}@{git_ref}"), "digest": {"gitCommit": sha}}],
            },
            "runDetails": {
                "builder": {"id": format!("{project}/-/runners")},
                "metadata": {"invocationId": format!("{project}/-/jobs/{job}"), "startedOn": started},
            },
        }));
    }
    Err("not running in a CI system signet knows (GitHub Actions: GITHUB_ACTIONS=true; GitLab CI: GITLAB_CI=true)".into())
}

#[cfg(test)]
mod provenance_tests {
    use super::*;

    #[test]
    fn github_actions() {
        let vars: std::collections::HashMap<&str, &str> = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "org/app"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_REF", "refs/heads/main"),
            (
                "GITHUB_WORKFLOW_REF",
                "org/app/.github/workflows/release.yml@refs/heads/main",
            ),
            ("GITHUB_RUN_ID", "42"),
        ]
        .into_iter()
        .collect();
        let env = |k: &str| vars.get(k).map(|v| (*v).to_owned());
        let p = provenance(&env, "2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            p["buildDefinition"]["externalParameters"]["workflow"]["path"],
            ".github/workflows/release.yml"
        );
        assert_eq!(
            p["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
            "abc123"
        );
        assert_eq!(
            p["runDetails"]["builder"]["id"],
            "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main"
        );
        assert_eq!(
            p["runDetails"]["metadata"]["invocationId"],
            "https://github.com/org/app/actions/runs/42/attempts/1"
        );
        let partial = |k: &str| {
            if k == "GITHUB_ACTIONS" {
                Some("true".to_owned())
            } else {
                None
            }
        };
        assert!(
            provenance(&partial, "")
                .unwrap_err()
                .contains("GITHUB_REPOSITORY")
        );
        assert!(provenance(&|_| None, "").is_err());
    }
}
