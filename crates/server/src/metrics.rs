//! Prometheus metrics: a request counter and latency histogram per route
//! class (bounded label values: never repository names or digests), plus
//! counters the registry and log bump. Served at `/metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder (installed on first use).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("signet_http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0, 10.0, 30.0,
                    ],
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder (an embedding program's) wins; then we have none.
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The route class of a path: the OCI endpoint kind, the REST resource,
/// or the log/ops path, never user-chosen names.
pub fn route_class(path: &str) -> &'static str {
    if let Some(rest) = path.strip_prefix("/v2/") {
        return if rest.is_empty() {
            "v2"
        } else if rest == "token" {
            "v2_token"
        } else if rest == "_catalog" {
            "v2_catalog"
        } else if rest.contains("/blobs/uploads") {
            "v2_uploads"
        } else if rest.contains("/blobs/") {
            "v2_blobs"
        } else if rest.contains("/manifests/") {
            "v2_manifests"
        } else if rest.ends_with("/tags/list") {
            "v2_tags"
        } else if rest.contains("/referrers/") {
            "v2_referrers"
        } else {
            "v2_other"
        };
    }
    if let Some(rest) = path.strip_prefix("/api/v1/") {
        return if rest.starts_with("repositories") {
            if rest.contains("/files") {
                "api_files"
            } else {
                "api_repositories"
            }
        } else if rest.starts_with("users") {
            "api_users"
        } else if rest.starts_with("tokens") {
            "api_tokens"
        } else if rest.starts_with("log") {
            "api_log"
        } else {
            "api_other"
        };
    }
    match path {
        "/healthz" | "/readyz" | "/metrics" => "ops",
        p if p.starts_with("/tile/") || p == "/checkpoint" => "tlog_tiles",
        p if p.starts_with("/api/v2/") => "rekor_v2",
        _ => "other",
    }
}

/// Middleware: counts every request and times it by route class, method
/// and status.
pub async fn track(req: Request, next: Next) -> Response {
    let route = route_class(req.uri().path());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    tracing::debug!(route, method = %method, status = %status, micros = start.elapsed().as_micros() as u64, "request");
    metrics::counter!("signet_http_requests_total", "route" => route, "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("signet_http_request_duration_seconds", "route" => route, "method" => method)
        .record(start.elapsed().as_secs_f64());
    resp
}

#[cfg(test)]
mod tests {
    use super::route_class;

    #[test]
    fn classes_carry_no_names() {
        assert_eq!(route_class("/v2/prod/app/manifests/v1"), "v2_manifests");
        assert_eq!(route_class("/v2/prod/app/blobs/uploads/abc"), "v2_uploads");
        assert_eq!(route_class("/v2/prod/app/blobs/sha256:aa"), "v2_blobs");
        assert_eq!(route_class("/v2/a/referrers/sha256:aa"), "v2_referrers");
        assert_eq!(route_class("/api/v1/repositories/a/files/x"), "api_files");
        assert_eq!(route_class("/anything/else"), "other");
    }
}
