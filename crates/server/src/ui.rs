//! The web UI: a single page built from `web/` (Preact + htm, bundled by
//! Vite) into `web/dist/`, which is committed and embedded here, so
//! running the server needs no Node.js. The page holds no secret: the user
//! signs in with an API token, which the page keeps in the tab's
//! `sessionStorage` and sends as `Authorization: Bearer` on each API call.
//!
//! Cross-site request protection is [`same_origin_writes`], on every route:
//! a state-changing request that a browser marks as coming from another
//! site is refused before any handler runs. Browser pages of another origin
//! cannot set `Authorization` on a request to us without a CORS preflight,
//! which this server never grants, and a browser's remembered Basic
//! credentials are what this guard keeps from riding along.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &[u8] = include_bytes!("../../../web/dist/index.html");
const APP_JS: &[u8] = include_bytes!("../../../web/dist/ui/app.js");
const APP_CSS: &[u8] = include_bytes!("../../../web/dist/ui/app.css");

/// What the page may load: only its own script, style and API.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(body: &'static [u8], content_type: &'static str, cache: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// `/` (the page) and `/ui/*` (its script and style).
pub fn router() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8", "no-store") }),
        )
        .route(
            "/ui/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8", "no-cache") }),
        )
        .route(
            "/ui/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8", "no-cache") }),
        )
}

/// Whether a request's browser-set headers say it comes from another site
/// (pure; see [`same_origin_writes`]).
pub fn cross_site(
    method: &Method,
    host: Option<&str>,
    origin: Option<&str>,
    fetch_site: Option<&str>,
) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = fetch_site {
        return !matches!(site, "same-origin" | "none");
    }
    match (origin, host) {
        (None, _) => false,
        (Some(o), Some(h)) => {
            let authority = o
                .strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"));
            authority != Some(h)
        }
        (Some(_), None) => true,
    }
}

/// Refuses state-changing requests from other sites (403), whatever
/// credentials ride along. Non-browser clients send neither `Origin` nor
/// `Sec-Fetch-Site` and are not affected.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let h = req.headers();
    let get = |n: header::HeaderName| h.get(n).and_then(|v| v.to_str().ok());
    if cross_site(
        req.method(),
        get(header::HOST),
        get(header::ORIGIN),
        h.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
    ) {
        tracing::warn!(
            target: "signet::audit",
            method = %req.method(),
            path = %req.uri().path(),
            origin = ?get(header::ORIGIN),
            "cross-site request refused"
        );
        let body = serde_json::json!({"errors": [{
            "code": "DENIED",
            "message": "cross-site request refused: changes must come from this server's own pages or from a non-browser client",
        }]});
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_writes_are_told_apart() {
        let post = Method::POST;
        let host = Some("127.0.0.1:5000");
        // CLIs and registries' clients: no browser headers.
        assert!(!cross_site(&post, host, None, None));
        // Reads are never blocked here.
        assert!(!cross_site(
            &Method::GET,
            host,
            Some("https://evil.example"),
            Some("cross-site")
        ));
        // Our own page.
        assert!(!cross_site(
            &post,
            host,
            Some("http://127.0.0.1:5000"),
            Some("same-origin")
        ));
        assert!(!cross_site(
            &post,
            host,
            Some("http://127.0.0.1:5000"),
            None
        ));
        // Another site, by either header.
        assert!(cross_site(&post, host, None, Some("cross-site")));
        assert!(cross_site(&post, host, None, Some("same-site")));
        assert!(cross_site(
            &Method::DELETE,
            host,
            Some("http://evil.example"),
            None
        ));
        assert!(cross_site(&Method::PUT, host, Some("null"), None));
        assert!(cross_site(&post, None, Some("http://127.0.0.1:5000"), None));
    }
}
