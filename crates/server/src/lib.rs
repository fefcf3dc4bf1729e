//! `signet serve`: the transparency log (Rekor v1/v2 write APIs and the
//! C2SP tlog-tiles read path) and the OCI registry (`/v2/`), each on the
//! embedded default (SQLite + local disk) or PostgreSQL + S3.
//!
//! Layering: `config` (typed, parsed once) → `log::Log` (sequencing and
//! integration, the only writer) → `api` (axum handlers, thin).
#![forbid(unsafe_code)]

pub mod api;
pub mod config;
pub mod log;
pub mod objects;
pub mod registry;

use anyhow::Context;

pub use config::Config;

/// Runs the server until SIGINT/SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let log = log::Log::open(&config).await?;
    let mut app = api::router(log.clone());
    if !config.log_only {
        let registry = registry::Registry::open(&config).await?;
        app = app.merge(registry::api::router(registry));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(addr = %listener.local_addr()?, origin = %log.origin(), "signet serve listening");
    eprintln!(
        "signet serve: listening on http://{} (log {})",
        listener.local_addr()?,
        log.origin()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server failed")?;
    log.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
